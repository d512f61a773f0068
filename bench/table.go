package bench

import (
	"cmp"
	"github.com/drdrill/drdrill/fixtures"
	"slices"

	"github.com/drdrill/drdrill/results"

	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of issues 3 and 8.
const (
	TargetStackStart  = 10 * time.Second // issue 3 (issue 8 allows 15 s)
	TargetSeedRatio   = 0.5
	TargetDrillWall   = 2 * time.Minute
	TargetOverhead    = 3.0
	TargetRunbookRate = 2.0
	TargetCPUShare    = 0.10
)

// Overhead is the drill's wall time over the necessary work measured in the same run.
func (r *Report) Overhead() float64 { return ratio(r.Drill.Wall, r.Baseline.Total()) }

// RunbookRatio is tenant-restore's restore phase over full-pitr's (0 when full-pitr did not run).
func (r *Report) RunbookRatio() float64 {
	return ratio(r.Drill.Phases["restore"], r.PITR.Phases["restore"])
}

// SeedRatio is the seeding throughput (fake-data generation included) over a raw COPY of the
// same rows in the same run.
func (r *Report) SeedRatio() float64 { return fixtures.Ratio(r.Seed, r.Raw) }

// CPUShare is the harness's CPU time over the tenant-restore drill's wall time.
func (r *Report) CPUShare() float64 { return ratio(r.CPU, r.Drill.Wall) }

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
	st := r.Drill.Phases["stack"]
	row("stack start (warm images)", sec(st), "< 10 s", st < TargetStackStart)
	sr := r.SeedRatio()
	row("seeding (generate+COPY+constraints+ANALYZE)", fmt.Sprintf("%s, %.0f rows/s", sec(r.Seed.Duration), r.Seed.RowsPerSecond), "", true)
	row("  of which COPY / constraints / ANALYZE", fmt.Sprintf("%s / %s / %s", sec(r.Seed.CopyDuration), sec(r.Seed.ConstraintsDuration), sec(r.Seed.AnalyzeDuration)), "", true)
	row("  raw COPY of the same rows", fmt.Sprintf("%s, %.0f rows/s", sec(r.Raw.Duration), r.Raw.RowsPerSecond), "", true)
	row("  seeding / raw COPY throughput", fmt.Sprintf("%.2f", sr), ">= 0.5", sr >= TargetSeedRatio)
	dr := r.Drill
	row(fmt.Sprintf("drill %s, %d sites of %d tenants, wall", dr.Runbook, dr.AffectedSites, dr.AffectedTenants), sec(dr.Wall), "< 2 min", dr.Wall < TargetDrillWall)
	for _, p := range []string{"stack", "seeding", "traffic", "incident", "restore", "verification", "reporting"} {
		row("  "+p, fmt.Sprintf("%s (harness CPU %s)", sec(dr.Phases[p]), sec(dr.PhaseCPU[p])), "", true)
	}
	b := r.Baseline
	row("necessary work (plain tools, same db)", sec(b.Total()), "", true)
	row("  raw COPY of the seed", sec(b.RawCopy), "", true)
	row("  pg_basebackup", sec(b.BaseBackup), "", true)
	row("  side server start + WAL replay", sec(b.SideStart), "", true)
	row(fmt.Sprintf("  raw COPY back of %d rows", b.CopyRows), sec(b.CopyBack), "", true)
	row("overhead: drill wall / necessary work", fmt.Sprintf("%.2f×", r.Overhead()), "<= 3×", r.Overhead() <= TargetOverhead)
	if r.PITR.Wall > 0 {
		row("full-pitr drill wall (restore phase)", fmt.Sprintf("%s (%s)", sec(r.PITR.Wall), sec(r.PITR.Phases["restore"])), "", true)
		row("restore: tenant-restore / full-pitr", fmt.Sprintf("%.2f×", r.RunbookRatio()), "< 2×", r.RunbookRatio() < TargetRunbookRate)
	}
	row("harness CPU / drill wall", fmt.Sprintf("%.1f %% (%s)", 100*r.CPUShare(), sec(r.CPU)), "< 10 %", r.CPUShare() < TargetCPUShare)
	row("harness peak RSS", fmt.Sprintf("%d MiB", r.PeakRSS>>20), "", true)
	for _, p := range r.LedgerCost {
		row(fmt.Sprintf("checker, ledger of %d writes", p.Writes), fmt.Sprintf("%s (%.0f ns/write)", p.Duration.Round(time.Microsecond), p.NsPerWrite()), "", true)
	}
	if e := r.Exponent(); e == e {
		row("  growth exponent (1 = linear)", fmt.Sprintf("%.2f", e), "<= 1.25", e <= 1.25)
	}
	if len(dr.Steps) > 0 {
		fmt.Fprintf(tw, "runbook %s steps (slowest 6)\t\t\t\n", dr.Runbook)
		for _, s := range slowest(dr.Steps, 6) {
			fmt.Fprintf(tw, "  %s\t%.1f s\t\t\n", s.Name, s.DurationMS/1000)
		}
	}
	return tw.Flush()
}

func slowest(steps []results.Step, n int) []results.Step {
	s := slices.Clone(steps)
	slices.SortStableFunc(s, func(a, b results.Step) int { return cmp.Compare(b.DurationMS, a.DurationMS) })
	return s[:min(n, len(s))]
}
