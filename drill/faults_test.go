package drill

import (
	"slices"
	"testing"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
)

// TestFaultsDuringRecovery runs a 30-tenant drill per fault, injected with Inject as the
// feature step does, and checks each outcome against ground truth: what the runbook recovered
// (every affected tenant verified restored, the retried step) or what it lost (the writes
// acknowledged after the last base backup, when the WAL after it is gone).
func TestFaultsDuringRecovery(t *testing.T) {
	cases := []struct {
		fault, runbook string
		twoBackups     bool
		check          func(t *testing.T, d *Drill, r *results.Results)
	}{
		{"db-killed", "tenant-restore", false, func(t *testing.T, d *Drill, r *results.Results) {
			mustNil(t, d.CheckStepAttempts("copy tenants", 2))
			mustNil(t, d.CheckFinding("fault db-killed: the live database was killed"))
			allRestored(t, r)
			if r.Summary.LostWrites != 0 {
				t.Errorf("lost %d writes acknowledged before T0, want 0: the kill loses nothing committed", r.Summary.LostWrites)
			}
		}},
		{"corrupt-base-backup", "full-pitr", true, func(t *testing.T, d *Drill, r *results.Results) {
			mustNil(t, d.CheckFinding("fell back to the older base backup base-1"))
			if !slices.ContainsFunc(r.Runbook.Steps, func(s results.Step) bool { return s.Name == "replace data directory with base-1" }) {
				t.Errorf("full-pitr did not restore base-1")
			}
			allRestored(t, r)
		}},
		{"wal-segment-missing", "tenant-restore", false, func(t *testing.T, d *Drill, r *results.Results) {
			mustNil(t, d.CheckFinding("is missing from the archive"))
			mustNil(t, d.CheckFinding("deleted WAL segment"))
			// The deleted segment is the first after the only base backup (taken after
			// seeding, before traffic): every write to a purged site acknowledged after the
			// backup and before T0 is lost, so the RPO is at least T0 − the backup's end.
			// (Writes to an affected tenant's surviving site are never touched.)
			bk := d.backups.List()[0]
			purged := map[int64]bool{}
			for _, id := range d.idList {
				purged[id] = true
			}
			// A key the traffic wrote again once its site was back shows that later value:
			// its earlier writes are not observably lost, and not counted here.
			type siteKey struct {
				site int64
				key  string
			}
			// A rewrite of unknown outcome may or may not have landed; one acknowledged
			// before the incident ended was purged with its site and masks nothing.
			incidentEnd := d.t0.Add(time.Duration(r.Incident.DurationMS * float64(time.Millisecond)))
			rewritten, maybe := map[siteKey]bool{}, map[siteKey]bool{}
			for _, w := range d.ledger.Writes() {
				if !w.At.Before(d.t0) {
					if w.Outcome == measure.Acked && w.At.After(incidentEnd) {
						rewritten[siteKey{w.Site, w.Key}] = true
					} else {
						maybe[siteKey{w.Site, w.Key}] = true
					}
				}
			}
			var after, during int // surely lost; perhaps lost (during the backup, or rewritten with an unknown outcome)
			var firstLost time.Time
			for _, w := range d.ledger.Writes() {
				if w.Outcome != measure.Acked || !purged[w.Site] || !w.At.Before(d.t0) || rewritten[siteKey{w.Site, w.Key}] {
					continue
				}
				switch {
				case w.At.After(bk.Finished) && maybe[siteKey{w.Site, w.Key}]:
					during++ // counted as an upper bound only
				case w.At.After(bk.Finished):
					after++
					if firstLost.IsZero() || w.At.Before(firstLost) {
						firstLost = w.At
					}
				case w.At.After(bk.Started):
					during++
				}
			}
			s := r.Summary
			if after == 0 {
				t.Fatalf("no write to a purged site acknowledged between the backup and T0: the test shows nothing")
			}
			// A key written before and after the backup comes back with its older value:
			// changed, not lost.
			if got := s.LostWrites + s.ChangedWrites; got < after || got > after+during {
				t.Errorf("lost %d + changed %d writes, want the %d acknowledged after base-1 (up to %d more)", s.LostWrites, s.ChangedWrites, after, during)
			}
			if s.RPOMaxMS < results.MS(d.t0.Sub(firstLost)) {
				t.Errorf("RPO max %.0f ms, want ≥ T0 − the first such write's ack = %.0f ms", s.RPOMaxMS, results.MS(d.t0.Sub(firstLost)))
			}
			if ceiling := results.MS(d.t0.Sub(bk.Started)); s.RPOMaxMS > ceiling {
				t.Errorf("RPO max %.0f ms, want ≤ T0 − base-1's start = %.0f ms", s.RPOMaxMS, ceiling)
			}
			allRestored(t, r) // restored as of the archive's gap: seeded data is all there
		}},
	}
	for _, c := range cases {
		t.Run(c.fault+"/"+c.runbook, func(t *testing.T) {
			start := time.Now()
			d := testDrill(t, Config{Scenario: "fault " + c.fault, Tenants: 30})
			ctx := t.Context()
			if c.twoBackups {
				mustNil(t, d.BaseBackup(ctx))
			}
			mustNil(t, d.RunIncident(ctx, IncidentSpec{Mode: "purge", IDKind: "site"}))
			mustNil(t, d.Inject(ctx, c.fault))
			mustNil(t, d.RunRunbook(ctx, c.runbook))
			if err := d.Inject(ctx, c.fault); err == nil {
				t.Errorf("Inject after the runbook: want an error")
			}
			mustNil(t, d.End(ctx))
			r := d.Results()
			if !slices.Equal(r.Params.Faults, []string{c.fault}) {
				t.Errorf("results params faults %v, want [%s]", r.Params.Faults, c.fault)
			}
			for _, f := range r.Findings {
				t.Logf("finding: %s", f)
			}
			c.check(t, d, r)
			t.Logf("NOTE %s during %s: runbook %.1fs, RTO p50 %v p95 %v max %v, RPO max %.0f ms, lost %d, restored %d/%d, wall %s",
				c.fault, c.runbook, r.Runbook.DurationMS/1000, ms(r.Summary.RTOP50MS), ms(r.Summary.RTOP95MS), ms(r.Summary.RTOMaxMS),
				r.Summary.RPOMaxMS, r.Summary.LostWrites, r.Summary.RestoredTenants, r.Summary.AffectedTenants, time.Since(start).Round(time.Second))
		})
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func allRestored(t *testing.T, r *results.Results) {
	t.Helper()
	if s := r.Summary; s.AffectedTenants == 0 || s.RestoredTenants != s.AffectedTenants {
		t.Errorf("restored %d of %d affected tenants", s.RestoredTenants, s.AffectedTenants)
	}
}
