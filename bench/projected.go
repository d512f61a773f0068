package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drdrill/drdrill/projection"
)

// MaxLOOError is the largest error the whole runbook's model may make, predicting a size it
// was fitted without, for its projection to count as validated (issue 16: within 20 %).
const MaxLOOError = 0.2

// RTOMethod says how a projected RTO is made; the table, the page and bench.json carry it.
const RTOMethod = "Projected RTO = the main drill's measured RTO (T0 to verified restored) − its measured runbook + the projected runbook: " +
	"detection, the wait before the runbook and verification are carried over as measured; only the runbook scales"

// TargetSize is a size to project to, as the user gives it (drdrill bench -project-to): a
// tenant count or a database size in bytes, and optionally the blast radius in deleted sites.
type TargetSize struct {
	Given   string  // as given: "200000", "2TB", "2TB:883"
	Tenants int     // the database as tenants, or 0 when given as Bytes
	Bytes   float64 // the database as bytes (pg_database_size), or 0 when given as Tenants
	Sites   int     // sites the incident deletes; 0 keeps the main drill's blast radius
}

// ErrNotConvertible: the main drill lacks a figure a target size needs to become rows.
var ErrNotConvertible = errors.New("cannot convert to rows")

// Convert turns t into the model's size with the main drill's own ratios: its rows per
// tenant, its database bytes per row (dbBytes is the main drill's DBBytes) and its blast-
// radius rows per deleted site. The result has the size's rows and blast-radius rows, and the
// database both as tenants and as bytes (one given, the other derived). Pure.
func (t TargetSize) Convert(main DrillRun, dbBytes int64) (ProjectedSize, error) {
	p := ProjectedSize{Given: t.Given, BlastRows: main.Size.BlastRows, Sites: main.AffectedSites}
	if main.Tenants <= 0 || main.Size.Rows <= 0 {
		return p, fmt.Errorf("%s: %w: the main drill's tenants and rows were not measured", t.Given, ErrNotConvertible)
	}
	perTenant := main.Size.Rows / float64(main.Tenants)
	var perRow float64
	if dbBytes > 0 {
		perRow = float64(dbBytes) / main.Size.Rows
	}
	switch {
	case t.Tenants > 0:
		p.Tenants, p.Rows = float64(t.Tenants), float64(t.Tenants)*perTenant
		p.Bytes = p.Rows * perRow
	case t.Bytes > 0:
		if perRow == 0 {
			return p, fmt.Errorf("%s: %w: the main drill's database size was not measured", t.Given, ErrNotConvertible)
		}
		p.Bytes, p.Rows = t.Bytes, t.Bytes/perRow
		p.Tenants = p.Rows / perTenant
	default:
		return p, fmt.Errorf("%q: %w: neither tenants nor bytes", t.Given, ErrNotConvertible)
	}
	if t.Sites > 0 {
		if main.AffectedSites <= 0 {
			return p, fmt.Errorf("%s: %w: the main drill's blast radius has no site", t.Given, ErrNotConvertible)
		}
		p.Sites, p.BlastRows = t.Sites, float64(t.Sites)*main.Size.BlastRows/float64(main.AffectedSites)
	}
	return p, nil
}

// ProjectionSummary is the projection as the table, the page (WriteHTML) and bench.json show
// it: plain figures in seconds, made from a Report by (*Report).ProjectionSummary.
type ProjectionSummary struct {
	Runbook string         `json:"runbook"`
	Models  []ModelSummary `json:"models"`
	Fitted  []DrillSize    `json:"fitted"` // the drills the models were fitted on, the main drill first
	// Main is the main drill: one of the sizes fitted on, the source of the ratios that turn a
	// target size into rows and of the RTO carried over.
	Main MainDrill `json:"main"`
	// Check is the whole runbook's model fitted without the main drill, at the main drill's
	// size (nil when the main drill has no size).
	Check *Check          `json:"check,omitempty"`
	Sizes []ProjectedSize `json:"sizes"`
	// Validated: the whole runbook's model predicts every size it was fitted without within
	// MaxLOOError, the main drill among them. Verdict says why, with the numbers.
	Validated bool   `json:"validated"`
	Verdict   string `json:"verdict"`
	Method    string `json:"method"` // RTOMethod
}

