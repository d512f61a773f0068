package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/results"
)

// Targets: every one a ratio against work measured in the same run, so that the machine
// cancels out (absolute times are printed, never judged: they differ 1.5× between machines
// of one kind).
const (
	TargetSeedRatio    = 1.2  // seeding throughput ≥ 1.2× a raw COPY of the same rows
	TargetOverhead     = 1.3  // drill wall ≤ 1.3× the necessary work
	TargetRestoreRatio = 1.5  // restore phase ≤ 1.5× the necessary restore work
	TargetRunbookRate  = 1.5  // tenant-restore's restore phase ≤ 1.5× full-pitr's
	TargetToolRatio    = 1.0  // pgBackRest's restore phase ≤ 1.0× the plain route's
	TargetCPUShare     = 0.06 // harness CPU ≤ 6 % of the drill's wall
	TargetExponent     = 1.25 // the write checker's cost grows about linearly with the ledger
	TargetAssessRatio  = 0.5  // the blast-radius assessment ≤ 0.5× a manifest of the whole database
)

// AssessRatio is the blast-radius assessment's cost over a manifest of the whole database, the
// same database and run (0 when not measured).
func (r *Report) AssessRatio() float64 { return ratio(r.Assess.Since, r.Assess.Whole) }

// Overhead is the drill's wall time over the necessary work measured in the same run.
func (r *Report) Overhead() float64 { return ratio(r.Drill.Wall, r.Baseline.Total()) }

// RestoreRatio is the tenant-restore drill's restore phase over the necessary restore work of
// the same run: a side server from the backup (WAL replayed) and a raw COPY of the affected
// tenants' rows back.
func (r *Report) RestoreRatio() float64 {
	return ratio(r.Drill.Phases["restore"], r.Baseline.SideStart+r.Baseline.CopyBack)
}

// ToolRatio is tenant-restore's restore phase with pgBackRest over the plain route's, and
// PITRToolRatio full-pitr's (0 when not run).
func (r *Report) ToolRatio() float64 {
	return ratio(r.PgBackRest.Phases["restore"], r.Drill.Phases["restore"])
}

// PITRToolRatio is full-pitr's restore phase with pgBackRest over the plain route's.
func (r *Report) PITRToolRatio() float64 {
	return ratio(r.PgBackRestPITR.Phases["restore"], r.PITR.Phases["restore"])
}

// RunbookRatio is tenant-restore's restore phase over full-pitr's (0 when full-pitr did not run).
func (r *Report) RunbookRatio() float64 {
	return ratio(r.Drill.Phases["restore"], r.PITR.Phases["restore"])
}

// SeedRatio is the seeding throughput (fake-data generation included) over a raw COPY of the
// same rows in the same run.
func (r *Report) SeedRatio() float64 { return fixtures.Ratio(r.Seed, r.Raw) }

// CPUShare is the harness's CPU time over the tenant-restore drill's wall time.
func (r *Report) CPUShare() float64 { return ratio(r.CPU, r.Drill.Wall) }

