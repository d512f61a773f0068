package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/drdrill/drdrill/projection"
	"github.com/drdrill/drdrill/results"
)

// DrillRecord is one drill the projection was fitted on, as bench.json keeps it: its size, its
// runbook's steps as recorded and its repeats at the same size — all a projection is fitted
// from, so that it can be fitted again, with other terms or another model, without running the
// drills again (drdrill bench -refit).
type DrillRecord struct {
	Drill           string         `json:"drill"` // "main drill", "scaled drill", "projection drill 2"
	Tenants         int            `json:"tenants"`
	Rows            float64        `json:"rows"`
	BlastRows       float64        `json:"blast_rows"`
	AffectedSites   int            `json:"affected_sites"`
	AffectedTenants int            `json:"affected_tenants"`
	RunbookS        float64        `json:"runbook_s"`
	RTOP95S         float64        `json:"rto_p95_s"`
	RTOMaxS         float64        `json:"rto_max_s"`
	Steps           []results.Step `json:"steps"`
	Repeats         []DrillRecord  `json:"repeats,omitempty"`
}

// drillRecords are r's fitted drills as bench.json keeps them; nil without a projection.
func drillRecords(r *Report) []DrillRecord {
	if len(r.Projection) == 0 {
		return nil
	}
	runs, names := r.fittedRuns()
	out := make([]DrillRecord, len(runs))
	for i, run := range runs {
		out[i] = record(run, names[i])
	}
	return out
}

// record is run as a DrillRecord named name.
func record(run DrillRun, name string) DrillRecord {
	rec := DrillRecord{Drill: name, Tenants: run.Tenants, Rows: run.Size.Rows, BlastRows: run.Size.BlastRows,
		AffectedSites: run.AffectedSites, AffectedTenants: run.AffectedTenants, RunbookS: run.RunbookTime.Seconds(),
		RTOP95S: run.RTOP95.Seconds(), RTOMaxS: run.RTOMax.Seconds(), Steps: run.Steps}
	for _, rep := range run.Repeats {
		rec.Repeats = append(rec.Repeats, record(rep, name))
	}
	return rec
}

// run is the DrillRun rec was made from, as far as the projection reads it.
func (rec DrillRecord) run() DrillRun {
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	run := DrillRun{Runbook: "tenant-restore", Tenants: rec.Tenants, Size: projection.Size{Rows: rec.Rows, BlastRows: rec.BlastRows},
		AffectedSites: rec.AffectedSites, AffectedTenants: rec.AffectedTenants, RunbookTime: secs(rec.RunbookS),
		RTOP95: secs(rec.RTOP95S), RTOMax: secs(rec.RTOMaxS), Steps: rec.Steps}
	for _, rep := range rec.Repeats {
		run.Repeats = append(run.Repeats, rep.run())
	}
	return run
}

// ErrNoDrills: a bench.json without the drills a projection was fitted on (a bench run without
// -project, or one written before they were kept).
var ErrNoDrills = errors.New("no projection drills")

// ReadExport reads a bench.json WriteFiles wrote.
func ReadExport(path string) (Export, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Export{}, fmt.Errorf("read bench json: %w", err)
	}
	var e Export
	if err := json.Unmarshal(b, &e); err != nil {
		return Export{}, fmt.Errorf("read bench json %s: %w", path, err)
	}
	if e.Schema != ExportSchema {
		return Export{}, fmt.Errorf("read bench json %s: schema %d, this build reads %d", path, e.Schema, ExportSchema)
	}
	return e, nil
}

// Refit fits the projection again on e's drills, as the bench fitted it (the main drill first,
// then the scaled one and the projection's), projecting to the sizes to (none: 20× the main
// drill's database). The Report holds what ProjectionSummary and WriteProjection read. Pure.
func (e Export) Refit(to []TargetSize) (*Report, error) {
	if len(e.Drills) == 0 || e.Drills[0].Drill != mainDrill {
		return nil, fmt.Errorf("refit: %w (bench -project writes them)", ErrNoDrills)
	}
	r := &Report{Drill: e.Drills[0].run(), ProjectTo: to}
	if len(e.Runs) > 0 {
		r.Profile, r.Rows, r.DBBytes = e.Runs[0].Profile, e.Runs[0].Rows, e.Runs[0].DBBytes
	}
	for _, rec := range e.Drills[1:] {
		if rec.Drill == scaledDrill {
			r.Scaled = rec.run()
		} else {
			r.ProjectionRuns = append(r.ProjectionRuns, rec.run())
		}
	}
	if err := r.fit(); err != nil {
		return nil, fmt.Errorf("refit: %w", err)
	}
	return r, nil
}