// ComposedStep is the projection's name for the whole runbook predicted from its steps: each
// kind's model, composed along the chains of steps the nearest fitted drill recorded
// (projection.Plan), the time outside them carried over.
const ComposedStep = "the whole runbook, its steps composed"

// ModelSummary is one step kind's model.
type ModelSummary struct {
	Step     string    `json:"step"`
	Formula  string    `json:"formula"` // "2.00 s + 10 µs per database row"
	Terms    []string  `json:"terms"`   // "fixed", "per database row", "per blast-radius row"
	Coef     []float64 `json:"coef"`    // seconds, per unit of each term
	LOOError float64   `json:"loo_error"`
	Note     string    `json:"note,omitempty"` // "above 20 %", "a step under 0.2 s: noise"
	// Projects marks the model of the whole runbook the sizes are projected with and validated
	// by: of RunbookStep's own and ComposedStep, the one with the smaller left-out error.
	Projects bool `json:"projects,omitempty"`
}

// DrillSize is a measured drill's size and runbook time.
type DrillSize struct {
	Drill     string  `json:"drill,omitempty"` // "main drill", "scaled drill", "projection drill 2"
	Tenants   int     `json:"tenants"`
	Rows      float64 `json:"rows"`
	BlastRows float64 `json:"blast_rows"`
	RunbookS  float64 `json:"runbook_s"` // the median over Runs drills
	Runs      int     `json:"runs,omitempty"`
}

// MainDrill is the main drill as the projection uses it.
type MainDrill struct {
	DrillSize
	Bytes         int64   `json:"bytes"` // Report.DBBytes
	AffectedSites int     `json:"affected_sites"`
	RTOP95S       float64 `json:"rto_p95_s"` // 0: not measured
	RTOMaxS       float64 `json:"rto_max_s"`
	// The ratios TargetSize.Convert uses (0 when not measured).
	RowsPerTenant    float64 `json:"rows_per_tenant"`
	BytesPerRow      float64 `json:"bytes_per_row"`
	BlastRowsPerSite float64 `json:"blast_rows_per_site"`
}

// Check is the whole runbook's model, fitted without the main drill, against it.
type Check struct {
	ProjectedS float64 `json:"projected_s"`
	MeasuredS  float64 `json:"measured_s"`
	Error      float64 `json:"error"` // (projected − measured) / measured
}

// ProjectedSize is one target size, converted (TargetSize.Convert) and projected.
type ProjectedSize struct {
	Given     string  `json:"given"`
	Tenants   float64 `json:"tenants"` // given, or derived from Bytes
	Bytes     float64 `json:"bytes"`   // given, or derived from Tenants (0: not measured)
	Rows      float64 `json:"rows"`
	Sites     int     `json:"sites"` // deleted sites
	BlastRows float64 `json:"blast_rows"`
	// Beyond is Rows over the largest fitted drill's: how far the model is extrapolated.
	Beyond   float64 `json:"beyond_fitted"`
	RunbookS float64 `json:"runbook_s"`
	RTOP95S  float64 `json:"rto_p95_s"` // 0 when the main drill's RTO was not measured
	RTOMaxS  float64 `json:"rto_max_s"`
	Error    string  `json:"error,omitempty"` // why it could not be projected
}

// TwentyTimes is the size projected to when none is given: 20× the main drill's database,
// the same blast radius (10,000 → 200,000 tenants).
func TwentyTimes(main DrillRun) TargetSize {
	return TargetSize{Given: "20× the database", Tenants: 20 * main.Tenants}
}