// switchRate says a phase's thread switches a second, or nothing when not measured.
func switchRate(n int64, d time.Duration) string {
	if n <= 0 || d <= 0 {
		return ""
	}
	return fmt.Sprintf(", %s thread switches/s", thousands(float64(n)/d.Seconds()))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteTable prints the report as the table of make bench.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	row := func(what, value, target string, ok bool) {
		mark := ""
		if target != "" {
			mark = "ok"
			if !ok {
				mark = "MISSED"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", what, value, target, mark)
	}
	sec := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	fmt.Fprintf(tw, "drdrill bench, profile %s (%d rows), load average %s\n", r.Profile, r.Rows, strings.TrimSpace(r.Load))
	fmt.Fprintf(tw, "figure\tvalue\ttarget\t\n")
	row("stack start (warm images)", sec(r.Drill.Phases["stack"]), "", true)
	sr := r.SeedRatio()
	row("seeding (generate+COPY+constraints, a table's indexes side by side+VACUUM ANALYZE)", fmt.Sprintf("%s, %.0f rows/s", sec(r.Seed.Duration), r.Seed.RowsPerSecond), "", true)
	row("  of which COPY / constraints / VACUUM ANALYZE", fmt.Sprintf("%s / %s / %s", sec(r.Seed.CopyDuration), sec(r.Seed.ConstraintsDuration), sec(r.Seed.VacuumDuration)), "", true)
	row("  raw COPY of the same rows (constraints.sql as written, as a plain load)", fmt.Sprintf("%s, %.0f rows/s", sec(r.Raw.Duration), r.Raw.RowsPerSecond), "", true)
	row("  of which COPY / constraints / VACUUM ANALYZE", fmt.Sprintf("%s / %s / %s", sec(r.Raw.CopyDuration), sec(r.Raw.ConstraintsDuration), sec(r.Raw.VacuumDuration)), "", true)
	row("  seeding / raw COPY throughput", fmt.Sprintf("%.2f", sr), fmt.Sprintf(">= %.1f", TargetSeedRatio), sr >= TargetSeedRatio)
	dr := r.Drill
	row(fmt.Sprintf("drill %s, %d sites of %d tenants, wall", dr.Runbook, dr.AffectedSites, dr.AffectedTenants), sec(dr.Wall), "", true)
	for _, p := range []string{"stack", "seeding", "traffic", "incident", "restore", "verification", "reporting"} {
		row("  "+p, fmt.Sprintf("%s (harness CPU %s%s)", sec(dr.Phases[p]), sec(dr.PhaseCPU[p]), switchRate(dr.PhaseSwitches[p], dr.Phases[p])), "", true)
	}
	b := r.Baseline
	row("necessary work (plain tools, same db)", sec(b.Total()), "", true)
	row("  raw COPY of the seed", sec(b.RawCopy), "", true)
	row("  CHECKPOINT after it (the load written to disk)", sec(b.Checkpoint), "", true)
	row("  pg_basebackup", sec(b.BaseBackup), "", true)
	row("  side server start + WAL replay", sec(b.SideStart), "", true)
	row(fmt.Sprintf("  raw COPY back of %d rows into the live tables", b.CopyRows), fmt.Sprintf("%s (harness CPU %s)", sec(b.CopyBack), sec(b.CopyBackCPU)), "", true)
	if b.CopyBackEmpty > 0 {
		row("    the same into empty tables (a lower bound, not counted)", sec(b.CopyBackEmpty), "", true)
	}
	row("overhead: drill wall / necessary work", fmt.Sprintf("%.2f×", r.Overhead()), fmt.Sprintf("<= %.1f×", TargetOverhead), r.Overhead() <= TargetOverhead)
	row("restore phase / necessary restore work (side server + COPY back)", fmt.Sprintf("%.2f× (%s / %s)", r.RestoreRatio(), sec(dr.Phases["restore"]), sec(b.SideStart+b.CopyBack)),
		fmt.Sprintf("<= %.1f×", TargetRestoreRatio), r.RestoreRatio() <= TargetRestoreRatio)
	if r.Assess.Whole > 0 {
		row("blast-radius assessment alone: since the pre-incident manifest / whole manifest", fmt.Sprintf("%.2f× (%s / %s)", r.AssessRatio(), sec(r.Assess.Since), sec(r.Assess.Whole)),
			fmt.Sprintf("<= %.1f×", TargetAssessRatio), r.AssessRatio() <= TargetAssessRatio)
		if r.Assess.Incident > 0 {
			how := "by row versions: no snapshot held"
			if p := r.Assess.Pages; p.Total > 0 {
				how = fmt.Sprintf("by changed pages, %d of %d read", p.Read, p.Total)
			}
			row("  the harness's after the script, in the drill ("+how+") / whole", fmt.Sprintf("%.2f× (%s)", ratio(r.Assess.Incident, r.Assess.Whole), sec(r.Assess.Incident)), "", true)
		}
	}
	if r.PITR.Wall > 0 {
		row("full-pitr drill wall (restore phase)", fmt.Sprintf("%s (%s)", sec(r.PITR.Wall), sec(r.PITR.Phases["restore"])), "", true)
		row("restore: tenant-restore / full-pitr", fmt.Sprintf("%.2f×", r.RunbookRatio()), fmt.Sprintf("<= %.1f×", TargetRunbookRate), r.RunbookRatio() <= TargetRunbookRate)
	}
	if r.PgBackRest.Wall > 0 {
		row("tenant-restore with pgBackRest: restore phase / plain's", fmt.Sprintf("%.2f× (%s / %s)", r.ToolRatio(), sec(r.PgBackRest.Phases["restore"]), sec(dr.Phases["restore"])),
			fmt.Sprintf("<= %.1f×", TargetToolRatio), r.ToolRatio() <= TargetToolRatio)
	}
	if r.PgBackRestPITR.Wall > 0 {
		row("full-pitr with pgBackRest: restore phase / plain's", fmt.Sprintf("%.2f× (%s / %s)", r.PITRToolRatio(), sec(r.PgBackRestPITR.Phases["restore"]), sec(r.PITR.Phases["restore"])),
			fmt.Sprintf("<= %.1f×", TargetToolRatio), r.PITRToolRatio() <= TargetToolRatio)
	}
	row("harness CPU / drill wall", fmt.Sprintf("%.1f %% (%s)", 100*r.CPUShare(), sec(r.CPU)), fmt.Sprintf("<= %.0f %%", 100*TargetCPUShare), r.CPUShare() <= TargetCPUShare)
	row("harness peak RSS", fmt.Sprintf("%d MiB", r.PeakRSS>>20), "", true)
	for _, p := range r.LedgerCost {
		row(fmt.Sprintf("checker, ledger of %d writes", p.Writes), fmt.Sprintf("%s (%.0f ns/write)", p.Duration.Round(time.Microsecond), p.NsPerWrite()), "", true)
	}
	if e := r.Exponent(); e == e {
		row("  growth exponent (1 = linear)", fmt.Sprintf("%.2f", e), fmt.Sprintf("<= %.2f", TargetExponent), e <= TargetExponent)
	}
	if len(dr.Steps) > 0 {
		fmt.Fprintf(tw, "runbook %s steps (slowest 6)\t\t\t\n", dr.Runbook)
		for _, s := range slowest(dr.Steps, 6) {
			fmt.Fprintf(tw, "  %s\t%.1f s\t\t\n", s.Name, s.DurationMS/1000)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := r.writeSplit(w); err != nil {
		return err
	}
	return r.WriteProjection(w)
}

func slowest(steps []results.Step, n int) []results.Step {
	s := slices.Clone(steps)
	slices.SortStableFunc(s, func(a, b results.Step) int { return cmp.Compare(b.DurationMS, a.DurationMS) })
	return s[:min(n, len(s))]
}

// figure is one judged ratio of a bench run, for the summary over runs.
type figure struct {
	name   string
	value  func(*Report) float64
	unit   string // "×" or "%"
	target float64
	atMost bool // the target is a ceiling (else a floor)
}

// figures are the ratios the summary judges, each against its target.
var figures = []figure{
	{"overhead: drill wall / necessary work", (*Report).Overhead, "×", TargetOverhead, true},
	{"restore phase / necessary restore work", (*Report).RestoreRatio, "×", TargetRestoreRatio, true},
	{"restore: tenant-restore / full-pitr", (*Report).RunbookRatio, "×", TargetRunbookRate, true},
	{"tenant-restore pgBackRest / plain (restore phase)", (*Report).ToolRatio, "×", TargetToolRatio, true},
	{"full-pitr pgBackRest / plain (restore phase)", (*Report).PITRToolRatio, "×", TargetToolRatio, true},
	{"blast-radius assessment / whole manifest", (*Report).AssessRatio, "×", TargetAssessRatio, true},
	{"harness CPU / drill wall", func(r *Report) float64 { return 100 * r.CPUShare() }, "%", 100 * TargetCPUShare, true},
	{"seeding / raw COPY throughput", (*Report).SeedRatio, "×", TargetSeedRatio, false},
	{"checker growth exponent", (*Report).Exponent, "", TargetExponent, true},
}

// WriteSummary prints each ratio over the runs: its median (the figure judged against the
// target) and its spread, min to max, and how many runs there were.
func WriteSummary(w io.Writer, runs []*Report) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "drdrill bench: median of %d runs [min – max]\t\ttarget\t\n", len(runs))
	for _, sp := range spreads(runs) {
		cmpSign, mark := "<=", "ok"
		if !sp.AtMost {
			cmpSign = ">="
		}
		if !sp.OK {
			mark = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%.2f%s [%.2f – %.2f]\t%s %.2f%s\t%s\n", sp.Name, sp.Value, sp.Unit, sp.Min, sp.Max, cmpSign, sp.Target, sp.Unit, mark)
	}
	return tw.Flush()
}

// median of sorted values: the middle one, or the mean of the two middle ones.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// WriteProjection prints the projection's models, their left-out errors, the whole runbook's
// model fitted without the main drill against it, each target size's projected runbook
// and RTO, and whether the projection is validated (ProjectionSummary).
func (r *Report) WriteProjection(w io.Writer) error {
	s := r.ProjectionSummary()
	if s == nil || len(s.Fitted) == 0 {
		return nil
	}
	lo, hi := s.Fitted[0], s.Fitted[0]
	drills := 0
	for _, f := range s.Fitted {
		lo.Rows, hi.Rows = min(lo.Rows, f.Rows), max(hi.Rows, f.Rows)
		lo.BlastRows, hi.BlastRows = min(lo.BlastRows, f.BlastRows), max(hi.BlastRows, f.BlastRows)
		drills += max(1, f.Runs)
	}
	fmt.Fprintf(w, "projection of %s, fitted on %d sizes, the main drill's among them (%s–%s rows, %s–%s blast-radius rows; %d drills, each size's median)\n",
		s.Runbook, len(s.Fitted), count(lo.Rows), count(hi.Rows), count(lo.BlastRows), count(hi.BlastRows), drills)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  step kind\tmodel\tleft-out error\n")
	for _, m := range s.Models {
		note := ""
		if m.Note != "" {
			note = " (" + m.Note + ")"
		}
		if m.Projects {
			note += " ← projects the sizes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.0f %%%s\n", m.Step, m.Formula, 100*m.LOOError, note)
	}
	if c := s.Check; c != nil {
		fmt.Fprintf(tw, "  the main drill left out (%s rows, %s blast-radius rows)\tprojected %.1f s, measured %.1f s\t%+.0f %%\n",
			count(s.Main.Rows), count(s.Main.BlastRows), c.ProjectedS, c.MeasuredS, 100*c.Error)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range s.Sizes {
		if p.Error != "" {
			fmt.Fprintf(w, "  projected, %s: %s\n", p.Given, p.Error)
			continue
		}
		rto := "RTO not measured"
		if p.RTOP95S > 0 {
			rto = fmt.Sprintf("RTO p95 %.1f s, max %.1f s", p.RTOP95S, p.RTOMaxS)
		}
		fmt.Fprintf(w, "  projected, %s (%s): runbook %.1f s, %s\n", p.Given, p.Description(), p.RunbookS, rto)
	}
	if s.Main.RTOP95S > 0 {
		fmt.Fprintf(w, "  %s (the main drill: RTO p95 %.1f s, max %.1f s, runbook %.1f s)\n", s.Method, s.Main.RTOP95S, s.Main.RTOMaxS, s.Main.RunbookS)
	}
	_, err := fmt.Fprintf(w, "  %s\n", s.Verdict)
	return err
}

// count writes a row count short: 6.8 G, 11.7 M, 906 k, 512.
func count(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.1f G", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
