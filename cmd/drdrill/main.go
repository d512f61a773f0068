// Command drdrill runs disaster-recovery drills: Gherkin features that start a containerized
// multi-tenant SaaS stack, break it the way the April 2022 Atlassian incident did, run a
// restore runbook, and measure every tenant's RTO and RPO from the data itself.
//
// Usage:
//
//	drdrill <command> [flags] [args]
//
// Exit status: 0 ok, 1 failure (or an objective breached), 2 usage or bad input, 128+n
// interrupted by signal n (130 for Ctrl-C, 143 for SIGTERM) after cleaning up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stackfile"
)

// command is one subcommand; the list below is the CLI's whole surface.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = []command{
	{"run", "[flags] [features...]", "run drills (Gherkin features) and write results and reports", cmdRun},
	{"steps", "[flags]", "list the Gherkin steps drills can use", cmdSteps},
	{"report", "[flags] results.json...", "render reports from results.json files", cmdReport},
	{"doctor", "", "check the Docker engine, the images and disk space; one line and a fix per problem", cmdDoctor},
	{"images", "[-route auto|rootfs|dockerfile] [-source DIR]", "build the images that are missing or whose inputs changed", cmdImages},
	{"bench", "[flags]", "time the Atlassian-scale drill against the same work done with plain Postgres tools (make bench)", cmdBench},
	{"stack", "check FILE... | schema | init --dsn URL --tenant TABLE", "validate stack files (your own system's description), print their JSON Schema, or draft one from a database", cmdStack},
	{"clean", "[-dry-run] [-all-hosts] [-run ID]", "remove containers, networks and volumes of runs whose process is gone", cmdClean},
}

// errUsage marks errors caused by how drdrill was called (exit status 2).
var errUsage = errors.New("usage")

// usagef returns a usage error: exit status 2, and the message printed as is.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// badInput lists the sentinel errors of other packages that mean bad input (exit status 2).
// Add a package's sentinel here, not in the package.
var badInput = []error{errUsage, stack.ErrBadConfig, stackfile.ErrInvalid}

func main() {
	// The harness's live heap is tens of MB and it allocates steadily (probes, traffic, COPY
	// streams). In drdrill bench, GOGC=400 took the collector from 3.8 s to 1.5 s of CPU (most
	// of it spent stopping goroutines to scan their stacks) and the drill's harness CPU from
	// 8.7 s to 7.8 s, for about 50 MB more peak memory. GOGC set in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// The harness shares the machine with the stack it drills and waits on it almost all the
	// time: its goroutines run on at most half the processors (one of two), leaving the rest
	// to the stack. In drdrill bench on two cores (the slower kind of machine), the side
	// database's start inside tenant-restore took 6.9-10.8 s in six runs with two processors
	// for the harness (3.9-4.4 s alone) and 4.0-4.6 s in three runs with one; the restore
	// phase's harness CPU went from 0.18-0.20 to 0.17-0.19 s per second of the phase, the
	// seeding no slower. GOMAXPROCS set in the environment wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run dispatches one command line and returns the exit status.
func run(args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "drdrill: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	// Ctrl-C cancels the command's context; commands that hold containers close them on the
	// way out. Once cancelled, a second Ctrl-C kills the process the default way.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var got atomic.Value // the signal that cancelled ctx
	go func() {
		select {
		case s := <-sigs:
			got.Store(s)
			signal.Stop(sigs)
			cancel(fmt.Errorf("%v signal received", s))
		case <-ctx.Done():
		}
	}()

	err := cmd.run(ctx, args[1:])
	code := exitCode(err, cmd.name, stderr)
	if s, ok := got.Load().(syscall.Signal); ok && code != 0 {
		// Interrupted: the shell's convention, 128 + the signal's number (130 for Ctrl-C),
		// so scripts and CI tell a cancelled drill from a failed one.
		fmt.Fprintf(stderr, "drdrill %s: interrupted by %v\n", cmd.name, s)
		return 128 + int(s)
	}
	return code
}

// exitCode prints err (if any) and maps it to the exit status.
func exitCode(err error, name string, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errSilent):
		return 1
	}
	fmt.Fprintf(stderr, "drdrill %s: %v\n", name, err)
	for _, e := range badInput {
		if errors.Is(err, e) {
			return 2
		}
	}
	return 1
}

// errSilent is a failure the command has already explained on its output (exit status 1).
var errSilent = errors.New("failed")

func usage(w io.Writer) {
	fmt.Fprintln(w, "drdrill rehearses restoring a multi-tenant SaaS after an operator script deletes the wrong customers.")
	fmt.Fprintln(w, "\nUsage: drdrill <command> [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n          %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun `drdrill <command> -h` for a command's flags. Exit status: 0 ok, 1 failure or breach, 2 usage, 130 interrupted.")
}

// newFlags returns a flag set for a command that reports errors as usage errors.
func newFlags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("drdrill "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: drdrill %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs; a bad flag is a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	return nil
}
