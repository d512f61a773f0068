package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests never start a stack: bad input must be refused by the check, before the first
// container, and the check of every real feature must pass.

func run(t *testing.T, opt Options) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	opt.Stdout, opt.Stderr = &stdout, &stderr
	if opt.Out == "" {
		opt.Out = t.TempDir()
	}
	_, err := Run(context.Background(), opt)
	return stdout.String() + stderr.String(), err
}

func TestBadInputIsRefusedBeforeAnythingStarts(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []string // all in the output or the error
	}{
		{"unknown step prints godog's snippet", "testdata/unknown-step.feature", []string{
			"testdata/unknown-step.feature:5", "the stack is summoned by incantation",
			"You can implement step definitions for undefined steps with these snippets",
			"func theStackIsSummonedByIncantation() error",
		}},
		{"bad duration names file and line", "testdata/bad-duration.feature", []string{
			`testdata/bad-duration.feature:5: WAL archive timeout: duration "5": 5 has no unit`,
		}},
		{"malformed feature names file and line", "testdata/malformed.feature", []string{
			"testdata/malformed.feature:6:", "testdata/malformed.feature:8:", "malformed feature",
		}},
		{"bad scenario outside the tags is found too", "testdata/mixed.feature", []string{
			`testdata/mixed.feature:10: probe interval "0s": must be more than 0`,
		}},
		{"bad objective lists valid names", "testdata/bad-objective.feature", []string{
			`testdata/bad-objective.feature:5 row 3: unknown objective "uptime"; valid: RTO p50, RTO p95`,
			"bystander lost writes",
		}},
		{"names and counts out of range", "testdata/bad-values.feature", []string{
			`testdata/bad-values.feature:4: unknown fixtures profile "huge": valid profiles are atlassian, quick`,
			"testdata/bad-values.feature:8: profile quick: its faulty ID list names the sites of 10 tenants: a drill on it needs at least 10 tenants, not 5",
			`testdata/bad-values.feature:11: unknown runbook "pray": known runbooks are undo-mark, full-pitr, tenant-restore`,
			`testdata/bad-values.feature:14: unknown mode "shred"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			got, err := run(t, Options{Paths: []string{tt.path}, Tags: "@quick,~@quick", Out: out})
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("err = %v, want bad input\n%s", err, got)
			}
			got += err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			// Nothing ran: no results, no reports.
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("bad input left %d entries in the output directory", len(entries))
			}
		})
	}
}

func TestEveryFeatureChecks(t *testing.T) {
	got, err := run(t, Options{Paths: []string{"../features", "testdata/breach.feature"}, CheckOnly: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
}

// The default set must stay small enough for `make drill` (about 3 minutes on 2 cores: the
// quick drills take 6-30 s each; the three of incident-kinds.feature 5-10 s) and must not
// include the atlassian profile.
func TestDefaultSetIsQuick(t *testing.T) {
	p, err := LoadPlan([]string{"../features"}, DefaultTags, Shard{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Scenarios); n < 2 || n > 11 {
		t.Errorf("default set has %d scenarios, want 2..11", n)
	}
	for _, s := range p.Scenarios {
		if filepath.Base(s.Path) == "atlassian-2022.feature" {
			t.Errorf("%s is in the default set", s.Name)
		}
	}
	all, err := LoadPlan([]string{"../features"}, "", Shard{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default set: %d of %d scenarios", len(p.Scenarios), len(all.Scenarios))
}

func TestNoScenarioMatchingIsBadInput(t *testing.T) {
	_, err := run(t, Options{Paths: []string{"testdata/select.feature"}, Tags: "@nothing"})
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("err = %v, want bad input", err)
	}
}
