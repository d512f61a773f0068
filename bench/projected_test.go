package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/projection"
	"github.com/drdrill/drdrill/results"
)

// TestConvert: a size given as tenants or as bytes becomes rows at the main drill's rows per
// tenant and bytes per row; the blast radius is the main drill's unless sites are given, then
// at its rows per site; a figure the main drill lacks is an error, not a guess.
func TestConvert(t *testing.T) {
	// 1,000 rows a tenant, 1,000 bytes a row, 1,250 blast-radius rows a deleted site.
	main := DrillRun{Tenants: 1000, Size: projection.Size{Rows: 1e6, BlastRows: 5e4}, AffectedSites: 40}
	const db = 1e9
	for _, tt := range []struct {
		name    string
		t       TargetSize
		main    DrillRun
		db      int64
		want    ProjectedSize
		wantErr bool
	}{
		{name: "tenants", t: TargetSize{Given: "200000", Tenants: 200000}, main: main, db: db,
			want: ProjectedSize{Given: "200000", Tenants: 2e5, Rows: 2e8, Bytes: 2e11, Sites: 40, BlastRows: 5e4}},
		{name: "TB", t: TargetSize{Given: "2TB", Bytes: 2e12}, main: main, db: db,
			want: ProjectedSize{Given: "2TB", Tenants: 2e6, Rows: 2e9, Bytes: 2e12, Sites: 40, BlastRows: 5e4}},
		{name: "TiB", t: TargetSize{Given: "1TiB", Bytes: 1 << 40}, main: main, db: db,
			want: ProjectedSize{Given: "1TiB", Tenants: (1 << 40) / 1e6, Rows: (1 << 40) / 1e3, Bytes: 1 << 40, Sites: 40, BlastRows: 5e4}},
		{name: "blast radius given", t: TargetSize{Given: "2000:80", Tenants: 2000, Sites: 80}, main: main, db: db,
			want: ProjectedSize{Given: "2000:80", Tenants: 2000, Rows: 2e6, Bytes: 2e9, Sites: 80, BlastRows: 1e5}},
		{name: "tenants, database size not measured", t: TargetSize{Given: "2000", Tenants: 2000}, main: main,
			want: ProjectedSize{Given: "2000", Tenants: 2000, Rows: 2e6, Sites: 40, BlastRows: 5e4}},
		{name: "bytes, database size not measured", t: TargetSize{Given: "2TB", Bytes: 2e12}, main: main, wantErr: true},
		{name: "main drill's tenants not measured", t: TargetSize{Given: "2000", Tenants: 2000}, main: DrillRun{Size: main.Size}, db: db, wantErr: true},
		{name: "sites, main drill without sites", t: TargetSize{Given: "2000:8", Tenants: 2000, Sites: 8}, main: DrillRun{Tenants: 1000, Size: main.Size}, db: db, wantErr: true},
		{name: "neither tenants nor bytes", t: TargetSize{Given: ""}, main: main, db: db, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.t.Convert(tt.main, tt.db)
			if tt.wantErr {
				if !errors.Is(err, ErrNotConvertible) {
					t.Fatalf("Convert = %+v, %v; want ErrNotConvertible", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string][2]float64{
				"tenants": {got.Tenants, tt.want.Tenants}, "rows": {got.Rows, tt.want.Rows}, "bytes": {got.Bytes, tt.want.Bytes},
				"blast rows": {got.BlastRows, tt.want.BlastRows}, "sites": {float64(got.Sites), float64(tt.want.Sites)},
			} {
				if math.Abs(v[0]-v[1]) > 1e-9*math.Abs(v[1]) {
					t.Errorf("%s = %v, want %v", name, v[0], v[1])
				}
			}
			if got.Given != tt.want.Given {
				t.Errorf("given %q, want %q", got.Given, tt.want.Given)
			}
		})
	}
}

// projectedReport is a report whose whole-runbook model is 2 s + 10 µs a database row, fitted
// on three drills, its main drill 1,000 tenants of 1,000 rows (1 GB) measured at 12 s of
// runbook and an RTO of 40 s at p95, 50 s at most.
func projectedReport(loo float64) *Report {
	runs := []DrillRun{{Tenants: 100, Size: projection.Size{Rows: 1e5, BlastRows: 1e4}, RunbookTime: 3 * time.Second},
		{Tenants: 300, Size: projection.Size{Rows: 3e5, BlastRows: 3e4}, RunbookTime: 5 * time.Second},
		{Tenants: 100, Size: projection.Size{Rows: 1e5, BlastRows: 3e4}, RunbookTime: 3 * time.Second}}
	return &Report{
		Drill: DrillRun{Tenants: 1000, Size: projection.Size{Rows: 1e6, BlastRows: 5e4}, AffectedSites: 40, RunbookTime: 12 * time.Second,
			RTOP95: 40 * time.Second, RTOMax: 50 * time.Second},
		DBBytes:        1e9,
		ProjectionRuns: runs,
		Projection: []projection.Model{
			{Step: RunbookStep, Terms: []projection.Term{projection.Fixed, projection.Rows}, Coef: []float64{2, 1e-5}, LOOError: loo},
		},
		ProjectTo: []TargetSize{{Given: "200000", Tenants: 200000}, {Given: "2TB", Bytes: 2e12}, {Given: "2000:80", Tenants: 2000, Sites: 80}},
	}
}

// TestProjectionSummary: each size's runbook is the model's at its rows, and its RTO the main
// drill's with the measured runbook swapped for the projected one; the verdict holds both
// left-out error and the check against the main drill to 20 %.
func TestProjectionSummary(t *testing.T) {
	s := projectedReport(0.08).ProjectionSummary()
	if !s.Validated || !strings.HasPrefix(s.Verdict, "validated: ") {
		t.Errorf("verdict %v %q, want validated", s.Validated, s.Verdict)
	}
	// Fitted without the main drill, on the three others (exactly 2 s + 10 µs a row), the
	// model still predicts its 12 s.
	if s.Check == nil || math.Abs(s.Check.ProjectedS-12) > 1e-9 || s.Check.MeasuredS != 12 || math.Abs(s.Check.Error) > 1e-9 {
		t.Errorf("check %+v, want 12 s projected and measured", s.Check)
	}
	for i, want := range []struct{ runbook, p95, max, beyond float64 }{
		{2 + 1e-5*2e8, 40 - 12 + 2 + 1e-5*2e8, 50 - 12 + 2 + 1e-5*2e8, 2e8 / 1e6}, // 200,000 tenants: 200 M rows; the main drill is the largest fitted
		{2 + 1e-5*2e9, 40 - 12 + 2 + 1e-5*2e9, 50 - 12 + 2 + 1e-5*2e9, 2e9 / 1e6}, // 2 TB at 1,000 bytes a row
		{2 + 1e-5*2e6, 40 - 12 + 22, 50 - 12 + 22, 2e6 / 1e6},                     // the blast radius is not in the model
	} {
		got := s.Sizes[i]
		if d := math.Abs(got.RunbookS-want.runbook) + math.Abs(got.RTOP95S-want.p95) + math.Abs(got.RTOMaxS-want.max) + math.Abs(got.Beyond-want.beyond); d > 1e-6*want.runbook || got.Error != "" {
			t.Errorf("%s: runbook %v, RTO p95 %v, max %v, %v× beyond (%s); want %+v", got.Given, got.RunbookS, got.RTOP95S, got.RTOMaxS, got.Beyond, got.Error, want)
		}
	}
	if len(s.Fitted) != 4 || s.Fitted[0].Drill != "main drill" || s.Fitted[3].Drill != "projection drill 3" || s.Main.Bytes != 1e9 || s.Main.RTOP95S != 40 || s.Models[0].Formula != "2.00 s + 10 µs per database row" {
		t.Errorf("summary %+v", s)
	}
	// An unmeasured RTO is left out, not projected as the runbook alone.
	r := projectedReport(0.08)
	r.Drill.RTOP95, r.Drill.RTOMax = 0, 0
	if p := r.ProjectionSummary().Sizes[0]; p.RTOP95S != 0 || p.RTOMaxS != 0 || p.RunbookS == 0 {
		t.Errorf("RTO not measured: projected %+v", p)
	}
	// With repeats at the main drill's size, its check is the median of the three (12 s, its
	// own 30 s an outlier), while the RTO carried over stays its own run's.
	r = projectedReport(0.08)
	r.Drill.RunbookTime = 30 * time.Second
	r.Drill.Repeats = []DrillRun{{Size: r.Drill.Size, RunbookTime: 12 * time.Second}, {Size: r.Drill.Size, RunbookTime: 11 * time.Second}}
	s = r.ProjectionSummary()
	if c := s.Check; c == nil || c.MeasuredS != 12 || math.Abs(c.Error) > 1e-9 || s.Fitted[0].Runs != 3 || s.Fitted[0].RunbookS != 12 || s.Main.RunbookS != 30 {
		t.Errorf("main drill with repeats: check %+v, fitted %+v, main runbook %v s; want 12 s measured, 3 runs, main's own 30 s", c, s.Fitted[0], s.Main.RunbookS)
	}
	if (&Report{}).ProjectionSummary() != nil {
		t.Error("a report without a projection has a summary")
	}
}

// TestNotValidated: a left-out error above 20 % makes the projection not validated, with the
// number said in the verdict, and the main drill's own error (one of those the left-out error is
// the largest of) beside it.
func TestNotValidated(t *testing.T) {
	for _, tt := range []struct {
		name      string
		loo       float64
		measured  time.Duration
		validated bool
		want      []string
	}{
		{"within", 0.2, 12 * time.Second, true, []string{"validated: ", "within 20 % (at most 20 %)", "within +0 %"}},
		{"left-out error", 0.31, 12 * time.Second, false, []string{"not validated: ", "misses it by up to 31 % (above 20 %)"}},
		{"the main drill the worst", 0.5, 8 * time.Second, false, []string{"not validated: ", "misses it by up to 50 % (above 20 %), the main drill by +50 %"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := projectedReport(tt.loo)
			r.Drill.RunbookTime = tt.measured
			s := r.ProjectionSummary()
			if s.Validated != tt.validated {
				t.Errorf("validated %v, want %v: %s", s.Validated, tt.validated, s.Verdict)
			}
			for _, w := range tt.want {
				if !strings.Contains(s.Verdict, w) {
					t.Errorf("verdict %q lacks %q", s.Verdict, w)
				}
			}
		})
	}
}

// TestRefit: the drills bench.json keeps fit the same projection again (drdrill bench -refit):
// written, read back and refitted, a projection fitted on drills with steps and repeats has the
// same models, check and projected sizes as the one the bench made; a bench.json without
// drills, or of another schema, is refused with the reason.
func TestRefit(t *testing.T) {
	steps := func(side, copy float64) []results.Step {
		return []results.Step{{Name: "start side db from base-1", StartMS: 100, DurationMS: side},
			{Name: "copy tenants batch 1/2 (5 tenants)", StartMS: 100 + side, DurationMS: copy / 2},
			{Name: "copy tenants batch 2/2 (5 tenants)", StartMS: 100 + side + copy/2, DurationMS: copy / 2}}
	}
	at := func(tenants int, rows, blast, runbookS, side, copy float64) DrillRun {
		return DrillRun{Tenants: tenants, Size: projection.Size{Rows: rows, BlastRows: blast}, AffectedSites: tenants / 10, AffectedTenants: tenants / 12,
			RunbookTime: time.Duration(runbookS * float64(time.Second)), RTOP95: 20 * time.Second, RTOMax: 25 * time.Second, Steps: steps(side, copy)}
	}
	main := at(1000, 1e6, 5e4, 12, 3000, 8000)
	main.Repeats = []DrillRun{at(1000, 1e6, 5e4, 13, 3500, 8400), at(1000, 1e6, 5e4, 11, 2900, 7800)}
	r := &Report{Profile: "atlassian", Rows: 1e6, DBBytes: 1e9, Drill: main, Scaled: at(3000, 3e6, 5e4, 20, 6000, 9000),
		ProjectionRuns: []DrillRun{at(500, 5e5, 2.5e4, 7, 1500, 4000), at(500, 5e5, 5e4, 9, 1600, 7900)},
		ProjectTo:      []TargetSize{{Given: "200000", Tenants: 200000}}}
	if err := r.fit(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := WriteFiles(dir, []*Report{r}); err != nil {
		t.Fatal(err)
	}
	e, err := ReadExport(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.Refit(r.ProjectTo)
	if err != nil {
		t.Fatal(err)
	}
	want, got := r.ProjectionSummary(), again.ProjectionSummary()
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) {
		t.Errorf("refitted projection differs:\n got %s\nwant %s", gj, wj)
	}
	if len(e.Drills) != 4 || e.Drills[1].Drill != scaledDrill || len(e.Drills[0].Repeats) != 2 || len(e.Drills[0].Repeats[1].Steps) != 3 {
		t.Errorf("bench.json's drills: %+v", e.Drills)
	}

	e.Drills = nil
	if _, err := e.Refit(nil); !errors.Is(err, ErrNoDrills) {
		t.Errorf("no drills: error %v, want ErrNoDrills", err)
	}
	path := filepath.Join(dir, "old.json")
	if err := os.WriteFile(path, []byte(`{"schema": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadExport(path); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("another schema: error %v", err)
	}
}

// TestProjectionComposed: drills whose runbook is the longer of two side-by-side steps (the
// blast-radius assessment, growing with the database, and the side database's start) plus a
// copy in two parallel halves (growing with the blast radius) are predicted exactly by their
// steps composed along the recorded plan, not by a sum of terms fitted to the whole runbook:
// the composed model projects the sizes, the check against the main drill is exact, and the
// projection is validated; the whole runbook's own model is still shown beside it.
func TestProjectionComposed(t *testing.T) {
	truth := func(s projection.Size) (assess, side, copy, runbook float64) {
		assess, side, copy = 0.5e-6*s.Rows, 1+0.25e-6*s.Rows, 0.5+10e-6*s.BlastRows
		return assess, side, copy, 0.05 + max(assess, side) + copy/2 + 0.1
	}
	at := func(tenants int, s projection.Size) DrillRun {
		a, sd, c, rb := truth(s)
		ms := func(v float64) float64 { return v * 1000 }
		gate := 50 + ms(max(a, sd))
		return DrillRun{Tenants: tenants, Size: s, AffectedSites: 40, RunbookTime: time.Duration(rb * float64(time.Second)),
			RTOP95: 40 * time.Second, RTOMax: 50 * time.Second, Steps: []results.Step{
				{Name: "assess the blast radius", StartMS: 50, DurationMS: ms(a)},
				{Name: "start side db from base-1", StartMS: 50, DurationMS: ms(sd)},
				{Name: "copy tenants batch 1/2 (20 tenants)", StartMS: gate, DurationMS: ms(c / 2)},
				{Name: "copy tenants batch 2/2 (20 tenants)", StartMS: gate, DurationMS: ms(c / 2)}}}
	}
	main := at(1000, projection.Size{Rows: 12e6, BlastRows: 3e5})
	r := &Report{Drill: main, DBBytes: 12e9, ProjectTo: []TargetSize{{Given: "1500", Tenants: 1500}},
		ProjectionRuns: []DrillRun{at(200, projection.Size{Rows: 2e6, BlastRows: 1e5}), at(400, projection.Size{Rows: 4e6, BlastRows: 1e5}),
			at(200, projection.Size{Rows: 2e6, BlastRows: 3e5}), at(700, projection.Size{Rows: 8e6, BlastRows: 2e5})}}
	if err := r.fit(); err != nil {
		t.Fatal(err)
	}
	s := r.ProjectionSummary()
	var own, composed *ModelSummary
	for i, m := range s.Models {
		switch m.Step {
		case RunbookStep:
			own = &s.Models[i]
		case ComposedStep:
			composed = &s.Models[i]
		}
	}
	if own == nil || composed == nil {
		t.Fatalf("models %+v: want the whole runbook's own and composed", s.Models)
	}
	if !composed.Projects || own.Projects || composed.LOOError > 1e-6 || own.LOOError < 0.05 {
		t.Errorf("composed %+v, own %+v: want the composed model exact and projecting", *composed, *own)
	}
	if !s.Validated || s.Check == nil || math.Abs(s.Check.Error) > 1e-6 {
		t.Errorf("verdict %q, check %+v: want validated, the main drill predicted exactly", s.Verdict, s.Check)
	}
	_, _, _, want := truth(projection.Size{Rows: 18e6, BlastRows: 3e5}) // 1,500 tenants at 12,000 rows each
	if got := s.Sizes[0]; math.Abs(got.RunbookS-want) > 1e-6 || math.Abs(got.RTOP95S-(40-main.RunbookTime.Seconds()+want)) > 1e-6 {
		t.Errorf("projected %+v, want runbook %v s", got, want)
	}
	// Without recorded steps there is nothing to compose: the whole runbook's own model projects.
	for i := range r.ProjectionRuns {
		r.ProjectionRuns[i].Steps = nil
	}
	s = r.ProjectionSummary()
	if slices.ContainsFunc(s.Models, func(m ModelSummary) bool { return m.Step == ComposedStep }) ||
		!slices.ContainsFunc(s.Models, func(m ModelSummary) bool { return m.Step == RunbookStep && m.Projects }) {
		t.Errorf("no steps recorded: models %+v", s.Models)
	}
}
