package reports

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

var update = flag.Bool("update", false, "rewrite golden files and sample results in testdata/")

// The three sample drills every golden test reads. They are built here, in Go, from figures
// chosen by hand, so the ground truth of every rendered number is known: the quick-profile
// tenant-restore that passes, the full-pitr that rolls bystanders back, and a tenant-restore
// that leaves one tenant down.
var samples = map[string]func() *results.Results{
	"results-pass-tenant-restore.json": samplePass,
	"results-fail-full-pitr.json":      sampleFullPITR,
	"results-never-restored.json":      sampleNeverRestored,
}

func ms(d time.Duration) float64          { return results.MS(d) }
func msp(d time.Duration) *float64        { return results.MSPtr(d) }
func sec(s float64) time.Duration         { return time.Duration(s * float64(time.Second)) }
func fp(v float64) *float64               { return &v }
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
// site (tenants 2 and 6 have two sites).
func affectedTenants() []results.Tenant {
	var ts []results.Tenant
	for i, n := range affectedNames {
		sites := 1
		if i == 2 || i == 6 {
			sites = 2
		}
		ts = append(ts, results.Tenant{
			ID: int64(1003 + 8*i), Name: n, Affected: true, Sites: sites, Users: 20 * sites,
			DataMatches: true,
		})
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

// curve builds the restoration curve from the tenants' RTOs, the way the verifier defines it.
func curve(ts []results.Tenant) []results.CurvePoint {
	var aff []results.Tenant
	users := 0
	for _, t := range ts {
		if t.Affected {
			aff = append(aff, t)
			users += t.Users
		}
	}
	sort.SliceStable(aff, func(i, j int) bool {
		if aff[i].RTOMS == nil || aff[j].RTOMS == nil {
			return aff[j].RTOMS == nil && aff[i].RTOMS != nil
		}
		return *aff[i].RTOMS < *aff[j].RTOMS
	})
	pts := []results.CurvePoint{{AtMS: 0}}
	n, u := 0, 0
	for _, t := range aff {
		if t.RTOMS == nil {
			continue
		}
		n++
		u += t.Users
		pts = append(pts, results.CurvePoint{
			AtMS: *t.RTOMS, TenantsPct: 100 * float64(n) / float64(len(aff)), UsersPct: 100 * float64(u) / float64(users),
		})
	}
	return pts
}

// rank is the nearest-rank percentile, the verifier's definition.
func rank(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	if i < 0 {
		i = 0
	}
	return s[i]
}

func summarize(r *results.Results) {
	s := results.Summary{ProbeIntervalMS: r.Params.ProbeIntervalMS}
	var rtos, mttds []float64
	never := false
	for _, t := range r.Tenants {
		if t.Affected {
			s.AffectedTenants++
			s.AffectedUsers += t.Users
			s.LostWrites += t.LostWrites
			s.ChangedWrites += t.ChangedWrites
			s.CollateralLost += t.CollateralLost
			if t.Restored {
				s.RestoredTenants++
				rtos = append(rtos, *t.RTOMS)
			} else {
				never = true
			}
			if t.MTTDMS != nil {
				mttds = append(mttds, *t.MTTDMS)
			}
			if t.RPOMS > s.RPOMaxMS {
				s.RPOMaxMS = t.RPOMS
			}
		} else {
			loss := t.LostWrites + t.ChangedWrites + t.CollateralLost
			s.BystanderLost += loss
			s.CollateralLost += t.CollateralLost
			if loss > 0 {
				s.BystandersHit++
			}
		}
	}
	if len(rtos) > 0 {
		s.RTOP50MS = fp(rank(rtos, 50))
		s.RTOP95MS = fp(rank(rtos, 95))
		if !never {
			s.RTOMaxMS = fp(rank(rtos, 100))
		}
	}
	if len(mttds) > 0 {
		sort.Float64s(mttds)
		s.MTTDMS = fp(mttds[0])
	}
	r.Summary = s
}

func objective(name, target, unit string, tv float64, measured *float64, detail, source string) results.Objective {
	o := results.Objective{Name: name, Target: target, Unit: unit, TargetV: tv, Detail: detail, Source: source, Status: results.StatusUnknown}
	if measured != nil {
		m := *measured
		o.Measured = fp(m)
		o.Margin = fp(tv - m)
		o.Status = results.StatusOK
		if m > tv {
			o.Status = results.StatusBreached
		}
	}
	return o
}

func verdict(objs []results.Objective) results.Status {
	v := results.StatusOK
	for _, o := range objs {
		if o.Status == results.StatusBreached {
			return results.StatusBreached
		}
		if o.Status == results.StatusUnknown {
			v = results.StatusUnknown
		}
	}
	return v
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
	ts := affectedTenants()
	rtos := []float64{21.4, 27.9, 33.0, 38.6, 44.2, 51.7, 58.3, 66.0, 74.8, 88.5}
	lost := []int{0, 2, 0, 4, 0, 0, 1, 0, 3, 0}
	rpo := []float64{0, 4.2, 0, 6.8, 0, 0, 1.9, 0, 5.5, 0}
	for i := range ts {
		ts[i].Restored = true
		ts[i].RTOMS = msp(sec(rtos[i]))
		ts[i].MTTDMS = msp(sec(0.31 + 0.02*float64(i)))
		ts[i].DowntimeMS = ms(sec(rtos[i] - 0.2))
		ts[i].LostWrites = lost[i]
		ts[i].RPOMS = rpo[i] * 1000
	}
	steps := tenantRestoreSteps(28000, "")
	r := &results.Results{
		Schema: results.SchemaVersion, RunID: "dr-20261124-030000-7f3a", Group: "nightly-2026-11-24",
		Feature: "features/purge-site-ids.feature", Scenario: "Purge with site IDs, restored tenant by tenant",
		Tags: []string{"@quick", "@tenant-restore"}, StartedAt: sampleStart,
		Params:   quickParams("tenant-restore", 42),
		Phases:   phases(t0, 89, 15),
		Incident: results.Incident{T0: t0, DurationMS: 1200, IDs: 12, AffectedTenants: 10, AffectedSites: 12, AffectedUsers: 240},
		Runbook:  results.Runbook{Name: "tenant-restore", Steps: steps, DurationMS: 89000},
		Traffic:  results.Traffic{Acked: 27412, Failed: 1893},
		Tenants:  ts,
	}
	r.FinishedAt = at(t0, 5+89+15+0.3)
	summarize(r)
	r.Curve = curve(r.Tenants)
	r.Objectives = []results.Objective{
		objective("RTO p95", "2m", "ms", ms(2*time.Minute), r.Summary.RTOP95MS, "", "features/purge-site-ids.feature:14"),
		objective("RTO max", "5m", "ms", ms(5*time.Minute), r.Summary.RTOMaxMS, "", "features/purge-site-ids.feature:15"),
		objective("RPO max", "30s", "ms", ms(30*time.Second), fp(r.Summary.RPOMaxMS), "", "features/purge-site-ids.feature:16"),
		objective("Lost writes", "50", "writes", 50, fp(float64(r.Summary.LostWrites)), "", "features/purge-site-ids.feature:17"),
		objective("Bystander loss", "0", "writes", 0, fp(float64(r.Summary.BystanderLost)), "", "features/purge-site-ids.feature:18"),
	}
	r.Verdict = verdict(r.Objectives)
	r.Findings = []string{"No bystander tenant lost or changed a write; bystanders stayed up during the restore."}
	return r
}

// sampleFullPITR: the same incident restored by rolling the whole database back to T0-1s.
// Every tenant goes down and bystanders lose what they wrote after T0: a breached drill.
func sampleFullPITR() *results.Results {
	t0 := at(sampleStart, 40.4)
	ts := affectedTenants()
	for i := range ts {
		ts[i].Restored = true
		ts[i].RTOMS = msp(sec(171.2 + 0.9*float64(i)))
		ts[i].MTTDMS = msp(sec(0.29 + 0.03*float64(i)))
		ts[i].DowntimeMS = ms(sec(171 + 0.9*float64(i)))
		ts[i].LostWrites = []int{0, 2, 0, 4, 0, 0, 1, 0, 3, 0}[i]
		ts[i].RPOMS = []float64{0, 4.2, 0, 6.8, 0, 0, 1.9, 0, 5.5, 0}[i] * 1000
	}
	// 90 bystanders: all rolled back to T0-1s, losing what they wrote in the 18.6 s between
	// T0 and the moment the app was stopped.
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 90; i++ {
		sites := 1
		if i%7 == 0 {
			sites = 2
		}
		col := 26 + rng.IntN(22)*sites
		ts = append(ts, results.Tenant{
			ID: int64(2001 + i), Name: fmt.Sprintf("Bystander %02d", i+1), Sites: sites, Users: 20 * sites,
			Restored: true, DowntimeMS: ms(sec(152.4 + 0.1*float64(i%10))), CollateralLost: col,
			CollateralWindowMS: 18600, DataMatches: true,
		})
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
		Tenants:  ts,
	}
	r.Phases = phases(t0, 165.4, 12)
	for i := range r.Phases {
		r.Phases[i].Start = r.Phases[i].Start.Add(15 * time.Minute)
	}
	r.FinishedAt = r.Incident.T0.Add(sec(5 + 165.4 + 12 + 0.3))
	summarize(r)
	r.Curve = curve(r.Tenants)
	r.Objectives = []results.Objective{
		objective("RTO p95", "2m", "ms", ms(2*time.Minute), r.Summary.RTOP95MS, "", "features/purge-site-ids.feature:30"),
		objective("RTO max", "5m", "ms", ms(5*time.Minute), r.Summary.RTOMaxMS, "", "features/purge-site-ids.feature:31"),
		objective("RPO max", "30s", "ms", ms(30*time.Second), fp(r.Summary.RPOMaxMS), "", "features/purge-site-ids.feature:32"),
		objective("Lost writes", "50", "writes", 50, fp(float64(r.Summary.LostWrites)), "", "features/purge-site-ids.feature:33"),
		objective("Bystander loss", "0", "writes", 0, fp(float64(r.Summary.BystanderLost)),
			fmt.Sprintf("%d bystander tenants rolled back to T0-1s", r.Summary.BystandersHit), "features/purge-site-ids.feature:34"),
	}
	r.Verdict = verdict(r.Objectives)
	r.Findings = []string{
		fmt.Sprintf("%d of 90 bystander tenants lost %d writes acknowledged after T0 (collateral window 18.6s): a whole-database rollback erases what they wrote.",
			r.Summary.BystandersHit, r.Summary.BystanderLost),
		"Every tenant, bystanders included, was down about 2m32s while the database was restored.",
	}
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
	t := &r.Tenants[9]
	t.Restored, t.RTOMS, t.DataMatches = false, nil, false
	t.DowntimeMS = ms(sec(5 + 86.5 + 15))
	t.LostWrites = 0
	r.FinishedAt = r.Incident.T0.Add(sec(5 + 86.5 + 15 + 0.3))
	summarize(r)
	r.Curve = curve(r.Tenants)
	r.Objectives = []results.Objective{
		objective("RTO p95", "2m", "ms", ms(2*time.Minute), r.Summary.RTOP95MS, "over the 9 restored tenants", "features/purge-site-ids.feature:44"),
		objective("RTO max", "5m", "ms", ms(5*time.Minute), nil, "", "features/purge-site-ids.feature:45"),
		objective("RPO max", "30s", "ms", ms(30*time.Second), fp(r.Summary.RPOMaxMS), "", "features/purge-site-ids.feature:46"),
		objective("Lost writes", "50", "writes", 50, nil, "tenant 1075 was never restored: its writes could not be checked", "features/purge-site-ids.feature:47"),
		objective("Bystander loss", "0", "writes", 0, fp(0), "", "features/purge-site-ids.feature:48"),
	}
	// A tenant that never came back breaches RTO max whatever its target: the max is unbounded.
	r.Objectives[1].Status = results.StatusBreached
	r.Objectives[1].Detail = "tenant 1075 (Juniper Schools) never restored before the drill ended at T0+1m47s"
	r.Verdict = verdict(r.Objectives)
	r.Findings = []string{
		"Tenant 1075 (Juniper Schools) was never restored: copy records failed on a duplicate key after the side database was killed and the batch retried.",
		"No bystander tenant lost or changed a write.",
	}
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
func TestSampleGroundTruth(t *testing.T) {
	p := samplePass()
	if p.Verdict != results.StatusOK || *p.Summary.RTOP95MS != 88500 || *p.Summary.RTOMaxMS != 88500 || *p.Summary.RTOP50MS != 44200 {
		t.Errorf("pass sample: verdict %s p50 %v p95 %v max %v", p.Verdict, *p.Summary.RTOP50MS, *p.Summary.RTOP95MS, *p.Summary.RTOMaxMS)
	}
	if p.Summary.LostWrites != 10 || p.Summary.RPOMaxMS != 6800 || p.Summary.BystanderLost != 0 {
		t.Errorf("pass sample: lost %d rpo %v bystander %d", p.Summary.LostWrites, p.Summary.RPOMaxMS, p.Summary.BystanderLost)
	}
	f := sampleFullPITR()
	if f.Verdict != results.StatusBreached || f.Summary.BystandersHit != 90 || f.Summary.BystanderLost == 0 {
		t.Errorf("full-pitr sample: verdict %s hit %d lost %d", f.Verdict, f.Summary.BystandersHit, f.Summary.BystanderLost)
	}
	n := sampleNeverRestored()
	if n.Summary.RestoredTenants != 9 || n.Summary.RTOMaxMS != nil || n.Verdict != results.StatusBreached {
		t.Errorf("never-restored sample: restored %d max %v verdict %s", n.Summary.RestoredTenants, n.Summary.RTOMaxMS, n.Verdict)
	}
}
