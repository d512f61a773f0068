package drill

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
)

// TestJudge holds Judge against hand-made histories whose answer is known: what the history
// recorded is carried as is, findings come in the order incident, runbook, assessment, and
// only a drill that ended has figures and a verdict.
func TestJudge(t *testing.T) {
	t0 := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	id := Identity{RunID: "g-01-abcd", Group: "g", Shard: "1/2", Feature: "f.feature", Scenario: "s", Tags: []string{"@quick"}}
	refused := &IncidentRecord{
		Run:   scenarios.IncidentResult{T0: t0, Duration: 1500 * time.Millisecond, ExitCode: 3, Refused: true, IDs: 12, Log: "start\nrefused: 30 sites > max-scope 10"},
		Blast: scenarios.BlastRadius{},
	}
	purged := &IncidentRecord{
		Run:      scenarios.IncidentResult{T0: t0, Duration: time.Second, IDs: 2},
		Blast:    scenarios.BlastRadius{Tenants: []int64{1}, Sites: []int64{10, 11}, Users: 7},
		Assessed: 1250 * time.Millisecond,
	}
	crashed := &IncidentRecord{Run: scenarios.IncidentResult{T0: t0, ExitCode: 1, Log: "panic: boom"}}
	runbook := &RunbookRecord{Steps: results.Runbook{Name: "tenant-restore", DurationMS: 900}, Findings: []string{"fault db-killed: killed"}}
	// Tenant 1 is affected and loses its write acknowledged 2 s before T0; tenant 2 keeps its.
	observed := func() *measure.Input {
		return &measure.Input{
			T0:       t0,
			Tenants:  []measure.TenantInfo{{ID: 1, Name: "one", Users: 7}, {ID: 2, Name: "two", Users: 3}},
			Affected: []int64{1},
			Writes: []measure.Write{
				{Seq: 1, Tenant: 1, Site: 10, Key: "live-1", Value: "v1", At: t0.Add(-2 * time.Second), Outcome: measure.Acked},
				{Seq: 2, Tenant: 2, Site: 20, Key: "live-2", Value: "v2", At: t0.Add(-time.Second), Outcome: measure.Acked},
			},
			Final: []measure.Record{{Tenant: 2, Site: 20, Key: "live-2", Value: "v2"}},
		}
	}
	lostZero, err := measure.ParseObjectives([][]string{{"lost writes", "0"}}, "judge_test.go:1")
	if err != nil {
		t.Fatal(err)
	}
	breach := fmt.Errorf("step 7: %w", ErrBreached)
	readyObjs, err := measure.ParseObjectives([][]string{{"backup age at T0", "10m"}, {"WAL archive lag at T0", "30s"}}, "judge_test.go:2")
	if err != nil {
		t.Fatal(err)
	}
	deref := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}

	tests := []struct {
		name  string
		h     History
		check func(t *testing.T, r results.Results)
	}{
		{"identity and params as recorded, nothing judged before the end",
			History{Identity: id, StartedAt: t0.Add(-time.Minute), Params: results.Params{Profile: "quick", Seed: 42},
				Phases: []results.Phase{{Name: "stack", DurationMS: 5}}},
			func(t *testing.T, r results.Results) {
				if r.Schema != results.SchemaVersion || r.RunID != id.RunID || r.Group != "g" || r.Shard != "1/2" ||
					r.Feature != "f.feature" || r.Scenario != "s" || !slices.Equal(r.Tags, id.Tags) {
					t.Errorf("identity %+v", r)
				}
				if r.Params.Seed != 42 || len(r.Phases) != 1 || !r.StartedAt.Equal(t0.Add(-time.Minute)) {
					t.Errorf("params %+v phases %+v", r.Params, r.Phases)
				}
				if r.Tenants != nil || r.Objectives != nil || r.Verdict != "" || r.Error != "" {
					t.Errorf("judged before the end: tenants %v objectives %v verdict %q error %q", r.Tenants, r.Objectives, r.Verdict, r.Error)
				}
			}},
		{"a refused script: its exit and last line as a finding",
			History{Identity: id, Incident: refused},
			func(t *testing.T, r results.Results) {
				if !r.Incident.Refused || r.Incident.ExitCode != 3 || r.Incident.DurationMS != 1500 || r.Incident.IDs != 12 || r.Incident.AssessedMS != nil {
					t.Errorf("incident %+v", r.Incident)
				}
				want := []string{"A guardrail refused the faulty script (exit 3): refused: 30 sites > max-scope 10"}
				if !slices.Equal(r.Findings, want) {
					t.Errorf("findings %q, want %q", r.Findings, want)
				}
			}},
		{"a crashed script: its exit as a finding",
			History{Identity: id, Incident: crashed},
			func(t *testing.T, r results.Results) {
				if want := []string{"The faulty script exited 1: panic: boom"}; !slices.Equal(r.Findings, want) {
					t.Errorf("findings %q, want %q", r.Findings, want)
				}
			}},
		{"the blast radius from the data, the runbook, then the assessment",
			History{Identity: id, Incident: purged, Runbook: runbook, Observed: observed(), Objectives: lostZero,
				Traffic: results.Traffic{Acked: 2}, EndedAt: t0.Add(time.Minute)},
			func(t *testing.T, r results.Results) {
				if r.Incident.AffectedTenants != 1 || r.Incident.AffectedSites != 2 || r.Incident.AffectedUsers != 7 {
					t.Errorf("incident %+v, want 1 tenant, 2 sites, 7 users from the blast radius", r.Incident)
				}
				if deref(r.Incident.AssessedMS) != 1250 {
					t.Errorf("the harness's assessment %v ms, want 1250 as recorded", deref(r.Incident.AssessedMS))
				}
				if r.Runbook.Name != "tenant-restore" || r.Findings[0] != "fault db-killed: killed" {
					t.Errorf("runbook %+v findings %q", r.Runbook, r.Findings)
				}
				if r.Summary.LostWrites != 1 || r.Summary.RPOMaxMS != 2000 || r.Traffic.Acked != 2 {
					t.Errorf("summary %+v traffic %+v, want 1 lost write, RPO 2000 ms", r.Summary, r.Traffic)
				}
				if len(r.Objectives) != 1 || r.Objectives[0].Status != results.StatusBreached || r.Verdict != results.StatusBreached {
					t.Errorf("objectives %+v verdict %q, want lost writes 0 breached", r.Objectives, r.Verdict)
				}
				if !r.FinishedAt.Equal(t0.Add(time.Minute)) {
					t.Errorf("finished at %v", r.FinishedAt)
				}
			}},
		{"readiness at T0: backup age and archive lag carried to the incident and judged as objectives",
			History{Identity: id, Observed: observed(), Objectives: readyObjs, Incident: &IncidentRecord{
				Run: purged.Run, Blast: purged.Blast,
				Readiness: &measure.Readiness{LastBackup: "20220405-070000F", LastBackupStop: t0.Add(-38 * time.Minute),
					LastArchivedAt: t0.Add(-4 * time.Second), UnarchivedBytes: 123}}},
			func(t *testing.T, r results.Results) {
				inc := r.Incident
				if inc.LastBackup != "20220405-070000F" || deref(inc.BackupAgeMS) != 38*60_000 || deref(inc.WALArchiveLagMS) != 4000 ||
					inc.UnarchivedWALBytes == nil || *inc.UnarchivedWALBytes != 123 {
					t.Errorf("incident %+v, want last backup 38m old, archive 4s behind, 123 bytes unarchived", inc)
				}
				if len(r.Objectives) != 2 || r.Objectives[0].Status != results.StatusBreached || r.Objectives[1].Status != results.StatusOK {
					t.Errorf("objectives %+v, want backup age at T0 (10m) breached, WAL archive lag at T0 (30s) ok", r.Objectives)
				}
			}},
		{"no readiness read: no figure, objectives on it unknown",
			History{Identity: id, Observed: observed(), Objectives: readyObjs, Incident: purged},
			func(t *testing.T, r results.Results) {
				if r.Incident.BackupAgeMS != nil || r.Incident.WALArchiveLagMS != nil || r.Incident.UnarchivedWALBytes != nil {
					t.Errorf("incident %+v: figures without a reading", r.Incident)
				}
				if r.Objectives[0].Status != results.StatusUnknown || r.Objectives[1].Status != results.StatusUnknown {
					t.Errorf("objectives %+v, want unknown", r.Objectives)
				}
			}},
		{"no incident: the end is T0",
			History{Identity: id, Observed: observed()},
			func(t *testing.T, r results.Results) {
				if !r.Incident.T0.Equal(t0) || r.Verdict != results.StatusOK {
					t.Errorf("T0 %v verdict %q, want %v and ok (no objectives)", r.Incident.T0, r.Verdict, t0)
				}
			}},
		{"a breach alone is a verdict, not an error",
			History{Identity: id, Err: breach},
			func(t *testing.T, r results.Results) {
				if r.Error != "" {
					t.Errorf("error %q, want none", r.Error)
				}
			}},
		{"an unmeasured objective is an error",
			History{Identity: id, Err: errors.Join(breach, fmt.Errorf("step 8: %w", ErrUnmeasured))},
			func(t *testing.T, r results.Results) {
				if r.Error == "" {
					t.Errorf("no error for an unmeasured objective")
				}
			}},
		{"a failed step is an error",
			History{Identity: id, Err: errors.New("start stack: no image")},
			func(t *testing.T, r results.Results) {
				if r.Error != "start stack: no image" {
					t.Errorf("error %q", r.Error)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, Judge(tt.h))
		})
	}
}
