package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
	pgbr := fs.Bool("pgbackrest", true, "also run the drills with pgBackRest as the backup tool (pgBackRest / plain restore-phase ratio)")
	ledger := fs.String("ledger", "10000,100000,1000000", "ledger sizes for the checker's cost, comma-separated")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	cpuprof := fs.String("cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	proj := fs.String("project", "", "also fit the projection on tenant-restore drills of the same profile at these sizes, TENANTS:SITES:VICTIM_TENANTS comma-separated (three or more; in the first run only; the main drill's size is fitted on too), e.g. 5000:440:388,5000:883:775,10000:440:388")
	scale := fs.Int("scale", 0, "also run tenant-restore at this many tenants with the main drill's faulty list (the same blast radius on a larger database; in the first run only): which steps grow with the database, which with the blast radius only; the projection is fitted on it too")
	projectTo := fs.String("project-to", "", "with -project, project tenant-restore's runbook and RTO to these sizes, comma-separated: a tenant count (200000) or a database size in GB or TB (10^9, 10^12 bytes) or GiB or TiB (2^30, 2^40), as pg_database_size counts it; each optionally :SITES, the blast radius in deleted sites (default: the main drill's), e.g. 200000,2TB,200000:883; empty projects to 20× the main drill's database")
	projectRuns := fs.Int("project-runs", 1, "with -project, run tenant-restore this many times at each of the projection's sizes (the main drill's, -scale's, each of -project's) and fit on each size's medians: single drills carry seconds of spread (the side database's start)")
	runs := fs.Int("runs", 1, "run the whole bench this many times and print each figure's median and spread")
	out := fs.String("out", "", "also write the bench's page and figures, DIR/bench.html and DIR/bench.json (make bench: BENCH_OUT)")
	memprof := fs.String("memprofile", "", "write a pprof heap profile (allocations of the whole run: -sample_index=alloc_space) to this file")
	refit := fs.String("refit", "", "run no drill: fit the projection again on the drills a bench.json (from -out) keeps, and print it (with -project-to's sizes)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if *refit != "" {
		var other []string // -refit runs no drill: a drill's flag beside it would be ignored
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "refit" && f.Name != "project-to" && f.Name != "q" {
				other = append(other, "-"+f.Name)
			}
		})
		if len(other) > 0 {
			return usagef("-refit runs no drill: %s would be ignored (only -project-to goes with it)", strings.Join(other, ", "))
		}
		return refitBench(*refit, *projectTo)
	}
	if *scale < 0 {
		return usagef("-scale %d: want a tenant count", *scale)
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
	points, err := parsePoints(*proj)
	if err != nil {
		return err
	}
	targets, err := parseTargets(*projectTo)
	if err != nil {
		return err
	}
	if *projectRuns < 1 || *projectRuns > 10 {
		return usagef("-project-runs %d: want 1 to 10", *projectRuns)
	}
	if *projectRuns > 1 && len(points) == 0 {
		return usagef("-project-runs %d: needs -project, the drill sizes the projection is fitted on", *projectRuns)
	}
	if len(targets) > 0 && len(points) == 0 {
		return usagef("-project-to %s: needs -project, the drill sizes the projection is fitted on", *projectTo)
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
	for i := range *runs {
		if *runs > 1 {
			fmt.Printf("drdrill bench: run %d of %d\n", i+1, *runs)
		}
		var r *bench.Report
		cfg := bench.Config{Profile: *profile, Tenants: *tenants, FullPITR: *pitr, PgBackRest: *pgbr, LedgerSizes: sizes, ProjectTo: targets, Log: log}
		if i == 0 {
			cfg.Project, cfg.Scale, cfg.ProjectRuns = points, *scale, *projectRuns
		}
		r, err = bench.Run(ctx, cfg)
		if r != nil && r.Drill.Wall > 0 {
			// A run cut short by a later drill keeps what its main drill measured: printed,
			// and in the page and bench.json below.
			r.WriteTable(os.Stdout)
			done = append(done, r)
		}
		if err != nil {
			break
		}
	}
	if len(done) > 1 {
		fmt.Println()
		bench.WriteSummary(os.Stdout, done)
	}
	if *out != "" && len(done) > 0 {
		page, werr := bench.WriteFiles(*out, done)
		if werr != nil && err == nil {
			err = werr
		}
		if werr == nil {
			fmt.Printf("drdrill bench: the page is %s (every figure: %s)\n", page, filepath.Join(*out, bench.JSONFile))
		}
	}
	if *memprof != "" {
		if herr := writeHeapProfile(*memprof); herr != nil && err == nil {
			err = herr
		}
	}
	return err
}

// refitBench is drdrill bench -refit: the projection fitted again on a bench.json's drills.
func refitBench(path, projectTo string) error {
	targets, err := parseTargets(projectTo)
	if err != nil {
		return err
	}
	e, err := bench.ReadExport(path)
	if err != nil {
		return err
	}
	r, err := e.Refit(targets)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return r.WriteProjection(os.Stdout)
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

// parsePoints reads -project: TENANTS:SITES:VICTIM_TENANTS, comma-separated, three or more.
func parsePoints(s string) ([]bench.Point, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []bench.Point
	for _, f := range strings.Split(s, ",") {
		var p bench.Point
		parts := strings.Split(strings.TrimSpace(f), ":")
		if len(parts) != 3 {
			return nil, usagef("-project: %q: want TENANTS:SITES:VICTIM_TENANTS, e.g. 1000:40:30", f)
		}
		for i, dst := range []*int{&p.Tenants, &p.VictimSites, &p.VictimTenants} {
			n, err := strconv.Atoi(parts[i])
			if err != nil || n < 1 {
				return nil, usagef("-project: %q: %q is not a positive number", f, parts[i])
			}
			*dst = n
		}
		out = append(out, p)
	}
	if len(out) < 3 {
		return nil, usagef("-project: %d sizes: the projection needs three or more (one is left out to check it)", len(out))
	}
	return out, nil
}

// byteUnits are the database sizes -project-to takes, decimal and binary.
var byteUnits = map[string]float64{"gb": 1e9, "tb": 1e12, "gib": 1 << 30, "tib": 1 << 40}

var sizeWithUnit = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)$`)

// parseTargets reads -project-to: SIZE[:SITES], comma-separated, SIZE a tenant count or a
// database size with its unit (byteUnits, any case).
func parseTargets(s string) ([]bench.TargetSize, error) {
	var out []bench.TargetSize
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		t := bench.TargetSize{Given: f}
		size, sites, hasSites := strings.Cut(f, ":")
		size = strings.TrimSpace(size)
		if n, err := strconv.Atoi(size); err == nil && n > 0 {
			t.Tenants = n
		} else if m := sizeWithUnit.FindStringSubmatch(size); m != nil && byteUnits[strings.ToLower(m[2])] > 0 {
			v, err := strconv.ParseFloat(m[1], 64)
			if err != nil || v <= 0 {
				return nil, usagef("-project-to: %q: %q is not a positive size", f, m[1])
			}
			t.Bytes = v * byteUnits[strings.ToLower(m[2])]
		} else {
			return nil, usagef("-project-to: %q: want a tenant count or a size like 2TB (GB, TB, GiB, TiB), optionally :SITES", f)
		}
		if hasSites {
			n, err := strconv.Atoi(strings.TrimSpace(sites))
			if err != nil || n < 1 {
				return nil, usagef("-project-to: %q: %q is not a positive number of deleted sites", f, sites)
			}
			t.Sites = n
		}
		out = append(out, t)
	}
	return out, nil
}
