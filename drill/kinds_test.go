package drill

import (
	"fmt"
	"testing"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// corruptTruth is what the ledger alone says a corrupting UPDATE of the victim sites did to
// the writes: for each key of a victim site, the last acknowledged write before T0 held the
// value the UPDATE overwrote (it committed before the script started); it is changed for good
// unless a later write of the key superseded it.
type corruptTruth struct {
	overwritten int // keys whose last write was acknowledged before T0, none written since
	uncertain   int // keys written after T0 too: before the UPDATE reached them (changed) or after (not)
	afterT0     int // of those, keys whose last acknowledged write came between T0 and the script's end
}

func countCorrupted(writes []measure.Write, victims map[int64]bool, t0, end time.Time) corruptTruth {
	type keyState struct {
		ackedBefore, laterAny bool
		lastAcked             time.Time
	}
	keys := map[string]*keyState{}
	for _, w := range writes {
		if !victims[w.Site] {
			continue
		}
		k := fmt.Sprint(w.Site, "/", w.Key)
		st := keys[k]
		if st == nil {
			st = &keyState{}
			keys[k] = st
		}
		switch {
		case w.Outcome == measure.Acked && w.At.Before(t0):
			st.ackedBefore = true
		case !w.At.Before(t0):
			st.laterAny = true
		}
		if w.Outcome == measure.Acked && w.At.After(st.lastAcked) {
			st.lastAcked = w.At
		}
	}
	var c corruptTruth
	for _, st := range keys {
		switch {
		case st.ackedBefore && !st.laterAny:
			c.overwritten++
		case st.laterAny:
			c.uncertain++
			if !st.lastAcked.Before(t0) && !st.lastAcked.After(end) {
				c.afterT0++
			}
		}
	}
	return c
}

// TestCorruptingUpdateGroundTruth: the cleanup script in corrupt mode rewrites every record of
// the 12 listed sites with garbage, updated_at left as it was. Without a runbook, the report's
// changed writes must be what the ledger alone says the UPDATE overwrote (exactly, with the
// traffic stopped at T0; within the keys written after T0, with it flowing), and the seeded
// rows of exactly the listed tenants differ from the manifest. After tenant-repair nothing is
// changed or lost, every affected tenant is restored, and no write acknowledged after T0 is lost.
func TestCorruptingUpdateGroundTruth(t *testing.T) {
	for _, c := range []struct {
		name, runbook string
		stopTraffic   bool // at T0: every write the UPDATE can overwrite was acknowledged before it
		batch         int  // sites a transaction (0: all 12 in one)
		tool          stack.BackupTool
	}{
		{"no runbook, traffic stopped at T0", "", true, 0, ""},
		{"no runbook, traffic flowing", "", false, 0, ""},
		{"tenant-repair", "tenant-repair", false, 0, ""},
		// Three corrupting transactions a second apart: the side db stops before each in turn,
		// and the writes between T0 and a later batch survive (a side at T0 would lose them).
		{"tenant-repair, 3 batches", "tenant-repair", false, 4, ""},
		{"tenant-repair, pgbackrest", "tenant-repair", false, 0, stack.PgBackRest},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			cfg := Config{Scenario: "ground truth: corrupting update " + c.name, BackupTool: c.tool}
			if c.batch > 0 {
				cfg.ScriptBatch, cfg.ScriptPause = c.batch, time.Second
			}
			d := testDrill(t, cfg)
			ctx := t.Context()
			// Enough writes on the listed sites before T0 for the counts to mean something.
			if err := waitFor(ctx, 30*time.Second, func() (bool, error) { return d.ledger.Acked() >= 1000, nil }); err != nil {
				t.Fatal(err)
			}
			if c.stopTraffic {
				d.traffic.Stop()
				if err := d.ledger.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.RunIncident(ctx, IncidentSpec{Mode: "corrupt", IDKind: "site"}); err != nil {
				t.Fatal(err)
			}
			r := d.Results()
			if r.Incident.ExitCode != 0 || r.Incident.AffectedTenants != 10 || r.Incident.AffectedSites != 0 {
				t.Fatalf("incident: exit %d, changed %d tenants, %d sites gone; want exit 0, the 10 listed tenants, no site gone\n%s",
					r.Incident.ExitCode, r.Incident.AffectedTenants, r.Incident.AffectedSites, r.Incident.Log)
			}
			if c.runbook != "" {
				if err := d.RunRunbook(ctx, c.runbook); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.End(ctx); err != nil {
				t.Fatal(err)
			}
			r = d.Results()
			s := r.Summary
			victims := map[int64]bool{}
			for _, id := range d.targets.SiteIDs {
				victims[id] = true
			}
			end := d.t0.Add(results.Duration(r.Incident.DurationMS))
			truth := countCorrupted(d.ledger.Writes(), victims, d.t0, end)
			listed := map[int64]bool{}
			for _, id := range d.affected {
				listed[id] = true
			}
			var seededDiff int
			for _, tn := range r.Tenants {
				if !tn.DataMatches {
					seededDiff++
					if !listed[tn.ID] {
						t.Errorf("tenant %d: seeded rows differ, but it is not in the blast radius", tn.ID)
					}
				}
			}
			t.Logf("NOTE corrupt %s: ledger: %d keys overwritten before T0, %d written after T0 too (%d last acknowledged between T0 and the script's end); "+
				"report: changed %d, lost %d, collateral %d, %d tenants' seeded rows differ, restored %d/%d, RTO max %v, runbook %v, incident %v, wall %s",
				c.name, truth.overwritten, truth.uncertain, truth.afterT0, s.ChangedWrites, s.LostWrites, s.CollateralLost, seededDiff,
				s.RestoredTenants, s.AffectedTenants, ms(s.RTOMaxMS), results.Duration(r.Runbook.DurationMS), results.Duration(r.Incident.DurationMS), time.Since(start).Round(time.Second))
			if truth.overwritten == 0 {
				t.Fatal("the ledger shows no write on the listed sites before T0: nothing to check")
			}
			if s.LostWrites != 0 || s.CollateralLost != 0 || s.BystanderLost != 0 {
				t.Errorf("lost %d, collateral %d, bystander loss %d: an UPDATE loses no write", s.LostWrites, s.CollateralLost, s.BystanderLost)
			}
			if c.runbook == "" {
				if c.stopTraffic && (truth.uncertain != 0 || s.ChangedWrites != truth.overwritten) {
					t.Errorf("changed writes %d, want exactly the %d the ledger says the UPDATE overwrote (%d keys written after T0)", s.ChangedWrites, truth.overwritten, truth.uncertain)
				}
				if !c.stopTraffic && (s.ChangedWrites < truth.overwritten || s.ChangedWrites > truth.overwritten+truth.uncertain) {
					t.Errorf("changed writes %d, want %d (+ up to %d keys written after T0)", s.ChangedWrites, truth.overwritten, truth.uncertain)
				}
				if seededDiff != len(d.affected) || s.RestoredTenants != 0 {
					t.Errorf("%d tenants' seeded rows differ, %d restored; want all %d listed tenants differing, none restored", seededDiff, s.RestoredTenants, len(d.affected))
				}
				return
			}
			if s.ChangedWrites != 0 || seededDiff != 0 {
				t.Errorf("after %s: changed writes %d, %d tenants' seeded rows differ; want 0 and 0", c.runbook, s.ChangedWrites, seededDiff)
			}
			if s.RestoredTenants != s.AffectedTenants || s.AffectedTenants != 10 {
				t.Errorf("restored %d of %d affected tenants, want all 10", s.RestoredTenants, s.AffectedTenants)
			}
		})
	}
}

// TestTruncateGroundTruth: a migration truncates records, the table every tenant's content is
// in. The blast radius is every tenant (no site gone); full-pitr restores every tenant (and
// rolls back every write after T0: collateral); tenant-restore copies every tenant's rows back
// through its live-wins copy: every tenant restored, and only writes acknowledged between T0
// and the truncate's end can be lost (the TRUNCATE took them, the side at T0 never had them).
func TestTruncateGroundTruth(t *testing.T) {
	for _, runbook := range []string{"full-pitr", "tenant-restore"} {
		t.Run(runbook, func(t *testing.T) {
			start := time.Now()
			d := testDrill(t, Config{Scenario: "ground truth: truncate, " + runbook})
			ctx := t.Context()
			if err := d.RunIncident(ctx, IncidentSpec{Mode: "truncate", Table: "records"}); err != nil {
				t.Fatal(err)
			}
			r := d.Results()
			tenants := d.profile.Tenants
			if r.Incident.ExitCode != 0 || r.Incident.AffectedTenants != tenants || r.Incident.AffectedSites != 0 {
				t.Fatalf("incident: exit %d, changed %d tenants, %d sites gone; want exit 0, all %d tenants, no site gone\n%s",
					r.Incident.ExitCode, r.Incident.AffectedTenants, r.Incident.AffectedSites, tenants, r.Incident.Log)
			}
			if err := d.RunRunbook(ctx, runbook); err != nil {
				t.Fatal(err)
			}
			if err := d.End(ctx); err != nil {
				t.Fatal(err)
			}
			r = d.Results()
			s := r.Summary
			end := d.t0.Add(results.Duration(r.Incident.DurationMS))
			var window int // acknowledged between T0 and the truncate's end
			for _, w := range d.ledger.Writes() {
				if w.Outcome == measure.Acked && !w.At.Before(d.t0) && !w.At.After(end) {
					window++
				}
			}
			t.Logf("NOTE truncate %s: restored %d/%d, lost %d, changed %d, collateral %d (%d acknowledged between T0 and the truncate's end), "+
				"RTO p50 %v max %v, runbook %v in %d steps, wall %s",
				runbook, s.RestoredTenants, s.AffectedTenants, s.LostWrites, s.ChangedWrites, s.CollateralLost, window,
				ms(s.RTOP50MS), ms(s.RTOMaxMS), results.Duration(r.Runbook.DurationMS), len(r.Runbook.Steps), time.Since(start).Round(time.Second))
			if s.RestoredTenants != tenants || s.AffectedTenants != tenants {
				t.Errorf("restored %d of %d affected tenants, want all %d", s.RestoredTenants, s.AffectedTenants, tenants)
			}
			if s.LostWrites != 0 || s.ChangedWrites != 0 {
				t.Errorf("lost %d, changed %d writes acknowledged before T0: want none", s.LostWrites, s.ChangedWrites)
			}
			if runbook == "tenant-restore" && s.CollateralLost > window {
				t.Errorf("collateral %d: tenant-restore keeps every write after the truncate; at most the %d acknowledged between T0 and its end may go", s.CollateralLost, window)
			}
			if runbook == "full-pitr" && s.CollateralLost <= window {
				t.Errorf("collateral %d: full-pitr rolls back every write after T0, more than the %d before the truncate's end", s.CollateralLost, window)
			}
		})
	}
}
