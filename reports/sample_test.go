package reports

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
)

var update = flag.Bool("update", false, "rewrite golden files and sample results in testdata/")

// The three sample drills every golden test reads: the quick-profile tenant-restore that
// passes, the full-pitr that rolls bystanders back, and a tenant-restore that leaves one tenant
// down. What each drill did to each tenant is injected here by hand (see injected); every judged
// figure is computed from those histories by package measure, as in a real drill.
var samples = map[string]func() *results.Results{
	"results-pass-tenant-restore.json": samplePass,
	"results-fail-full-pitr.json":      sampleFullPITR,
	"results-never-restored.json":      sampleNeverRestored,
}

func ms(d time.Duration) float64          { return results.MS(d) }
func sec(s float64) time.Duration         { return time.Duration(s * float64(time.Second)) }
func at(t time.Time, s float64) time.Time { return t.Add(sec(s)) }

var sampleStart = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

func quickParams(runbook string, seed int64) results.Params {
	return results.Params{
		Profile: "quick", Seed: seed, Tenants: 100, Sites: 114, Rows: 26220,
		TrafficRate: 200, ProbeIntervalMS: 250, VerifyIntervalMS: 1000,
		ArchiveTimeoutMS: 10000, BaseBackupEveryMS: 0,
		Mode: "purge", IDKind: "site", Runbook: runbook, Parallelism: 4,
	}
}

var affectedNames = []string{
	"Abbott Logistics", "Birchwood Health", "Calder & Finch", "Dunmore Analytics", "Elkhart Studio",
	"Fenwick Labs", "Granger Freight", "Harlow Dental", "Iverson Capital", "Juniper Schools",
}

// affectedTenants gives the ten affected tenants of the quick profile: 12 sites, 20 users a
// site (tenants 2 and 6 have two sites), restored at rtos (seconds after T0), each detected
// 0.31 s + 0.02 s a tenant after T0.
func affectedTenants(rtos []float64) []injected {
	var ts []injected
	for i, n := range affectedNames {
		sites := 1
		if i == 2 || i == 6 {
			sites = 2
		}
		ts = append(ts, injected{id: int64(1003 + 8*i), name: n, affected: true, sites: sites, users: 20 * sites,
			mttd: 0.31 + 0.02*float64(i), rto: rtos[i]})
	}
	return ts
}

func phases(t0 time.Time, restoreS, verifyS float64) []results.Phase {
	p := []results.Phase{
		{Name: "stack", Start: sampleStart, DurationMS: 4100},
		{Name: "seeding", Start: at(sampleStart, 4.1), DurationMS: 6300},
		{Name: "traffic", Start: at(sampleStart, 10.4), DurationMS: ms(t0.Sub(at(sampleStart, 10.4)))},
		{Name: "incident", Start: t0, DurationMS: 1200},
	}
	p = append(p,
		results.Phase{Name: "restore", Start: at(t0, 5), DurationMS: restoreS * 1000},
		results.Phase{Name: "verification", Start: at(t0, 5+restoreS), DurationMS: verifyS * 1000},
		results.Phase{Name: "reporting", Start: at(t0, 5+restoreS+verifyS), DurationMS: 300},
	)
	return p
}

// injected is what a sample does to one tenant: the ground truth its histories carry. The
// figures of the sample (RTO, MTTD, downtime, lost writes, RPO, percentiles, curve, objectives,
// verdict) are then computed from those histories by the production checkers (measure.Assemble,
// Evaluate, Verdict), never by this file.
type injected struct {
	id           int64
	name         string
	sites, users int
	affected     bool
	mttd, rto    float64 // seconds after T0 the tenant went down and came back; rto < 0: never
	downAt, down float64 // a bystander's outage: start after T0 and length, in seconds
	lost         int     // acknowledged writes before T0 that are absent afterwards ...
	rpo          float64 // ... the earliest of them acknowledged this long before T0
	collateral   int     // acknowledged writes after T0 that are absent afterwards ...
	window       float64 // ... spread over this many seconds from T0+1s
	dataDiffers  bool    // its seeded rows differ from the manifest at the end
}

