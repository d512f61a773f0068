package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/drdrill/drdrill/projection"
)

// Growth is how one kind of runbook step grew from a drill to one with a larger database and
// the same blast radius (Config.Scale).
type Growth struct {
	Step         string
	Small, Large float64 // seconds
	Ratio        float64 // Large / Small
	// With says what the step's time follows: "database" (it grew at least half as fast as the
	// database), "blast radius" (it grew by 25 % or less: the database's size does not matter
	// to it), or "between".
	With string
}

// Split compares the step kinds of two drills that differ in database size only: rowsRatio is
// the larger's rows over the smaller's. Steps under minStep seconds in both are left out (their
// ratio is noise). Sorted by the larger drill's time, longest first.
func Split(small, large DrillRun) []Growth {
	const minStep = 0.2
	rowsRatio := large.Size.Rows / small.Size.Rows
	a, b := small.Sample().Steps, large.Sample().Steps
	var out []Growth
	for step, s := range a {
		l, ok := b[step]
		if !ok || (s < minStep && l < minStep) || s <= 0 {
			continue
		}
		g := Growth{Step: step, Small: s, Large: l, Ratio: l / s}
		switch {
		case g.Ratio <= 1.25:
			g.With = "blast radius"
		case g.Ratio-1 >= (rowsRatio-1)/2:
			g.With = "database"
		default:
			g.With = "between"
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(x, y Growth) int { return cmp.Compare(y.Large, x.Large) })
	return out
}

// writeSplit prints Split of the main drill and the scaled one.
func (r *Report) writeSplit(w io.Writer) error {
	if r.ScaledErr != "" {
		_, err := fmt.Fprintf(w, "tenant-restore with the same blast radius on a larger database: %s\n", r.ScaledErr)
		return err
	}
	if r.Scaled.Size.Rows == 0 {
		return nil
	}
	fmt.Fprintf(w, "tenant-restore with the same blast radius (%d sites of %d tenants) on a %.1f× database: %s rows → %s rows (steps overlap: the side start runs beside the assessment)\n",
		r.Drill.AffectedSites, r.Drill.AffectedTenants, r.Scaled.Size.Rows/r.Drill.Size.Rows, count(r.Drill.Size.Rows), count(r.Scaled.Size.Rows))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  step kind\tseconds (smaller → larger)\tratio\tgrows with\n")
	for _, g := range Split(r.Drill, r.Scaled) {
		fmt.Fprintf(tw, "  %s\t%.1f → %.1f\t%.2f×\t%s\n", g.Step, g.Small, g.Large, g.Ratio, g.With)
	}
	return tw.Flush()
}

// fittedRuns are the drills the projection is fitted on, and their names: the main drill first,
// then the scaled one (when run), then those at the sizes of Config.Project. Only drills whose
// size was measured.
func (r *Report) fittedRuns() (runs []DrillRun, names []string) {
	add := func(run DrillRun, name string) {
		if run.Size.Rows > 0 {
			runs, names = append(runs, run), append(names, name)
		}
	}
	add(r.Drill, mainDrill)
	add(r.Scaled, scaledDrill)
	for i, run := range r.ProjectionRuns {
		add(run, fmt.Sprintf("projection drill %d", i+1))
	}
	return runs, names
}

// The names of fittedRuns' first two drills.
const (
	mainDrill   = "main drill"
	scaledDrill = "scaled drill"
)

// samples are fittedRuns as the projection fits them.
func samples(runs []DrillRun) []projection.Sample {
	out := make([]projection.Sample, len(runs))
	for i, run := range runs {
		out[i] = run.Sample()
	}
	return out
}