// ProjectionSummary judges the report's projection: the models and their left-out errors,
// the whole runbook's model against the main drill, and each of r.ProjectTo (TwentyTimes
// when none) projected. Nil when the report has no projection. Pure.
func (r *Report) ProjectionSummary() *ProjectionSummary {
	if len(r.Projection) == 0 {
		return nil
	}
	fitted, names := r.fittedRuns()
	s := &ProjectionSummary{Runbook: "tenant-restore", Method: RTOMethod}
	ss := samples(fitted) // each size's medians, built once: the table, the means, the check
	var largest float64
	for i, run := range fitted {
		d := drillSize(run)
		d.Drill, d.RunbookS, d.Runs = names[i], ss[i].Steps[RunbookStep], 1+len(run.Repeats)
		s.Fitted = append(s.Fitted, d)
		largest = max(largest, run.Size.Rows)
	}
	var whole *projection.Model
	for i, m := range r.Projection {
		ms := ModelSummary{Step: m.Step, Formula: m.String(), Coef: slices.Clone(m.Coef), LOOError: m.LOOError}
		for _, t := range m.Terms {
			ms.Terms = append(ms.Terms, t.String())
		}
		var mean float64
		for _, sample := range ss {
			mean += sample.Steps[m.Step] / float64(len(ss))
		}
		switch {
		case m.LOOError > MaxLOOError && mean < 0.2:
			ms.Note = "a step under 0.2 s: noise"
		case m.LOOError > MaxLOOError:
			ms.Note = fmt.Sprintf("above %.0f %%", 100*MaxLOOError)
		}
		s.Models = append(s.Models, ms)
		if m.Step == RunbookStep {
			whole = &r.Projection[i]
		}
	}
	// The main drill's own runbook, not its size's median: the RTO carried over is its own.
	main := drillSize(r.Drill)
	main.RunbookS, main.Runs = r.Drill.RunbookTime.Seconds(), 1
	s.Main = MainDrill{DrillSize: main, Bytes: r.DBBytes, AffectedSites: r.Drill.AffectedSites,
		RTOP95S: r.Drill.RTOP95.Seconds(), RTOMaxS: r.Drill.RTOMax.Seconds()}
	if d := r.Drill; d.Size.Rows > 0 {
		s.Main.BytesPerRow = float64(r.DBBytes) / d.Size.Rows
		if d.Tenants > 0 {
			s.Main.RowsPerTenant = d.Size.Rows / float64(d.Tenants)
		}
		if d.AffectedSites > 0 {
			s.Main.BlastRowsPerSite = d.Size.BlastRows / float64(d.AffectedSites)
		}
	}
	if whole == nil {
		s.Verdict = "not validated: no model of the whole runbook"
		return s
	}
	// The whole runbook either by its own model or composed of its steps' along the plan of
	// the fitted drill nearest in size; the one that predicts a left-out size better projects.
	predict, loo, leftOutMain := whole.Predict, whole.LOOError, func() float64 { return whole.Without(ss, 0).Predict(r.Drill.Size) }
	by := "the whole runbook's own model"
	wholeAt := slices.IndexFunc(s.Models, func(m ModelSummary) bool { return m.Step == RunbookStep })
	s.Models[wholeAt].Projects = true
	if plans, ok := plans(fitted); ok {
		preds, composedLOO := projection.ComposedError(ss, plans, r.Projection, RunbookStep)
		ms := ModelSummary{Step: ComposedStep, Formula: "each step kind's model, along the nearest fitted drill's recorded chains of steps",
			Terms: []string{}, Coef: []float64{}, LOOError: composedLOO}
		if composedLOO > MaxLOOError {
			ms.Note = fmt.Sprintf("above %.0f %%", 100*MaxLOOError)
		}
		if composedLOO < whole.LOOError {
			ms.Projects, s.Models[wholeAt].Projects = true, false
			var steps []projection.Model
			for _, m := range r.Projection {
				if m.Step != RunbookStep {
					steps = append(steps, m)
				}
			}
			predict = func(size projection.Size) float64 {
				return projection.Compose(steps, plans[projection.Nearest(ss, size, -1)], size)
			}
			loo, leftOutMain = composedLOO, func() float64 { return preds[0] }
			by = "the whole runbook composed of its steps' models"
		}
		s.Models = slices.Insert(s.Models, wholeAt+1, ms)
	}
	if r.Drill.Size.Rows > 0 && r.Drill.RunbookTime > 0 && len(fitted) > len(whole.Terms) {
		// fitted[0] is the main drill: the model fitted without it, at its size.
		got, want := leftOutMain(), s.Fitted[0].RunbookS
		s.Check = &Check{ProjectedS: got, MeasuredS: want, Error: (got - want) / want}
	}
	s.Validated, s.Verdict = validate(by, loo, s.Check)
	targets := r.ProjectTo
	if len(targets) == 0 {
		targets = []TargetSize{TwentyTimes(r.Drill)}
	}
	for _, t := range targets {
		p, err := t.Convert(r.Drill, r.DBBytes)
		if err != nil {
			p.Error = err.Error()
			s.Sizes = append(s.Sizes, p)
			continue
		}
		p.RunbookS = predict(projection.Size{Rows: p.Rows, BlastRows: p.BlastRows})
		if largest > 0 {
			p.Beyond = p.Rows / largest
		}
		if s.Main.RTOP95S > 0 && s.Main.RTOMaxS > 0 {
			carried := s.Main.RunbookS
			p.RTOP95S, p.RTOMaxS = s.Main.RTOP95S-carried+p.RunbookS, s.Main.RTOMaxS-carried+p.RunbookS
		}
		s.Sizes = append(s.Sizes, p)
	}
	return s
}