// histories turns the injected ground truth into the drill's histories as the harness records
// them: the prober's timeline (every site up 40 s before T0, then the injected outages), the
// verifier's samples (every verify interval until the tenant is verified), the ledger and the
// final records.
func histories(t0, end time.Time, probe, verify time.Duration, ts []injected) measure.Input {
	in := measure.Input{T0: t0, Timeline: measure.Timeline{Start: t0.Add(-40 * time.Second), End: end, Interval: probe, MaxGap: probe}}
	var seq int64
	write := func(t injected, site int64, key string, at time.Time, survives bool) {
		seq++
		w := measure.Write{Seq: seq, Tenant: t.id, Site: site, Key: key, Value: fmt.Sprintf("v%d", seq), At: at, Outcome: measure.Acked}
		in.Writes = append(in.Writes, w)
		if survives {
			in.Final = append(in.Final, measure.Record{Tenant: t.id, Site: site, Key: key, Value: w.Value})
		}
	}
	for _, t := range ts {
		in.Tenants = append(in.Tenants, measure.TenantInfo{ID: t.id, Name: t.name, Users: t.users})
		if t.affected {
			in.Affected = append(in.Affected, t.id)
		}
		if t.dataDiffers {
			in.SeededDiff = append(in.SeededDiff, t.id)
		}
		first := t.id * 10
		for k := range t.sites {
			site := first + int64(k)
			in.Timeline.Sites = append(in.Timeline.Sites, measure.SiteRef{ID: site, Tenant: t.id})
			tr := func(at float64, up bool) {
				status, reason := http.StatusOK, "healthy"
				if !up {
					status, reason = http.StatusNotFound, "missing"
				}
				in.Timeline.Transitions = append(in.Timeline.Transitions, measure.Transition{Site: site, Tenant: t.id, At: at2(t0, at), Up: up, Status: status, Reason: reason})
			}
			tr(-40, true)
			switch {
			case t.affected:
				tr(t.mttd, false)
				if t.rto >= 0 {
					tr(t.rto, true)
				}
			case t.down > 0:
				tr(t.downAt, false)
				tr(t.downAt+t.down, true)
			}
		}
		if t.affected {
			// The verifier reads a tenant every verify interval until it is verified.
			back := end
			if t.rto >= 0 {
				back = at2(t0, t.rto)
			}
			for at := at2(t0, t.mttd); at.Before(back); at = at.Add(verify) {
				in.Samples = append(in.Samples, measure.Sample{Tenant: t.id, At: at, Detail: "seeded rows differ"})
			}
			if t.rto >= 0 {
				in.Samples = append(in.Samples, measure.Sample{Tenant: t.id, At: back, DataOK: true})
			}
		}
		write(t, first, "kept-1", at2(t0, -50), true)
		write(t, first, "kept-2", at2(t0, -45), true)
		for i := range t.lost {
			write(t, first, fmt.Sprintf("lost-%d", i), at2(t0, -t.rpo+0.1*float64(i)), false)
		}
		for i := range t.collateral {
			at := 1.0
			if t.collateral > 1 {
				at += t.window * float64(i) / float64(t.collateral-1)
			}
			write(t, first, fmt.Sprintf("collateral-%d", i), at2(t0, at), false)
		}
	}
	return in
}

func at2(t0 time.Time, s float64) time.Time { return t0.Add(sec(s)) }

// judge fills r's judged figures from the histories of ts, through the production checkers,
// against the objectives table rows (as a feature writes it, at source), and adds notes (the
// sample's hand-written findings) after the checkers' own.
func judge(r *results.Results, ts []injected, rows [][]string, source string, notes ...string) {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	in := histories(r.Incident.T0, r.FinishedAt, ms(r.Params.ProbeIntervalMS), ms(r.Params.VerifyIntervalMS), ts)
	a := measure.Assemble(in)
	objs, err := measure.ParseObjectives(rows, source)
	if err != nil {
		panic(err) // the samples' tables are written here: a bad one is a bug of this file
	}
	r.Tenants, r.Summary, r.Curve = a.Tenants, a.Summary, a.Curve
	r.Objectives = measure.Evaluate(objs, a)
	r.Verdict = measure.Verdict(r.Objectives)
	r.Findings = append(a.Findings, notes...)
}

