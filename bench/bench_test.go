package bench

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/projection"
	"github.com/drdrill/drdrill/results"
)

// TestRunQuick runs the whole bench at quick size on real containers and checks that every
// figure was measured (the values depend on the machine; their presence and consistency do not).
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("real containers: not in -short mode")
	}
	r, err := Run(t.Context(), Config{Profile: "quick", FullPITR: true, LedgerSizes: []int{1e3, 1e4}, Scale: 300})
	if err != nil {
		t.Fatal(err)
	}
	// The scaled drill: the same blast radius on a 3× database, every step kind compared.
	if r.Scaled.AffectedSites != r.Drill.AffectedSites || r.Scaled.Size.Rows < 2.5*r.Drill.Size.Rows {
		t.Errorf("scaled drill: %d sites affected, %.0f rows; want the main drill's %d sites on about 3× its %.0f rows",
			r.Scaled.AffectedSites, r.Scaled.Size.Rows, r.Drill.AffectedSites, r.Drill.Size.Rows)
	}
	if len(Split(r.Drill, r.Scaled)) == 0 {
		t.Error("no step kind compared between the main and the scaled drill")
	}
	if r.Drill.AffectedSites != 12 || r.Drill.AffectedTenants != 10 {
		t.Errorf("blast radius %d sites of %d tenants, want 12 of 10 (quick profile)", r.Drill.AffectedSites, r.Drill.AffectedTenants)
	}
	for name, d := range map[string]time.Duration{
		"wall": r.Drill.Wall, "stack": r.Drill.Phases["stack"], "restore": r.Drill.Phases["restore"],
		"raw copy": r.Baseline.RawCopy, "basebackup": r.Baseline.BaseBackup, "checkpoint": r.Baseline.Checkpoint, "side": r.Baseline.SideStart,
		"copy back": r.Baseline.CopyBack, "copy back into empty tables": r.Baseline.CopyBackEmpty, "pitr restore": r.PITR.Phases["restore"], "cpu": r.CPU,
		"assessment, whole manifest": r.Assess.Whole, "assessment since the pre-incident manifest": r.Assess.Since,
	} {
		if d <= 0 {
			t.Errorf("%s not measured", name)
		}
	}
	// The projection's size of the drill, from the data: every seeded row under the 12 deleted
	// sites (the site, its products, users, apps and seeded records) is gone, nothing else.
	q := fixtures.Quick
	if want := float64(q.VictimSites * (1 + q.ProductsPerSite + q.UsersPerSite + q.AppsPerSite + q.RecordsPerSite)); r.Drill.Size.BlastRows != want || r.Drill.Size.Rows != float64(r.Rows) {
		t.Errorf("drill size %+v, want %v blast-radius rows (12 sites' seeded rows) of %d", r.Drill.Size, want, r.Rows)
	}
	// What the projection converts target sizes and carries the RTO with: the main drill's
	// tenants, its database's size (at least a few bytes a row) and its RTO.
	if r.Drill.Tenants != q.Tenants || r.DBBytes < 10*r.Rows || r.Drill.RTOP95 <= 0 || r.Drill.RTOMax < r.Drill.RTOP95 {
		t.Errorf("main drill: %d tenants (want %d), %d bytes for %d rows, RTO p95 %s, max %s", r.Drill.Tenants, q.Tenants, r.DBBytes, r.Rows, r.Drill.RTOP95, r.Drill.RTOMax)
	}
	if r.Raw.TotalRows != r.Seed.TotalRows || r.Rows != r.Seed.TotalRows {
		t.Errorf("raw copy %d rows, seed %d, drill %d: not the same rows", r.Raw.TotalRows, r.Seed.TotalRows, r.Rows)
	}
	// The copy back moves every row of the affected tenants: 10 tenants' share of the seed,
	// plus their live-traffic records; never more than the whole database.
	if r.Baseline.CopyRows <= 0 || r.Baseline.CopyRows > r.Rows {
		t.Errorf("copy back moved %d rows of %d", r.Baseline.CopyRows, r.Rows)
	}
	if r.Baseline.Total() >= r.Drill.Wall {
		t.Errorf("necessary work %s not below the drill's wall %s: the baseline measures something else", r.Baseline.Total(), r.Drill.Wall)
	}
	// The CPU per phase is this process's, phase by phase: it adds up to no more than the drill's
	// whole CPU figure, and seeding (generating and streaming every row) cannot be free.
	var phases time.Duration
	for _, d := range r.Drill.PhaseCPU {
		phases += d
	}
	if r.Drill.PhaseCPU["seeding"] <= 0 || phases > r.CPU {
		t.Errorf("CPU per phase %v (sum %s), drill CPU %s", r.Drill.PhaseCPU, phases, r.CPU)
	}
	// Traffic, the prober and the copy wake the harness all through the restore.
	if r.Drill.PhaseSwitches["restore"] <= 0 {
		t.Errorf("thread switches per phase %v: none in the restore", r.Drill.PhaseSwitches)
	}
	if r.PeakRSS <= 0 || len(r.LedgerCost) != 2 {
		t.Errorf("peak RSS %d, ledger points %d", r.PeakRSS, len(r.LedgerCost))
	}
	var out bytes.Buffer
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"overhead", "tenant-restore / full-pitr", "harness CPU", "thread switches/s", "growth exponent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}

