package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistory(t *testing.T) {
	dir := t.TempDir()
	if got, err := LoadHistory(dir, "nothing yet", nil); err != nil || len(got) != 0 {
		t.Fatalf("empty history: %v %v", got, err)
	}
	base := loadSample(t, "results-pass-tenant-restore.json")
	var ids []string
	for i, day := range []int{3, 1, 2} { // appended out of order
		r := *base
		r.RunID = "run-" + string(rune('a'+i))
		r.StartedAt, r.FinishedAt = base.StartedAt.AddDate(0, 0, day), base.FinishedAt.AddDate(0, 0, day)
		path, err := AppendHistory(dir, &r)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(dir, "purge-with-site-ids-restored-tenant-by-tenant", r.StartedAt.Format("20060102T150405Z")+"-"+r.RunID+".json")
		if path != want {
			t.Errorf("path %s, want %s", path, want)
		}
		ids = append(ids, r.RunID)
		if i == 0 {
			// Recording the same drill again (a re-render) must not add a point.
			if _, err := AppendHistory(dir, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := loadSample(t, "results-fail-full-pitr.json")
	if _, err := AppendHistory(dir, other); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistory(dir, base.Scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range got {
		order = append(order, r.RunID)
	}
	if strings.Join(order, ",") != "run-b,run-c,run-a" {
		t.Errorf("history order %v, want run-b,run-c,run-a (oldest first, one file per drill)", order)
	}

	// A corrupt file is skipped with a warning naming it: the other points stay.
	bad := filepath.Join(dir, "purge-with-site-ids-restored-tenant-by-tenant", "20270101T000000Z-x.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn strings.Builder
	if got, err := LoadHistory(dir, base.Scenario, &warn); err != nil || len(got) != 3 || !strings.Contains(warn.String(), "skipped "+bad) {
		t.Errorf("corrupt history file: %d points, err %v, warning %q; want 3, nil, one naming it", len(got), err, warn.String())
	}
}