// objectivesTable is the objectives every sample drill is judged against.
var objectivesTable = [][]string{
	{"objective", "target"},
	{"RTO p95", "2m"},
	{"RTO max", "5m"},
	{"RPO max", "30s"},
	{"lost writes", "50"},
	{"bystander lost writes", "0"},
}

func tenantRestoreSteps(batch3 float64, batch3Err string) []results.Step {
	return []results.Step{
		{Name: "find blast radius (diff against manifest)", StartMS: 5000, DurationMS: 1800},
		{Name: "start side database from base backup", StartMS: 6800, DurationMS: 7400},
		{Name: "replay WAL to T0-1s", StartMS: 14200, DurationMS: 5900},
		{Name: "copy tenants, batch 1 of 3", StartMS: 20100, DurationMS: 12300},
		{Name: "copy tenants, batch 2 of 3", StartMS: 32400, DurationMS: 25000},
		{Name: "copy tenants, batch 3 of 3", StartMS: 57400, DurationMS: batch3, Error: batch3Err},
		{Name: "verify and reopen sites", StartMS: 57400 + batch3, DurationMS: 3600},
	}
}

// samplePass: quick profile, purge with site IDs, tenant-restore; every objective met.
func samplePass() *results.Results {
	t0 := at(sampleStart, 40.4)
	ts := affectedTenants([]float64{21.4, 27.9, 33.0, 38.6, 44.2, 51.7, 58.3, 66.0, 74.8, 88.5})
	lost := []int{0, 2, 0, 4, 0, 0, 1, 0, 3, 0}
	rpo := []float64{0, 4.2, 0, 6.8, 0, 0, 1.9, 0, 5.5, 0}
	for i := range ts {
		ts[i].lost, ts[i].rpo = lost[i], rpo[i]
	}
	steps := tenantRestoreSteps(28000, "")
	r := &results.Results{
		Schema: results.SchemaVersion, RunID: "dr-20261124-030000-7f3a", Group: "nightly-2026-11-24",
		Feature: "features/purge-site-ids.feature", Scenario: "Purge with site IDs, restored tenant by tenant",
		Tags: []string{"@quick", "@tenant-restore"}, StartedAt: sampleStart,
		Params:   quickParams("tenant-restore", 42),
		Phases:   phases(t0, 89, 15),
		Incident: results.Incident{T0: t0, DurationMS: 1200, IDs: 12, AffectedTenants: 10, AffectedSites: 12, AffectedUsers: 240, AssessedMS: results.MSPtr(3800 * time.Millisecond)},
		Runbook:  results.Runbook{Name: "tenant-restore", Steps: steps, DurationMS: 89000},
		Traffic:  results.Traffic{Acked: 27412, Failed: 1893},
	}
	r.FinishedAt = at(t0, 5+89+15+0.3)
	judge(r, ts, objectivesTable, "features/purge-site-ids.feature:13",
		"No bystander tenant lost or changed a write; bystanders stayed up during the restore.")
	return r
}

