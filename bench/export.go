package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/drdrill/drdrill/internal/atomicfile"
)

// ExportSchema is the version of bench.json this build writes.
const ExportSchema = 1

// The files WriteFiles writes.
const (
	HTMLFile = "bench.html"
	JSONFile = "bench.json"
)

// Export is what a bench leaves on disk (WriteFiles): each run's judged figures, their spread
// over the runs, and the projection. bench.json is it as JSON (WriteJSON), bench.html as a
// page (WriteHTML). Plain figures, made from the runs' reports by NewExport.
type Export struct {
	Schema     int                `json:"schema"`
	Runs       []RunFigures       `json:"runs"`
	Spreads    []Spread           `json:"spreads"`              // each figure over the runs
	Projection *ProjectionSummary `json:"projection,omitempty"` // the first run that has one
	// Drills are the drills that projection was fitted on, their steps as recorded: drdrill
	// bench -refit fits it again from them.
	Drills []DrillRecord `json:"drills,omitempty"`
}

// RunFigures is one bench run: its main drill and its judged figures.
type RunFigures struct {
	Profile  string   `json:"profile"`
	Tenants  int      `json:"tenants"`
	Rows     int64    `json:"rows"`
	DBBytes  int64    `json:"db_bytes"`
	Load     string   `json:"load"`
	WallS    float64  `json:"wall_s"` // the tenant-restore drill's
	RunbookS float64  `json:"runbook_s"`
	RTOP95S  float64  `json:"rto_p95_s"`
	RTOMaxS  float64  `json:"rto_max_s"`
	Figures  []Figure `json:"figures"` // the judged figures the run measured
}

// Figure is one judged ratio of a run against its target.
type Figure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"` // "×", "%" or ""
	Target float64 `json:"target"`
	AtMost bool    `json:"at_most"` // the target is a ceiling (else a floor)
	OK     bool    `json:"ok"`
}

// Spread is one figure over the runs that measured it: judged by its median.
type Spread struct {
	Figure         // Value is the median
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Runs   int     `json:"runs"` // how many runs measured it
}

// NewExport gathers runs (in run order) into an Export. Pure.
func NewExport(runs []*Report) Export {
	e := Export{Schema: ExportSchema, Runs: []RunFigures{}, Spreads: spreads(runs)}
	for _, r := range runs {
		rf := RunFigures{Profile: r.Profile, Tenants: r.Drill.Tenants, Rows: r.Rows, DBBytes: r.DBBytes, Load: r.Load,
			WallS: r.Drill.Wall.Seconds(), RunbookS: r.Drill.RunbookTime.Seconds(), RTOP95S: r.Drill.RTOP95.Seconds(), RTOMaxS: r.Drill.RTOMax.Seconds(),
			Figures: []Figure{}}
		for _, f := range figures {
			if v, ok := f.measured(r); ok {
				rf.Figures = append(rf.Figures, f.judge(v))
			}
		}
		e.Runs = append(e.Runs, rf)
		if e.Projection == nil {
			e.Projection, e.Drills = r.ProjectionSummary(), drillRecords(r)
		}
	}
	return e
}

// spreads is each figure's median, min and max over the runs that measured it.
func spreads(runs []*Report) []Spread {
	var out []Spread
	for _, f := range figures {
		var vs []float64
		for _, r := range runs {
			if v, ok := f.measured(r); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		sorted := slices.Sorted(slices.Values(vs))
		out = append(out, Spread{Figure: f.judge(median(sorted)), Min: sorted[0], Max: sorted[len(sorted)-1], Runs: len(vs)})
	}
	return out
}

// measured is the figure of r, and whether r measured it (a ratio of nothing is 0 or NaN).
func (f figure) measured(r *Report) (float64, bool) {
	v := f.value(r)
	return v, v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// judge is v against the figure's target.
func (f figure) judge(v float64) Figure {
	ok := v <= f.target
	if !f.atMost {
		ok = v >= f.target
	}
	return Figure{Name: f.name, Value: v, Unit: f.unit, Target: f.target, AtMost: f.atMost, OK: ok}
}

// WriteJSON writes e as bench.json: indented, one figure a line.
func WriteJSON(w io.Writer, e Export) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("write bench json: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write bench json: %w", err)
	}
	return nil
}

// WriteFiles writes runs' Export into dir (created if missing) as HTMLFile and JSONFile, and
// returns the page's path.
func WriteFiles(dir string, runs []*Report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bench output: %w", err)
	}
	e := NewExport(runs)
	page := filepath.Join(dir, HTMLFile)
	for path, write := range map[string]func(io.Writer, Export) error{page: WriteHTML, filepath.Join(dir, JSONFile): WriteJSON} {
		if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return write(w, e) }); err != nil {
			return "", fmt.Errorf("bench output %s: %w", path, err)
		}
	}
	return page, nil
}
