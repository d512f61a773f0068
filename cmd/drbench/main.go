// Command drbench is make bench: it runs the Atlassian-scale drill and the same work with plain
// Postgres tools in one process and prints the table of package perf.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/drdrill/drdrill/perf"
)

func main() {
	// The harness's live heap is tens of MB and it allocates steadily (probes, traffic, COPY
	// streams). In make bench, GOGC=400 took the collector from 3.8 s to 1.5 s of CPU (most
	// of it spent stopping goroutines to scan their stacks) and the drill's harness CPU from
	// 8.7 s to 7.8 s, for about 50 MB more peak memory. GOGC set in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	profile := flag.String("profile", "atlassian", "fixtures profile: atlassian, or quick for a fast run of the tool itself")
	tenants := flag.Int("tenants", 0, "override of the profile's tenant count")
	pitr := flag.Bool("pitr", true, "also run the full-pitr drill (tenant-restore / full-pitr ratio)")
	ledger := flag.String("ledger", "10000,100000,1000000", "ledger sizes for the checker's cost, comma-separated")
	quiet := flag.Bool("q", false, "no progress lines on stderr")
	cpuprof := flag.String("cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	memprof := flag.String("memprofile", "", "write a pprof heap profile (allocations of the whole run: -sample_index=alloc_space) to this file")
	flag.Parse()
	var sizes []int
	for _, f := range strings.Split(*ledger, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "drbench: -ledger: %q is not a positive number\n", f)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	var log io.Writer = os.Stderr
	if *quiet {
		log = nil
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "drbench:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "drbench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	// Ctrl-C cancels the run; the drills close their stacks on the way out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := perf.Run(ctx, perf.Config{Profile: *profile, Tenants: *tenants, FullPITR: *pitr, LedgerSizes: sizes, Log: log})
	if r != nil && r.Drill.Wall > 0 {
		r.WriteTable(os.Stdout)
	}
	if *memprof != "" {
		if err := writeHeapProfile(*memprof); err != nil {
			fmt.Fprintln(os.Stderr, "drbench:", err)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "drbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}