// sampleFullPITR: the same incident restored by rolling the whole database back to T0-1s.
// Every tenant goes down and bystanders lose what they wrote after T0: a breached drill.
func sampleFullPITR() *results.Results {
	t0 := at(sampleStart, 40.4)
	var rtos []float64
	for i := range 10 {
		rtos = append(rtos, 171.2+0.9*float64(i))
	}
	ts := affectedTenants(rtos)
	lost := []int{0, 2, 0, 4, 0, 0, 1, 0, 3, 0}
	rpo := []float64{0, 4.2, 0, 6.8, 0, 0, 1.9, 0, 5.5, 0}
	for i := range ts {
		ts[i].mttd = 0.29 + 0.03*float64(i)
		ts[i].lost, ts[i].rpo = lost[i], rpo[i]
	}
	// 90 bystanders: all rolled back to T0-1s, losing what they wrote in the 18.6 s between
	// T0 and the moment the app was stopped, and down while the database was restored.
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 90; i++ {
		sites := 1
		if i%7 == 0 {
			sites = 2
		}
		ts = append(ts, injected{id: int64(2001 + i), name: fmt.Sprintf("Bystander %02d", i+1), sites: sites, users: 20 * sites,
			downAt: 18.8, down: 152.4 + 0.1*float64(i%10), collateral: 26 + rng.IntN(22)*sites, window: 17.6})
	}
	steps := []results.Step{
		{Name: "stop app", StartMS: 18600, DurationMS: 900},
		{Name: "stop database", StartMS: 19500, DurationMS: 2100},
		{Name: "restore base backup into data volume", StartMS: 21600, DurationMS: 61000},
		{Name: "replay WAL to T0-1s", StartMS: 82600, DurationMS: 74200},
		{Name: "start database", StartMS: 156800, DurationMS: 4300},
		{Name: "start app", StartMS: 161100, DurationMS: 1700},
		{Name: "verify", StartMS: 162800, DurationMS: 7600},
	}
	r := &results.Results{
		Schema: results.SchemaVersion, RunID: "dr-20261124-031500-c21e", Group: "nightly-2026-11-24",
		Feature: "features/purge-site-ids.feature", Scenario: "Purge with site IDs, restored by full PITR",
		Tags: []string{"@quick", "@full-pitr"}, StartedAt: sampleStart.Add(15 * time.Minute),
		Params:   quickParams("full-pitr", 42),
		Incident: results.Incident{T0: t0.Add(15 * time.Minute), DurationMS: 1200, IDs: 12, AffectedTenants: 10, AffectedSites: 12, AffectedUsers: 240},
		Runbook:  results.Runbook{Name: "full-pitr", Steps: steps, DurationMS: 151800},
		Traffic:  results.Traffic{Acked: 31877, Failed: 30420},
	}
	r.Phases = phases(t0, 165.4, 12)
	for i := range r.Phases {
		r.Phases[i].Start = r.Phases[i].Start.Add(15 * time.Minute)
	}
	r.FinishedAt = r.Incident.T0.Add(sec(5 + 165.4 + 12 + 0.3))
	judge(r, ts, objectivesTable, "features/purge-site-ids.feature:29",
		"Every tenant, bystanders included, was down about 2m32s while the database was restored.")
	return r
}

// sampleNeverRestored: tenant-restore where the last batch fails for one tenant; it stays down
// until the drill ends, so RTO max is unbounded and that tenant's writes cannot be counted.
func sampleNeverRestored() *results.Results {
	r := samplePass()
	r.RunID = "dr-20261124-033000-9b04"
	r.Group = "nightly-2026-11-24-retry"
	r.Scenario = "Purge with site IDs, restored tenant by tenant, copy fault"
	r.Tags = []string{"@quick", "@tenant-restore", "@faults"}
	shift := 30 * time.Minute
	r.StartedAt = r.StartedAt.Add(shift)
	r.Incident.T0 = r.Incident.T0.Add(shift)
	for i := range r.Phases {
		r.Phases[i].Start = r.Phases[i].Start.Add(shift)
	}
	r.Params.Seed = 43
	r.Params.Faults = []string{"kill side database during copy batch 3"}
	r.Runbook.Steps = tenantRestoreSteps(28000, "")
	r.Runbook.Steps[5] = results.Step{Name: "copy tenants, batch 3 of 3", StartMS: 57400, DurationMS: 14100, Error: "side database killed (fault)"}
	r.Runbook.Steps = append(r.Runbook.Steps[:6],
		results.Step{Name: "copy tenants, batch 3 of 3", StartMS: 71500, DurationMS: 16400, Attempt: 2,
			Error: "tenant 1075: copy records: duplicate key value violates unique constraint \"records_site_id_key_key\""},
		results.Step{Name: "verify and reopen sites", StartMS: 87900, DurationMS: 3600},
	)
	r.Runbook.DurationMS = 86500
	r.Runbook.Error = "tenant 1075 not restored: copy records: duplicate key value violates unique constraint \"records_site_id_key_key\""
	// Tenant index 9 (Juniper Schools, id 1075) never comes back.
	ts := affectedTenants([]float64{21.4, 27.9, 33.0, 38.6, 44.2, 51.7, 58.3, 66.0, 74.8, -1})
	lost := []int{0, 2, 0, 4, 0, 0, 1, 0, 3, 0}
	rpo := []float64{0, 4.2, 0, 6.8, 0, 0, 1.9, 0, 5.5, 0}
	for i := range ts {
		ts[i].lost, ts[i].rpo = lost[i], rpo[i]
	}
	ts[9].dataDiffers = true
	r.FinishedAt = r.Incident.T0.Add(sec(5 + 86.5 + 15 + 0.3))
	judge(r, ts, objectivesTable, "features/purge-site-ids.feature:43",
		"Tenant 1075 (Juniper Schools) was never restored: copy records failed on a duplicate key after the side database was killed and the batch retried.")
	return r
}