// TestRatios checks the derived figures against known inputs.
func TestRatios(t *testing.T) {
	r := &Report{
		Drill:      DrillRun{Wall: 90 * time.Second, Phases: map[string]time.Duration{"restore": 30 * time.Second}},
		PITR:       DrillRun{Wall: 80 * time.Second, Phases: map[string]time.Duration{"restore": 20 * time.Second}},
		Baseline:   Baseline{RawCopy: 20 * time.Second, BaseBackup: 4 * time.Second, SideStart: 3 * time.Second, CopyBack: 3 * time.Second},
		CPU:        9 * time.Second,
		Seed:       fixtures.Stats{TotalRows: 1_000_000, Duration: 20 * time.Second, RowsPerSecond: 50_000},
		Raw:        fixtures.Stats{TotalRows: 1_000_000, Duration: 10 * time.Second, RowsPerSecond: 100_000},
		LedgerCost: []LedgerPoint{{Writes: 1e4, Duration: time.Millisecond}, {Writes: 1e6, Duration: 100 * time.Millisecond}},
	}
	for name, c := range map[string]struct{ got, want float64 }{
		"overhead": {r.Overhead(), 3}, "runbooks": {r.RunbookRatio(), 1.5}, "cpu": {r.CPUShare(), 0.1}, "exponent": {r.Exponent(), 1},
		"seed": {r.SeedRatio(), 0.5}, "restore": {r.RestoreRatio(), 5},
	} {
		if d := c.got - c.want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", name, c.got, c.want)
		}
	}
	r.LedgerCost[1].Duration = 10 * time.Second // quadratic: 100× the writes, 10,000× the time
	if e := r.Exponent(); e < 1.99 || e > 2.01 {
		t.Errorf("quadratic growth exponent = %v, want 2", e)
	}
}

// TestDefaultsAsTheFeature ties the bench's drill to atlassian-2022.feature: same profile,
// traffic, archive interval and probe period.
func TestDefaultsAsTheFeature(t *testing.T) {
	b, err := os.ReadFile("../features/atlassian-2022.feature")
	if err != nil {
		t.Fatal(err)
	}
	c := Config{}.withDefaults()
	for _, step := range []string{
		fmt.Sprintf("Given a drill on the %q profile", c.Profile),
		fmt.Sprintf("And traffic at %g writes per second", c.TrafficRate),
		fmt.Sprintf("And WAL archived at least every %s", c.Archive),
		fmt.Sprintf("And availability probed every %s", c.Probe),
	} {
		if !strings.Contains(string(b), step+"\n") {
			t.Errorf("atlassian-2022.feature has no step %q: the bench would not run the feature's drill", step)
		}
	}
}

// TestWriteSummary: each ratio's median over the runs, with its spread, judged against its
// target by the median; a figure no run measured is left out.
func TestWriteSummary(t *testing.T) {
	run := func(wall, restore, side time.Duration) *Report {
		return &Report{
			Drill:    DrillRun{Wall: wall, Phases: map[string]time.Duration{"restore": restore}},
			Baseline: Baseline{RawCopy: 40 * time.Second, SideStart: side, CopyBack: 2 * time.Second},
		}
	}
	runs := []*Report{run(60*time.Second, 20*time.Second, 8*time.Second), run(48*time.Second, 12*time.Second, 8*time.Second), run(50*time.Second, 15*time.Second, 8*time.Second)}
	// A floor: seeding at 0.9× a raw COPY's throughput in the one run that measured it.
	runs[0].Seed = fixtures.Stats{TotalRows: 900, Duration: time.Second, RowsPerSecond: 900}
	runs[0].Raw = fixtures.Stats{TotalRows: 900, Duration: 900 * time.Millisecond, RowsPerSecond: 1000}
	var out bytes.Buffer
	if err := WriteSummary(&out, runs); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"median of 3 runs",
		// walls 48, 50, 60 s over 50 s of necessary work (40 + 8 + 2): 0.96, 1.00, 1.20
		"overhead: drill wall / necessary work  1.00× [0.96 – 1.20]  <= 1.30×  ok",
		// restores 12, 15, 20 s over 10 s of necessary restore work: 1.2, 1.5, 2.0
		"restore phase / necessary restore work  1.50× [1.20 – 2.00]  <= 1.50×  ok",
		"seeding / raw COPY throughput  0.90× [0.90 – 0.90]  >= 1.20×  MISSED",
	} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "full-pitr") || strings.Contains(got, "exponent") {
		t.Errorf("summary shows figures no run measured:\n%s", got)
	}
	if m := median([]float64{1, 2, 3, 4}); m != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", m)
	}
}

