package reports

import (
	"errors"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/results"
)

func TestMerge(t *testing.T) {
	p := loadSample(t, "results-pass-tenant-restore.json")
	f := loadSample(t, "results-fail-full-pitr.json")
	n := loadSample(t, "results-never-restored.json")

	rep, err := Merge([]*results.Results{p, f})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != results.StatusBreached || rep.Group != "nightly-2026-11-24" || len(rep.Drills) != 2 {
		t.Errorf("verdict %s group %q drills %d", rep.Verdict, rep.Group, len(rep.Drills))
	}
	if rep.Drills[0] != f || rep.Drills[1] != p { // ordered by feature, then scenario name
		t.Errorf("order: %s, %s", rep.Drills[0].Scenario, rep.Drills[1].Scenario)
	}
	if !rep.StartedAt.Equal(p.StartedAt) || !rep.FinishedAt.Equal(f.FinishedAt) {
		t.Errorf("window %v – %v", rep.StartedAt, rep.FinishedAt)
	}

	// Shards of one run: the verdict is the worst of theirs.
	for _, c := range []struct {
		verdicts []results.Status
		want     results.Status
	}{
		{[]results.Status{"ok", "ok"}, "ok"},
		{[]results.Status{"ok", "unknown"}, "unknown"},
		{[]results.Status{"unknown", "breached", "ok"}, "breached"},
	} {
		var rs []*results.Results
		for i, v := range c.verdicts {
			rs = append(rs, &results.Results{RunID: string(rune('a' + i)), Group: "g", Shard: string(rune('1'+i)) + "/3", Verdict: v})
		}
		rep, err := Merge(rs)
		if err != nil || rep.Verdict != c.want {
			t.Errorf("verdicts %v: got %v %v, want %s", c.verdicts, rep, err, c.want)
		}
	}

	if _, err := Merge([]*results.Results{p, n}); err == nil || !strings.Contains(err.Error(), "different drill runs") {
		t.Errorf("merging two drill runs: %v", err)
	}
	if _, err := Merge([]*results.Results{p, p}); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("merging a run twice: %v", err)
	}
	if _, err := Merge(nil); !errors.Is(err, ErrNoResults) {
		t.Errorf("merging nothing: %v", err)
	}
	// Files written before the group field existed merge with anything.
	old := *n
	old.Group = ""
	if _, err := Merge([]*results.Results{p, &old}); err != nil {
		t.Errorf("merging a file without group: %v", err)
	}
}

func TestCheckShards(t *testing.T) {
	res := func(shards ...string) []*results.Results {
		var rs []*results.Results
		for _, s := range shards {
			rs = append(rs, &results.Results{Shard: s})
		}
		return rs
	}
	empty := func(s string) ShardManifest { return ShardManifest{Shard: s} }
	ran := func(s string, n int) ShardManifest { return ShardManifest{Shard: s, Scenarios: n} }
	tests := []struct {
		name      string
		rs        []*results.Results
		manifests []ShardManifest
		want      string // "" = complete
	}{
		{"unsharded", res("", ""), nil, ""},
		{"every shard has results", res("1/2", "2/2"), []ShardManifest{ran("1/2", 1), ran("2/2", 1)}, ""},
		{"an empty shard has only its manifest", res("1/2"), []ShardManifest{ran("1/2", 1), empty("2/2")}, ""},
		{"the last shard missing", res("1/3", "2/3"), nil, "shard 3/3 missing"},
		{"a middle shard missing", res("1/3", "3/3"), nil, "shard 2/3 missing"},
		{"a shard that ran but left no results", res("1/2"), []ShardManifest{ran("1/2", 1), ran("2/2", 3)}, "shard 2/2 (3 scenarios) selected scenarios but left no results.json"},
		{"differently sharded runs", res("1/2", "1/3"), nil, "differently sharded runs"},
		{"a bad shard", res("3/2"), nil, `shard "3/2": want i/n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckShards(tt.rs, tt.manifests)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("CheckShards = %v, want %q", err, tt.want)
			}
		})
	}
}