func sampleJSON(t *testing.T, build func() *results.Results) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := results.Write(&b, build()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// loadSample reads a sample from testdata through results.ReadFile, the path every report takes.
func loadSample(t *testing.T, name string) *results.Results {
	t.Helper()
	r, err := results.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSamplesUpToDate(t *testing.T) {
	for name, build := range samples {
		t.Run(name, func(t *testing.T) {
			want := sampleJSON(t, build)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the sample built in sample_test.go; run go test ./reports -update", path)
			}
		})
	}
}

// TestSampleGroundTruth pins the figures the samples were designed with, so a change to the
// builders cannot silently move what the golden files check.
// TestSampleGroundTruth holds the samples' judged figures, computed by the production checkers
// from the injected histories, against what was injected: the RTOs written into the
// timelines, the writes left out of the final records, the collateral of each bystander.
func TestSampleGroundTruth(t *testing.T) {
	p := samplePass()
	// Injected RTOs 21.4 … 88.5 s over 10 tenants: p50 is the 5th (44.2 s), p95 and max the 10th.
	if p.Verdict != results.StatusOK || *p.Summary.RTOP95MS != 88500 || *p.Summary.RTOMaxMS != 88500 || *p.Summary.RTOP50MS != 44200 {
		t.Errorf("pass sample: verdict %s p50 %v p95 %v max %v", p.Verdict, *p.Summary.RTOP50MS, *p.Summary.RTOP95MS, *p.Summary.RTOMaxMS)
	}
	// Injected: 2+4+1+3 lost writes, the earliest 6.8 s before T0; no bystander touched.
	if p.Summary.LostWrites != 10 || p.Summary.RPOMaxMS != 6800 || p.Summary.BystanderLost != 0 || *p.Summary.MTTDMS != 310 {
		t.Errorf("pass sample: lost %d rpo %v bystander %d mttd %v", p.Summary.LostWrites, p.Summary.RPOMaxMS, p.Summary.BystanderLost, *p.Summary.MTTDMS)
	}
	f := sampleFullPITR()
	collateral := 0
	rng := rand.New(rand.NewPCG(7, 11)) // the bystanders' injected collateral, drawn as the sample draws it
	for i := 0; i < 90; i++ {
		sites := 1
		if i%7 == 0 {
			sites = 2
		}
		collateral += 26 + rng.IntN(22)*sites
	}
	if f.Verdict != results.StatusBreached || f.Summary.BystandersHit != 90 || f.Summary.BystanderLost != collateral || f.Summary.CollateralLost != collateral {
		t.Errorf("full-pitr sample: verdict %s hit %d lost %d collateral %d, want breached, 90, %d, %d", f.Verdict, f.Summary.BystandersHit, f.Summary.BystanderLost, f.Summary.CollateralLost, collateral, collateral)
	}
	n := sampleNeverRestored()
	if n.Summary.RestoredTenants != 9 || n.Summary.RTOMaxMS != nil || n.Summary.RTOP95MS != nil || n.Verdict != results.StatusBreached {
		t.Errorf("never-restored sample: restored %d p95 %v max %v verdict %s", n.Summary.RestoredTenants, n.Summary.RTOP95MS, n.Summary.RTOMaxMS, n.Verdict)
	}
}
