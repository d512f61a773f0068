package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/reports"
	"github.com/drdrill/drdrill/results"
)

// These tests start real stacks (Docker, the drdrill images), as `make test` does; -short
// skips them:
//
//	go test ./runner -run 'TestFeatures|TestBreached' -v -timeout 20m

// TestFeatures is the `go test` entry point of the features: TestTags (the default set and the
// other stacks' quick drills), each scenario a subtest. DRDRILL_OUT keeps the outputs;
// DRDRILL_TAGS picks another set.
func TestFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containers: not in -short mode")
	}
	out := os.Getenv("DRDRILL_OUT")
	if out == "" {
		out = t.TempDir()
	}
	tags := os.Getenv("DRDRILL_TAGS")
	if tags == "" {
		tags = TestTags
	}
	o, err := Run(context.Background(), Options{Paths: []string{"../features"}, Tags: tags, Out: out, CI: true, TestingT: t})
	if err != nil {
		t.Fatalf("%v (outputs in %s)", err, out)
	}
	for _, r := range o.Records {
		if _, err := os.Stat(r.Path); err != nil {
			t.Errorf("%s: no results.json: %v", r.Scenario.Slug, err)
		}
	}
}

// A breached objective makes the run fail with ErrBreached (exit status 1), writes every
// output anyway, and shows the breach in junit.xml; results.json carries the breached verdict
// and no error (the drill finished).
func TestBreachedObjectiveFailsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containers: not in -short mode")
	}
	out := t.TempDir()
	history := filepath.Join(out, "history")
	o, err := Run(context.Background(), Options{Paths: []string{"testdata/breach.feature"}, Out: out, CI: true, HistoryDir: history})
	if !errors.Is(err, ErrBreached) {
		t.Fatalf("err = %v, want a breach (outputs in %s)", err, out)
	}
	if len(o.Records) != 1 {
		t.Fatalf("%d records, want 1", len(o.Records))
	}
	res, err := results.ReadFile(o.Records[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != results.StatusBreached || res.Error != "" {
		t.Errorf("results.json: verdict %q error %q, want breached and no error", res.Verdict, res.Error)
	}
	if past, err := reports.LoadHistory(history, res.Scenario, nil); err != nil || len(past) != 1 {
		t.Errorf("history of %q: %d drills (err %v), want this one", res.Scenario, len(past), err)
	}
	junit, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(junit), "<failure") || !strings.Contains(string(junit), "RTO p95") {
		t.Errorf("junit.xml does not show the RTO p95 breach:\n%s", junit)
	}
	for _, f := range []string{"cucumber.json", "summary.md", "report.html", "godog-junit.xml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}