// plans are the fitted drills' runbooks as recorded (DrillRun.Plan), or false when one of them
// recorded no step: nothing to compose along.
func plans(fitted []DrillRun) ([]projection.Plan, bool) {
	out := make([]projection.Plan, len(fitted))
	for i, run := range fitted {
		if len(run.Steps) == 0 {
			return nil, false
		}
		out[i] = run.Plan()
	}
	return out, true
}

// validate is the verdict on the whole runbook's model that projects (named by): validated
// when, fitted without one of its sizes, it predicts that size within MaxLOOError, every size in
// turn. The main drill is one of those sizes, so its error (check; nil when not measured) is
// within the left-out error by construction: it is said, not judged again, as the size the
// projection's ratios come from.
func validate(by string, loo float64, check *Check) (bool, string) {
	limit := 100 * MaxLOOError
	main := func(word string) string {
		if check == nil {
			return ""
		}
		return fmt.Sprintf(", the main drill %s %+.0f %%", word, 100*check.Error)
	}
	if loo > MaxLOOError {
		return false, fmt.Sprintf("not validated: fitted without one of its sizes, %s misses it by up to %.0f %% (above %.0f %%)%s", by, 100*loo, limit, main("by"))
	}
	return true, fmt.Sprintf("validated: fitted without one of its sizes, %s predicts it within %.0f %% (at most %.0f %%)%s", by, 100*loo, limit, main("within"))
}

// drillSize is run's size; its runbook and drill count are the caller's to say (a size's
// median, or the main drill's own run).
func drillSize(run DrillRun) DrillSize {
	return DrillSize{Tenants: run.Tenants, Rows: run.Size.Rows, BlastRows: run.Size.BlastRows}
}

// Name is the size as a person reads it: "200,000 tenants", "2TB", "2TB, 883 deleted sites".
func (p ProjectedSize) Name() string {
	size, sites, ok := strings.Cut(p.Given, ":")
	if _, err := strconv.Atoi(size); err == nil {
		size = thousands(p.Tenants) + " tenants"
	}
	if ok {
		size += ", " + sites + " deleted sites"
	}
	return size
}

// Description says what the size is besides what was given: "234.0 M rows, 1.7 TB, 906 k
// blast-radius rows (883 sites), 6.7× the largest fitted".
func (p ProjectedSize) Description() string {
	d := fmt.Sprintf("%s tenants, %s rows", count(p.Tenants), count(p.Rows))
	if p.Bytes > 0 {
		d += ", " + bytesText(p.Bytes)
	}
	d += fmt.Sprintf(", %s blast-radius rows (%d sites)", count(p.BlastRows), p.Sites)
	if p.Beyond > 0 {
		d += fmt.Sprintf(", %.1f× the largest fitted", p.Beyond)
	}
	return d
}

// bytesText writes a size in decimal units: 2.0 TB, 3.4 GB, 512 MB.
func bytesText(v float64) string {
	switch {
	case v >= 1e12:
		return fmt.Sprintf("%.1f TB", v/1e12)
	case v >= 1e9:
		return fmt.Sprintf("%.1f GB", v/1e9)
	}
	return fmt.Sprintf("%.0f MB", v/1e6)
}
