package drill

import (
	"slices"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/results"
)

// TestOwnRunbook runs a stack file's own runbooks, written as shell steps with psql, on the
// reference stack: undo-mark done by hand must bring every marked tenant back with nothing
// lost, its steps timed under their names; a step that exits non-zero must fail the runbook
// with its output's tail in the findings.
func TestOwnRunbook(t *testing.T) {
	s, err := LoadStack("testdata/own-runbooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("sql-undo-mark", func(t *testing.T) {
		d := testDrill(t, Config{Scenario: "own runbook", Stack: s})
		ctx := t.Context()
		if err := d.RunIncident(ctx, IncidentSpec{Mode: "mark", IDKind: "site"}); err != nil {
			t.Fatal(err)
		}
		if err := d.RunRunbook(ctx, "sql-undo-mark"); err != nil {
			t.Fatal(err)
		}
		if err := d.End(ctx); err != nil {
			t.Fatal(err)
		}
		r := d.Results()
		sm := r.Summary
		if sm.AffectedTenants == 0 || sm.RestoredTenants != sm.AffectedTenants || sm.LostWrites != 0 || sm.CollateralLost != 0 {
			t.Errorf("restored %d of %d tenants, lost %d, collateral %d; want all restored, nothing lost",
				sm.RestoredTenants, sm.AffectedTenants, sm.LostWrites, sm.CollateralLost)
		}
		for _, name := range []string{"clear the marks made since T0", "no site is left marked"} {
			if !slices.ContainsFunc(r.Runbook.Steps, func(st results.Step) bool { return st.Name == name && st.Error == "" && st.DurationMS > 0 }) {
				t.Errorf("no successful timed step %q in %+v", name, r.Runbook.Steps)
			}
		}
		t.Logf("NOTE own runbook: RTO max %v, steps %+v", ms(sm.RTOMaxMS), r.Runbook.Steps)
	})
	t.Run("a failing step", func(t *testing.T) {
		d := testDrill(t, Config{Scenario: "own runbook fails", Stack: s})
		ctx := t.Context()
		if err := d.RunIncident(ctx, IncidentSpec{Mode: "mark", IDKind: "site"}); err != nil {
			t.Fatal(err)
		}
		err := d.RunRunbook(ctx, "broken-restore")
		if err == nil || !strings.Contains(err.Error(), `step "restore from a dump that is not there"`) || !strings.Contains(err.Error(), "exit 3") {
			t.Fatalf("err = %v, want the failing step named with its exit code", err)
		}
		r := d.Results()
		if !slices.ContainsFunc(r.Findings, func(f string) bool { return strings.Contains(f, "could not open input file /backups/nope.dump") }) {
			t.Errorf("findings %q lack the step's output", r.Findings)
		}
	})
	t.Run("unknown runbook", func(t *testing.T) {
		d := New(Config{Stack: s})
		if err := d.CheckRunbook("sql-undo-marks"); err == nil || !strings.Contains(err.Error(), "sql-undo-mark") {
			t.Errorf("err = %v, want the known runbooks listed, the stack file's among them", err)
		}
	})
}
