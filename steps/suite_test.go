package steps

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/drdrill/drdrill/results"
)

// A scenario that fails still leaves results.json, with the step's error in it, and closes
// its drill. The failing step is a configuration step, so no container is ever involved.
func TestAfterHookWritesResultsOfAFailedScenario(t *testing.T) {
	dir := t.TempDir()
	var recs []Record
	s := Suite{
		Scenario: func(sc *godog.Scenario) (*Scenario, error) {
			return &Scenario{RunID: "test-01", Slug: "s", Feature: sc.Uri, Dir: dir, Group: "g", Shard: "1/2",
				Steps: map[string]Source{}}, nil
		},
		Done: func(r Record) { recs = append(recs, r) },
	}
	var out bytes.Buffer
	status := godog.TestSuite{
		ScenarioInitializer: s.InitializeScenario,
		Options: &godog.Options{Format: "progress", Output: &out, NoColors: true, Strict: true,
			FeatureContents: []godog.Feature{{Name: "x.feature", Contents: []byte(`Feature: x
  @quick
  Scenario: a profile nobody has
    Given a drill on the "huge" profile
    And the reference stack is running
`)}}},
	}.Run()
	if status != 1 {
		t.Fatalf("godog status %d, want 1\n%s", status, out.String())
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r, err := results.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Error, `unknown fixtures profile "huge"`) {
		t.Errorf("results.json error = %q, want the step's error", r.Error)
	}
	if r.RunID != "test-01" || r.Group != "g" || r.Shard != "1/2" || r.Scenario != "a profile nobody has" ||
		r.Feature != "x.feature" || len(r.Tags) != 1 || r.Tags[0] != "@quick" {
		t.Errorf("results.json identity: %+v", r)
	}
}

func TestInputErrorsNameTheirSource(t *testing.T) {
	src := Source{File: "f.feature", Line: 7}
	tests := []struct {
		err  error
		want string
	}{
		{&inputError{src: src, err: errString("bad duration")}, "f.feature:7: bad duration"},
		{&inputError{src: src, err: errString("f.feature:7 row 2: unknown objective")}, "f.feature:7 row 2: unknown objective"},
		{&inputError{err: errString("x")}, "(unknown source): x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
