package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/stack"
)

// minFreeDisk is what doctor asks of the Docker root: the atlassian profile's database is
// about 2 GB, and a restore drill holds a base backup and a restored copy next to it.
const minFreeDisk = 8 << 30

func cmdDoctor(ctx context.Context, args []string) error {
	fs := newFlags("doctor", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if problems := doctor(ctx, os.Stdout); problems > 0 {
		return errSilent
	}
	return nil
}

// doctor prints one line per check, with the fix for each problem, and returns how many
// problems it found.
func doctor(ctx context.Context, w io.Writer) int {
	problems := 0
	ok := func(format string, args ...any) { fmt.Fprintf(w, "doctor: ok   "+format+"\n", args...) }
	bad := func(format string, args ...any) {
		problems++
		fmt.Fprintf(w, "doctor: FAIL "+format+"\n", args...)
	}
	defer func() {
		if problems > 0 {
			fmt.Fprintf(w, "doctor: %d problem(s)\n", problems)
		}
	}()

	client, err := images.Connect(ctx)
	if err != nil {
		bad("%v", err)
		return problems
	}
	info, err := client.Info()
	if err != nil {
		bad("docker engine at %s answers ping but not info: %v", client.Endpoint(), err)
		return problems
	}
	ok("docker engine %s at %s (%d CPUs, %.0f GB memory)", info.ServerVersion, client.Endpoint(), info.NCPU, float64(info.MemTotal)/(1<<30))

	sts, err := images.Status(ctx, images.Options{})
	if err != nil {
		bad("images: cannot tell whether they are up to date: %v", err)
	}
	for _, st := range sts {
		if st.UpToDate {
			ok("image %s up to date (%.0f MB)", st.Name, float64(st.Size)/1e6)
			continue
		}
		fix := st.Problem
		if st.Name == images.Postgres && os.Geteuid() == 0 {
			if _, err := exec.LookPath("debootstrap"); err != nil {
				fix += " (without a registry that needs debootstrap: apt-get install -y debootstrap)"
			}
		}
		bad("%s", fix)
	}

	// The Docker root is only visible from here when the engine runs on this machine.
	var fsStat syscall.Statfs_t
	if err := syscall.Statfs(info.DockerRootDir, &fsStat); err != nil {
		ok("disk: %s not visible from here (remote engine?): not checked", info.DockerRootDir)
	} else if free := int64(fsStat.Bavail) * int64(fsStat.Bsize); free < minFreeDisk {
		bad("disk: %.1f GB free on %s, want >= %.0f GB: run `drdrill clean`, then `docker system df` to see what else holds space", float64(free)/(1<<30), info.DockerRootDir, float64(minFreeDisk)/(1<<30))
	} else {
		ok("disk: %.0f GB free on %s", float64(free)/(1<<30), info.DockerRootDir)
	}

	// Leftovers are not a problem for the next drill, only for the disk: a hint, not a failure.
	n, err := stack.CleanWith(ctx, io.Discard, stack.CleanOptions{DryRun: true})
	switch {
	case err != nil && !errors.Is(err, stack.ErrDockerUnreachable):
		bad("leftover runs: cannot list them: %v", err)
	case n > 0:
		ok("leftovers: %d containers, networks and volumes of dead runs: `drdrill clean` removes them", n)
	default:
		ok("leftovers: none")
	}
	return problems
}
