package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/drdrill/drdrill/bench"
)

// cmdBench is make bench: the Atlassian-scale drill and the same work with plain Postgres
// tools in one process, printed as package bench's table of ratios.
func cmdBench(ctx context.Context, args []string) error {
	fs := newFlags("bench", "[flags]")
	profile := fs.String("profile", "atlassian", "fixtures profile: atlassian, or quick for a fast run of the tool itself")
	tenants := fs.Int("tenants", 0, "override of the profile's tenant count")
	pitr := fs.Bool("pitr", true, "also run the full-pitr drill (tenant-restore / full-pitr ratio)")
	ledger := fs.String("ledger", "10000,100000,1000000", "ledger sizes for the checker's cost, comma-separated")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	cpuprof := fs.String("cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	runs := fs.Int("runs", 1, "run the whole bench this many times and print each figure's median and spread")
	memprof := fs.String("memprofile", "", "write a pprof heap profile (allocations of the whole run: -sample_index=alloc_space) to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if *runs < 1 || *runs > 20 {
		return usagef("-runs %d: want 1 to 20", *runs)
	}
	var sizes []int
	for _, f := range strings.Split(*ledger, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return usagef("-ledger: %q is not a positive number", f)
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
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var done []*bench.Report
	var err error
	for i := range *runs {
		if *runs > 1 {
			fmt.Printf("drdrill bench: run %d of %d\n", i+1, *runs)
		}
		var r *bench.Report
		r, err = bench.Run(ctx, bench.Config{Profile: *profile, Tenants: *tenants, FullPITR: *pitr, LedgerSizes: sizes, Log: log})
		if r != nil && r.Drill.Wall > 0 {
			r.WriteTable(os.Stdout)
		}
		if err != nil {
			break
		}
		done = append(done, r)
	}
	if len(done) > 1 {
		fmt.Println()
		bench.WriteSummary(os.Stdout, done)
	}
	if *memprof != "" {
		if herr := writeHeapProfile(*memprof); herr != nil && err == nil {
			err = herr
		}
	}
	return err
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-memprofile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}
