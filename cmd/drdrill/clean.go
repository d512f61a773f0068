package main

import (
	"context"
	"fmt"
	"os"

	"github.com/drdrill/drdrill/stack"
)

func cmdClean(ctx context.Context, args []string) error {
	fs := newFlags("clean", "[-dry-run] [-all-hosts] [-kept] [-run ID]")
	dry := fs.Bool("dry-run", false, "print what would be removed, remove nothing")
	allHosts := fs.Bool("all-hosts", false, "also remove runs started on other hosts (their processes cannot be checked from here)")
	runID := fs.String("run", "", "only this run ID (still only if its process is gone); removes it also when it was kept (drdrill run --keep)")
	kept := fs.Bool("kept", false, "also remove the stacks kept for inspection by drdrill run --keep (left alone otherwise)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	opts := stack.CleanOptions{DryRun: *dry, OtherHosts: *allHosts, Kept: *kept}
	if *runID != "" {
		opts.Runs = []string{*runID}
	}
	n, err := stack.CleanWith(ctx, os.Stdout, opts)
	if n > 0 {
		verb := "removed"
		if *dry {
			verb = "would remove"
		}
		fmt.Printf("clean: %s %d containers, networks and volumes\n", verb, n)
	}
	return err
}
