package reports

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/drdrill/drdrill/results"
)

// History layout: <dir>/<scenario-slug>/<started_at>-<run id>.json, one results file per
// drill, so a directory listing is already the scenario's timeline and CI can keep the
// directory as a cache or an artifact without a database.

func historyName(r *results.Results) string {
	return r.StartedAt.UTC().Format("20060102T150405Z") + "-" + slug(firstNonEmpty(r.RunID, "run")) + ".json"
}

// AppendHistory records r in the history directory dir and returns the file's path. The name
// comes from the drill's start and run id, so recording the same drill twice (a re-render)
// rewrites the same file instead of adding a point to the trend.
func AppendHistory(dir string, r *results.Results) (string, error) {
	if r.Scenario == "" {
		return "", fmt.Errorf("append history: run %s has no scenario name", r.RunID)
	}
	sdir := filepath.Join(dir, slug(r.Scenario))
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return "", fmt.Errorf("append history: %w", err)
	}
	path := filepath.Join(sdir, historyName(r))
	cp := *r // results.Write stamps the schema version; leave the caller's value alone
	if err := results.WriteFile(path, &cp); err != nil {
		return "", fmt.Errorf("append history: %w", err)
	}
	return path, nil
}

// LoadHistory reads the past drills of scenario from the history directory dir, oldest first.
// A missing directory is an empty history. A file that does not read (corrupt, truncated, or
// from a newer drdrill) is skipped with a line naming it on warn (nil: not said): one bad file
// must not cost a passed drill its report, and the trend says how many points it has.
func LoadHistory(dir, scenario string, warn io.Writer) ([]*results.Results, error) {
	sdir := filepath.Join(dir, slug(scenario))
	entries, err := os.ReadDir(sdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	var out []*results.Results
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		r, err := results.ReadFile(filepath.Join(sdir, e.Name()))
		if err != nil {
			if warn != nil {
				fmt.Fprintf(warn, "drdrill: history: skipped %s: %v\n", filepath.Join(sdir, e.Name()), err)
			}
			continue
		}
		// Two scenario names can share a slug ("A/B" and "A-B"); keep only this one's.
		if r.Scenario != scenario {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.Before(out[j].StartedAt)
		}
		return out[i].RunID < out[j].RunID
	})
	return out, nil
}
