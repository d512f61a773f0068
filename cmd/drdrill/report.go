package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/drdrill/drdrill/reports"
	"github.com/drdrill/drdrill/results"
)

const reportUsage = `Usage: drdrill report FILE|DIR... [--out dir] [--history dir] [--cucumber-written]

Re-renders every report from results.json files alone: junit.xml, cucumber.json, summary.md and
report.html. A DIR stands for every results.json below it (a drill run's --out directory, or
the artifacts of several CI shards). Results of one drill run (its scenarios, or its shards
split across CI jobs) merge into one report whose verdict is the worst of theirs; results of
different drill runs are refused.

With --history, the drills are recorded in that directory (one file per drill, recording the
same drill again changes nothing) and the report draws each scenario's trend from it.

Exit status: 0 the reports were written (whatever the verdict); 1 they could not be written;
2 bad input (a missing or unreadable file, invalid JSON, an unsupported schema, mixed runs).

Flags:
`

// cmdReport is `drdrill report`.
func cmdReport(ctx context.Context, args []string) error {
	fset := newFlags("report", "FILE|DIR... [flags]")
	fset.Usage = func() { fmt.Fprint(fset.Output(), reportUsage); fset.PrintDefaults() }
	out := fset.String("out", "out", "output directory for junit.xml, cucumber.json, summary.md, report.html")
	history := fset.String("history", "", "history directory: record these drills and draw trends from it")
	cukeWritten := fset.Bool("cucumber-written", false, "godog already wrote cucumber.json into --out: leave it alone")

	// Flags may come before, between or after the files.
	var paths []string
	for {
		if err := parse(fset, args); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		paths = append(paths, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(paths) == 0 {
		return usagef("no results given: drdrill report FILE|DIR... (see drdrill report -h)")
	}

	files, shardFiles, err := resultFiles(paths)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	var rs []*results.Results
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := results.ReadFile(f)
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		rs = append(rs, r)
	}
	var manifests []reports.ShardManifest
	for _, f := range shardFiles {
		b, err := os.ReadFile(f)
		var m reports.ShardManifest
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			return fmt.Errorf("%w: shard manifest %s: %v", errUsage, f, err)
		}
		manifests = append(manifests, m)
	}
	if err := reports.CheckShards(rs, manifests); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	rep, err := reports.Merge(rs)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := reports.RenderAll(*out, rs, reports.Options{HistoryDir: *history, CucumberWritten: *cukeWritten, Warn: os.Stderr}); err != nil {
		return fmt.Errorf("render into --out %s: %w", *out, err)
	}
	fmt.Printf("drdrill report: %d drill(s), verdict %s; wrote %s\n", len(rep.Drills), rep.Verdict,
		filepath.Join(*out, reports.HTMLFile))
	return nil
}

// resultFiles expands the arguments: a file is itself, a directory every results.json below
// it (sorted, so the report does not depend on the file system's order); shards are the shard
// manifests (reports.ShardFile) found on the way.
func resultFiles(paths []string) (files, shards []string, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("results %s: %w", p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "results.json" {
				found = append(found, path)
			}
			if !d.IsDir() && d.Name() == reports.ShardFile {
				shards = append(shards, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("results under %s: %w", p, err)
		}
		if len(found) == 0 && len(shards) == 0 {
			return nil, nil, fmt.Errorf("no results.json under directory %s", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, shards, nil
}