// TestSampleMedians: a drill with repeats is sampled as the median of each step kind and of
// the whole runbook over its runs; a step kind one run lacks counts 0 s in it.
func TestSampleMedians(t *testing.T) {
	size := projection.Size{Rows: 1e6, BlastRows: 5e4}
	steps := func(copyMS float64, stop bool) []results.Step {
		s := []results.Step{{Name: "copy tenants batch 1/2 (3 tenants)", DurationMS: copyMS / 2}, {Name: "copy tenants batch 2/2 (2 tenants)", DurationMS: copyMS / 2}}
		if stop {
			s = append(s, results.Step{Name: "stop side db", DurationMS: 300})
		}
		return s
	}
	for _, tt := range []struct {
		name string
		run  DrillRun
		want map[string]float64
	}{
		{"one run", DrillRun{Size: size, RunbookTime: 10 * time.Second, Steps: steps(2000, true)},
			map[string]float64{RunbookStep: 10, "copy tenants batch": 2, "stop side db": 0.3}},
		{"three runs", DrillRun{Size: size, RunbookTime: 10 * time.Second, Steps: steps(2000, true), Repeats: []DrillRun{
			{Size: size, RunbookTime: 14 * time.Second, Steps: steps(3000, false)},
			{Size: size, RunbookTime: 11 * time.Second, Steps: steps(2200, false)}}},
			map[string]float64{RunbookStep: 11, "copy tenants batch": 2.2, "stop side db": 0}},
		{"two runs: the mean", DrillRun{Size: size, RunbookTime: 10 * time.Second, Steps: steps(2000, true), Repeats: []DrillRun{
			{Size: size, RunbookTime: 14 * time.Second, Steps: steps(3000, true)}}},
			map[string]float64{RunbookStep: 12, "copy tenants batch": 2.5, "stop side db": 0.3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.run.Sample()
			if got.Size != size || len(got.Steps) != len(tt.want) {
				t.Errorf("sample %+v, want size %+v and %d step kinds", got, size, len(tt.want))
			}
			for k, w := range tt.want {
				if math.Abs(got.Steps[k]-w) > 1e-9 {
					t.Errorf("%s: %v s, want %v s", k, got.Steps[k], w)
				}
			}
		})
	}
}

