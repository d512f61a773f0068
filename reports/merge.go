package reports

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drdrill/drdrill/results"
)

// Report is the drills of one drill run, in a stable order, with the run's overall verdict.
// A single results file is a Report of one drill.
type Report struct {
	Group      string             // the drill run's group, "" if no file named one
	Drills     []*results.Results // ordered by feature, scenario, shard, start
	Verdict    results.Status     // the worst verdict of the drills
	StartedAt  time.Time          // earliest drill start
	FinishedAt time.Time          // latest drill end
}

// ErrNoResults is returned when there is nothing to report.
var ErrNoResults = errors.New("reports: no results to report")

// Merge joins the results of one drill run — its scenarios, or its shards split across CI
// jobs — into one Report. Its verdict is the worst of theirs (breached > unknown > ok). It
// refuses to mix drill runs: results naming different groups, or the same run ID twice (the
// same shard downloaded twice would double every count).
func Merge(rs []*results.Results) (*Report, error) {
	if len(rs) == 0 {
		return nil, ErrNoResults
	}
	rep := &Report{Verdict: results.StatusOK}
	seen := map[string]bool{}
	var groupOf string // run id that named the group, for the error message
	for i, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("merge results: entry %d is nil", i)
		}
		if r.RunID != "" && seen[r.RunID] {
			return nil, fmt.Errorf("merge results: run %s appears twice; pass each results.json once", r.RunID)
		}
		seen[r.RunID] = true
		if r.Group != "" {
			if rep.Group != "" && rep.Group != r.Group {
				return nil, fmt.Errorf("merge results: run %s belongs to drill run %q but run %s to %q; report different drill runs separately",
					r.RunID, r.Group, groupOf, rep.Group)
			}
			rep.Group, groupOf = r.Group, r.RunID
		}
		rep.Verdict = worst(rep.Verdict, r.Verdict)
		if rep.StartedAt.IsZero() || r.StartedAt.Before(rep.StartedAt) {
			rep.StartedAt = r.StartedAt
		}
		if r.FinishedAt.After(rep.FinishedAt) {
			rep.FinishedAt = r.FinishedAt
		}
		rep.Drills = append(rep.Drills, r)
	}
	sort.SliceStable(rep.Drills, func(i, j int) bool {
		a, b := rep.Drills[i], rep.Drills[j]
		if a.Feature != b.Feature {
			return a.Feature < b.Feature
		}
		if a.Scenario != b.Scenario {
			return a.Scenario < b.Scenario
		}
		if a.Shard != b.Shard {
			return a.Shard < b.Shard
		}
		return a.StartedAt.Before(b.StartedAt)
	})
	return rep, nil
}

// ShardFile is the manifest every sharded `drdrill run` writes into its output directory: it
// says the shard ran even when it selected no scenario (and so wrote no results.json), so that
// a merge can tell an empty shard from a missing one.
const ShardFile = "shard.json"

// ShardManifest is the content of ShardFile.
type ShardManifest struct {
	Group     string `json:"group"`
	Shard     string `json:"shard"` // i/n
	Scenarios int    `json:"scenarios"`
}

// CheckShards says which shards of a sharded drill run are missing: every i of i/n must have
// results, or a manifest saying it selected no scenario. Unsharded results need nothing.
func CheckShards(rs []*results.Results, manifests []ShardManifest) error {
	n := 0
	have := map[int]bool{}
	note := func(shard string) error {
		var i, of int
		if _, err := fmt.Sscanf(shard, "%d/%d", &i, &of); err != nil || i < 1 || i > of {
			return fmt.Errorf("merge results: shard %q: want i/n", shard)
		}
		if n != 0 && of != n {
			return fmt.Errorf("merge results: shard %s of a run split in %d shards: results of differently sharded runs do not merge", shard, n)
		}
		n = of
		have[i] = true
		return nil
	}
	for _, r := range rs {
		if r.Shard != "" {
			if err := note(r.Shard); err != nil {
				return err
			}
		}
	}
	// A manifest stands in for results only for a shard that had nothing to run: one that
	// selected scenarios and left no results.json did not finish (or its upload was lost).
	var unfinished []string
	for _, m := range manifests {
		if m.Scenarios > 0 {
			var i, of int
			if _, err := fmt.Sscanf(m.Shard, "%d/%d", &i, &of); err == nil && !have[i] {
				unfinished = append(unfinished, fmt.Sprintf("%s (%d scenarios)", m.Shard, m.Scenarios))
			}
			continue
		}
		if err := note(m.Shard); err != nil {
			return err
		}
	}
	if len(unfinished) > 0 {
		return fmt.Errorf("merge results: shard %s selected scenarios but left no results.json: it did not finish, or its outputs were not uploaded", strings.Join(unfinished, ", "))
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge results: shard %s missing: neither a results.json nor a %s of it was given (did its job fail before uploading?)", strings.Join(missing, ", "), ShardFile)
	}
	return nil
}
