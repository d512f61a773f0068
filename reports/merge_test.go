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