// TestWriteProjection: the projection's table names the models and their left-out errors,
// flags one above 20 %, checks the whole runbook's model against the main drill, and projects
// the runbook and the RTO to 20× the database when no size is given.
func TestWriteProjection(t *testing.T) {
	copied := []results.Step{{Name: "copy tenants batch 1/1 (3 tenants)", DurationMS: 1000}}
	// Their runbooks are 2 s + 10 µs a database row, as the model of the main drill's left out.
	runs := []DrillRun{{Size: projection.Size{Rows: 1e5, BlastRows: 1e4}, Steps: copied, RunbookTime: 3 * time.Second},
		{Size: projection.Size{Rows: 3e5, BlastRows: 3e4}, Steps: copied, RunbookTime: 5 * time.Second},
		{Size: projection.Size{Rows: 1e5, BlastRows: 3e4}, RunbookTime: 3 * time.Second}}
	r := &Report{
		Drill: DrillRun{Size: projection.Size{Rows: 1e6, BlastRows: 5e4}, RunbookTime: 12 * time.Second, Tenants: 1000, AffectedSites: 40,
			RTOP95: 40 * time.Second, RTOMax: 50 * time.Second},
		DBBytes:        1e9,
		ProjectionRuns: runs,
		Projection: []projection.Model{
			{Step: RunbookStep, Terms: []projection.Term{projection.Fixed, projection.Rows}, Coef: []float64{2, 1e-5}, LOOError: 0.08},
			{Step: "copy tenants batch", Terms: []projection.Term{projection.Fixed}, Coef: []float64{1}, LOOError: 0.31},
			{Step: "stop side db", Terms: []projection.Term{projection.Fixed}, Coef: []float64{0.1}, LOOError: 0.4},
		},
	}
	var out bytes.Buffer
	if err := r.WriteProjection(&out); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"fitted on 4 sizes, the main drill's among them (100 k–1.0 M rows, 10 k–50 k blast-radius rows; 4 drills, each size's median)",
		"the whole runbook 2.00 s + 10 µs per database row 8 %",
		"copy tenants batch 1.00 s 31 % (above 20 %)",
		"stop side db 0.10 s 40 % (a step under 0.2 s: noise)",
		// 2 s + 1e-5 × 1e6 = 12 s: exactly the measured 12 s
		"the main drill left out (1.0 M rows, 50 k blast-radius rows) projected 12.0 s, measured 12.0 s +0 %",
		// No size given: 20× the database (20,000 tenants), the same blast radius; the RTO is
		// the main drill's with the runbook swapped: 40 s − 12 s + 202 s, 50 s − 12 s + 202 s.
		"projected, 20× the database (20 k tenants, 20.0 M rows, 20.0 GB, 50 k blast-radius rows (40 sites), 20.0× the largest fitted): runbook 202.0 s, RTO p95 230.0 s, max 240.0 s",
		"(the main drill: RTO p95 40.0 s, max 50.0 s, runbook 12.0 s)",
		"validated: fitted without one of its sizes, the whole runbook's own model predicts it within 8 % (at most 20 %), the main drill within +0 %",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("projection table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDrillRunSample: a drill's steps of one kind add up, and the whole runbook is its own
// entry (its steps overlap).
func TestDrillRunSample(t *testing.T) {
	run := DrillRun{RunbookTime: 3 * time.Second, Size: projection.Size{Rows: 10, BlastRows: 2}, Steps: []results.Step{
		{Name: "copy tenants batch 1/2 (5 tenants)", DurationMS: 1500},
		{Name: "copy tenants batch 2/2 (4 tenants)", DurationMS: 2500},
		{Name: "start side db from base-1", DurationMS: 700},
	}}
	s := run.Sample()
	want := map[string]float64{"copy tenants batch": 4, "start side db from": 0.7, RunbookStep: 3}
	if len(s.Steps) != len(want) || s.Size != run.Size {
		t.Fatalf("sample %+v, want %v", s, want)
	}
	for k, v := range want {
		if math.Abs(s.Steps[k]-v) > 1e-9 {
			t.Errorf("%s: %v s, want %v", k, s.Steps[k], v)
		}
	}
}

// TestSplit: steps of two drills that differ in database size only (3×) are told apart by how
// they grew: with the database, with the blast radius only, or between; short steps are left
// out, the longest first.
func TestSplit(t *testing.T) {
	run := func(rows float64, steps map[string]float64) DrillRun {
		r := DrillRun{Size: projection.Size{Rows: rows, BlastRows: 900e3}}
		for name, s := range steps {
			r.Steps = append(r.Steps, results.Step{Name: name, DurationMS: s * 1000})
		}
		return r
	}
	small := run(10e6, map[string]float64{"start side db from base-1": 8, "copy tenants batch 1/2 (10 tenants)": 6, "assess blast radius": 4, "switch WAL and wait for archive": 0.1})
	large := run(30e6, map[string]float64{"start side db from base-1": 24, "copy tenants batch 1/2 (10 tenants)": 6.6, "assess blast radius": 6, "switch WAL and wait for archive": 0.15})
	got := Split(small, large)
	want := map[string]string{
		projection.StepKind("start side db from base-1"):           "database",
		projection.StepKind("copy tenants batch 1/2 (10 tenants)"): "blast radius",
		projection.StepKind("assess blast radius"):                 "between",
	}
	if len(got) != len(want) {
		t.Fatalf("Split = %+v, want the 3 steps over 0.2 s", got)
	}
	for i, g := range got {
		if g.With != want[g.Step] {
			t.Errorf("%s (%.1f → %.1f s): grows with %q, want %q", g.Step, g.Small, g.Large, g.With, want[g.Step])
		}
		if i > 0 && g.Large > got[i-1].Large {
			t.Errorf("not longest first: %+v", got)
		}
	}
	// A scaled drill that failed is said in place of its split, and left out of the fit.
	r := &Report{Drill: small, ScaledErr: "drill at 30000 tenants failed, the bench went on without it: tenant 63 was never verified restored"}
	var out strings.Builder
	if err := r.writeSplit(&out); err != nil || !strings.Contains(out.String(), "tenant 63 was never verified restored") {
		t.Errorf("a failed scaled drill: %q, %v", out.String(), err)
	}
	if runs, _ := r.fittedRuns(); len(runs) != 1 {
		t.Errorf("fitted on %d drills, want the main one alone", len(runs))
	}
}

// TestPeakRSSPerRun: a bench of several runs reports each run's own peak memory, not the
// largest of the process's life (the raw COPY baseline of run 1 holds gigabytes of CSV).
func TestPeakRSSPerRun(t *testing.T) {
	const size = 256 << 20
	big := make([]byte, size)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	if p := peakRSS(); p < size {
		t.Fatalf("peak RSS %d MiB with %d MiB touched", p>>20, size>>20)
	}
	big = nil
	startPeakRSS()
	if p := peakRSS(); p >= size {
		t.Errorf("peak RSS %d MiB after the buffer went and the mark was reset, want under %d MiB", p>>20, size>>20)
	}
	_ = big
}
