package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/internal/rusage"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/projection"
	"github.com/drdrill/drdrill/reports"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// Config chooses the size of a bench run.
type Config struct {
	Profile     string        // fixtures profile: atlassian (make bench) or quick
	Tenants     int           // override of the profile's tenants; 0 keeps it
	Seed        int64         // fixtures seed (default drill.DefaultSeed)
	TrafficRate float64       // writes/s during the drills (default 200, as the feature)
	Archive     time.Duration // archive_timeout (default 10 s, as atlassian-2022.feature)
	Probe       time.Duration // availability probe period (default 1 s, as atlassian-2022.feature)
	FullPITR    bool          // also run the full-pitr drill for the runbook ratio
	// PgBackRest also runs tenant-restore (and full-pitr with FullPITR) with pgBackRest as the
	// backup tool, same profile and run, for the tool ratio.
	PgBackRest  bool
	LedgerSizes []int // checker cost at these ledger sizes (default 1e4, 1e5, 1e6)
	// Project, when it lists three sizes or more, also runs tenant-restore on the same profile
	// at each (its tenants and faulty list resized), fits the projection's cost model to their
	// runbook steps and the main drill's (and the scaled drill's, with Scale), each size in turn
	// left out to judge the fit: the main drill's own left-out prediction is the check.
	Project []Point
	// ProjectRuns is how many drills the projection runs at each of its sizes (the main drill's,
	// the scaled one's, each of Project's; default 1): it is fitted on each size's medians.
	ProjectRuns int
	// Scale, if set, also runs tenant-restore at this many tenants with the main drill's
	// faulty list (the same blast radius on a larger database): which steps grow with the
	// database and which with the blast radius only (Split). With Project, the projection is
	// fitted on it too.
	Scale int
	// ProjectTo are the sizes the projection is projected to (with Project); none projects
	// to 20× the main drill's database, the same blast radius.
	ProjectTo []TargetSize
	Log       io.Writer // progress; nil = quiet
	tool      stack.BackupTool
}

// Point is one drill size of the projection: tenants, and the faulty list's sites and tenants.
type Point struct {
	Tenants, VictimSites, VictimTenants int
}

// Report holds every figure of one bench run. Durations are wall-clock on this machine.
type Report struct {
	Profile string
	Rows    int64
	// DBBytes is pg_database_size of the main drill's database once the drill ended (the dead
	// rows the incident left included, as a production database has its own): the projection
	// turns a database size into rows with it.
	DBBytes int64
	Load    string // load average at the end (the machine is shared: figures are noisy)

	Seed, Raw fixtures.Stats // the drill's seeding and the raw COPY baseline of the same rows

	Drill DrillRun // tenant-restore, traffic on
	PITR  DrillRun // full-pitr of the same profile (zero when not run)
	// PgBackRest and PgBackRestPITR are the same two drills with pgBackRest (zero when not run).
	PgBackRest, PgBackRestPITR DrillRun
	Baseline                   Baseline
	Assess                     AssessCost
	CPU                        time.Duration // user+system CPU of this process during the tenant-restore drill
	PeakRSS                    int64         // bytes, whole process, high-water mark at the tenant-restore drill's end
	LedgerCost                 []LedgerPoint

	// The projection (Config.Project): the drills it was fitted on, the models, and the main
	// drill's runbook as measured and as the models predict it.
	ProjectionRuns []DrillRun
	Projection     []projection.Model
	ProjectTo      []TargetSize // Config.ProjectTo
	// Scaled is tenant-restore at Config.Scale tenants, the main drill's faulty list; zero
	// when it failed, and ScaledErr says why (the projection is fitted without it).
	Scaled    DrillRun
	ScaledErr string
}

// DrillRun is one drill end to end.
type DrillRun struct {
	Runbook  string
	Wall     time.Duration            // StartStack to the reports written
	Phases   map[string]time.Duration // results.json phases, plus reporting
	PhaseCPU map[string]time.Duration // this process's CPU time in each phase
	// PhaseSwitches is this process's thread switches in each phase (getrusage's voluntary and
	// involuntary context switches, every thread's): each is a wake-up of the harness, and on a
	// virtual machine a switch costs CPU of its own.
	PhaseSwitches map[string]int64
	RunbookTime   time.Duration // the runbook's own duration (inside restore)
	Tenants       int           // tenants in the drill's database
	// RTOP95 and RTOMax are the drill's RTO over its affected tenants: T0 to verified restored
	// (zero when not measured).
	RTOP95, RTOMax  time.Duration
	AffectedSites   int
	AffectedTenants int
	Verdict         results.Status
	Steps           []results.Step
	// Size is the drill's size as the projection sees it: rows in the database, and rows the
	// incident took (from the blast radius's manifest diff).
	Size     projection.Size
	affected []int64
	// Repeats are the other drills run at the same size for the projection
	// (Config.ProjectRuns): Sample is the median of them all.
	Repeats []DrillRun
}

// Sample is the drill's runbook as the projection fits it: seconds per kind of step, and the
// whole runbook as RunbookStep; with Repeats, each the median over the drill and its repeats
// (a step kind a drill did not run counts 0 s for it), at the drill's own size.
func (run DrillRun) Sample() projection.Sample {
	runs := append([]DrillRun{run}, run.Repeats...)
	each := make([]map[string]float64, len(runs))
	kinds := map[string]bool{}
	for i, r := range runs {
		each[i] = map[string]float64{RunbookStep: r.RunbookTime.Seconds()}
		for _, s := range r.Steps {
			each[i][projection.StepKind(s.Name)] += s.DurationMS / 1000
		}
		for k := range each[i] {
			kinds[k] = true
		}
	}
	steps := make(map[string]float64, len(kinds))
	for k := range kinds {
		v := make([]float64, len(each))
		for i, m := range each {
			v[i] = m[k]
		}
		slices.Sort(v)
		steps[k] = median(v)
	}
	return projection.Sample{Size: run.Size, Steps: steps}
}

// Plan is the drill's runbook as recorded, its steps and what each waited for, of the run whose
// runbook was the median among it and its repeats (the lower middle of an even count).
func (run DrillRun) Plan() projection.Plan {
	runs := append([]DrillRun{run}, run.Repeats...)
	slices.SortStableFunc(runs, func(a, b DrillRun) int { return cmp.Compare(a.RunbookTime, b.RunbookTime) })
	m := runs[(len(runs)-1)/2]
	spans := make([]projection.Span, len(m.Steps))
	for i, st := range m.Steps {
		spans[i] = projection.Span{Kind: projection.StepKind(st.Name), Start: st.StartMS / 1000, Dur: st.DurationMS / 1000}
	}
	return projection.NewPlan(spans, m.RunbookTime.Seconds())
}

// RunbookStep is the projection's name for the whole runbook (its steps overlap: the copy
// batches run in parallel).
const RunbookStep = "the whole runbook"

// Baseline is the physically necessary work of the drill, done with plain Postgres tools on
// the drill's own database after it ended.
type Baseline struct {
	RawCopy    time.Duration // COPY of the seed's rows, constraints and VACUUM ANALYZE (fixtures.RawCopy)
	Checkpoint time.Duration // the CHECKPOINT after it: the loaded data written to disk
	BaseBackup time.Duration // pg_basebackup -Fp -Xstream -c fast of the whole database
	SideStart  time.Duration // a server on a fresh volume from that backup, WAL replayed, promoted
	CopyBack   time.Duration // COPY of the affected tenants' rows from it back into the live tables (copyBackLive)
	CopyRows   int64
	// CopyBackEmpty is the same COPY into empty copies of the tables (copyBackEmpty): a lower
	// bound, printed, not part of the necessary work.
	CopyBackEmpty time.Duration
	// CopyBackCPU is this process's CPU while it streamed CopyBack's rows from the side server
	// to the live one: the share of a restore phase's harness CPU that is the runbook's own
	// data path (tenant-restore streams the same rows the same way), not measurement.
	CopyBackCPU time.Duration
}

// Total is the sum of the necessary work.
func (b Baseline) Total() time.Duration {
	return b.RawCopy + b.Checkpoint + b.BaseBackup + b.SideStart + b.CopyBack
}

// AssessCost is the blast-radius assessment alone on the drill's database once the drill is
// over (its restored tenants re-written, traffic's rows in), each way the faster of two takes:
// Whole reads a manifest of the whole database, Since the pages of the tenants with newer row
// versions than the pre-incident manifest (fixtures.Shape.TakeManifestSince by row versions:
// the runbooks' way, and the final check's). Both must find the same differences. Incident is
// the harness's own assessment after the script, in the drill (traffic on), by the pages
// changed since the snapshot it held (Pages: what it read; zero when it read row versions).
type AssessCost struct {
	Whole, Since time.Duration
	Incident     time.Duration
	Pages        fixtures.PagesRead
}

// LedgerPoint is the checker's cost at one ledger size.
type LedgerPoint struct {
	Writes   int
	Duration time.Duration // one CheckWrites over the whole ledger
}

// NsPerWrite is the cost per write.
func (p LedgerPoint) NsPerWrite() float64 {
	return float64(p.Duration.Nanoseconds()) / float64(p.Writes)
}

func (c Config) withDefaults() Config {
	if c.Profile == "" {
		c.Profile = "atlassian"
	}
	if c.Seed == 0 {
		c.Seed = drill.DefaultSeed
	}
	if c.TrafficRate == 0 {
		c.TrafficRate = 200
	}
	if c.Archive == 0 {
		c.Archive = 10 * time.Second
	}
	if c.Probe == 0 {
		c.Probe = time.Second
	}
	if c.ProjectRuns < 1 {
		c.ProjectRuns = 1
	}
	if c.LedgerSizes == nil {
		c.LedgerSizes = []int{1e4, 1e5, 1e6}
	}
	return c
}

// Run runs the bench: the tenant-restore drill, the baselines on its database, the full-pitr
// drill if asked, and the checker's cost; ctx bounds everything.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	r := &Report{Profile: cfg.Profile, ProjectTo: cfg.ProjectTo}
	defer func() { // a bench cut short says how loaded the machine was too
		if b, err := os.ReadFile("/proc/loadavg"); err == nil && len(b) > 14 {
			r.Load = string(b[:14])
		}
	}()
	startPeakRSS()
	u0 := rusage.Now()
	var err error
	r.Drill, err = runDrill(ctx, cfg, "tenant-restore", func(d *drill.Drill, run DrillRun) error {
		r.Drill = run
		// The baselines run once the drill's figures are in, before its stack goes.
		r.CPU = u0.Since().CPU
		r.PeakRSS = peakRSS() // before the raw COPY baseline holds its rows in memory
		r.Seed = d.SeedStats()
		r.Rows = d.Results().Params.Rows
		// Before the baseline's raw COPY adds its own copy of the rows to the database.
		size, err := databaseBytes(ctx, d.Stack().DSN())
		if err != nil {
			return err
		}
		r.DBBytes = size
		if r.Assess, err = assessCost(ctx, d.Stack().DSN(), d.Manifest()); err != nil {
			return err
		}
		r.Assess.Incident, r.Assess.Pages = d.IncidentAssessment()
		return baseline(ctx, cfg, d, r)
	})
	if err != nil {
		return r, err
	}
	if cfg.FullPITR {
		if r.PITR, err = runDrill(ctx, cfg, "full-pitr", nil); err != nil {
			return r, err
		}
	}
	if cfg.PgBackRest {
		pb := cfg
		pb.tool = stack.PgBackRest
		if r.PgBackRest, err = runDrill(ctx, pb, "tenant-restore", nil); err != nil {
			return r, fmt.Errorf("with pgbackrest: %w", err)
		}
		if cfg.FullPITR {
			if r.PgBackRestPITR, err = runDrill(ctx, pb, "full-pitr", nil); err != nil {
				return r, fmt.Errorf("with pgbackrest: %w", err)
			}
		}
	}
	for _, n := range cfg.LedgerSizes {
		r.LedgerCost = append(r.LedgerCost, ledgerCost(n))
	}
	return r, sizes(ctx, cfg, r, func(ctx context.Context, p Point) (DrillRun, error) {
		return runDrillAt(ctx, cfg, p, "tenant-restore", nil)
	})
}

// drillAt runs tenant-restore at the size p gives, as the bench's main drill (runDrillAt).
type drillAt func(ctx context.Context, p Point) (DrillRun, error)

// sizes runs the drills at other sizes, with at: the scaled drill (Config.Scale) and the
// projection's (Config.Project), then fits the projection. A failed scaled drill does not end
// it: the projection is fitted without it, and the error is returned at the end.
func sizes(ctx context.Context, cfg Config, r *Report, at drillAt) error {
	var failed error // the scaled drill's
	if cfg.Scale > 0 {
		p := Point{Tenants: cfg.Scale, VictimSites: r.Drill.AffectedSites, VictimTenants: r.Drill.AffectedTenants}
		logf(cfg.Log, "bench: tenant-restore at %d tenants, the same faulty list (%d sites of %d tenants)", p.Tenants, p.VictimSites, p.VictimTenants)
		var err error
		if r.Scaled, err = at(ctx, p); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("drill at %d tenants: %w", cfg.Scale, err)
			}
			// The rest of the bench goes on without it (the projection is fitted on the other
			// sizes), and the bench fails at its end, saying why.
			failed = fmt.Errorf("drill at %d tenants failed, the bench went on without it: %w", cfg.Scale, err)
			logf(cfg.Log, "bench: %v", failed)
			r.Scaled, r.ScaledErr = DrillRun{}, failed.Error()
		} else if len(cfg.Project) > 0 {
			if r.Scaled.Repeats, err = repeat(ctx, cfg, at, p, fmt.Sprintf("%d tenants, the same faulty list", p.Tenants)); err != nil {
				return err
			}
		}
	}
	if len(cfg.Project) > 0 {
		if err := project(ctx, cfg, r, at); err != nil {
			return errors.Join(err, failed)
		}
	}
	return failed
}

// runDrill runs one drill as atlassian-2022.feature does (purge with site IDs, traffic on),
// writes its results and reports into a temporary directory, then calls after (if any) before
// closing the stack.
func runDrill(ctx context.Context, cfg Config, runbook string, after func(*drill.Drill, DrillRun) error) (run DrillRun, err error) {
	return runDrillAt(ctx, cfg, Point{Tenants: cfg.Tenants}, runbook, after)
}

// runDrillAt is runDrill at the size p gives (zero fields keep the profile's).
func runDrillAt(ctx context.Context, cfg Config, p Point, runbook string, after func(*drill.Drill, DrillRun) error) (run DrillRun, err error) {
	run.Runbook = runbook
	d := drill.New(drill.Config{
		Profile: cfg.Profile, Tenants: p.Tenants, VictimSites: p.VictimSites, VictimTenants: p.VictimTenants,
		Seed: cfg.Seed, TrafficRate: cfg.TrafficRate, BackupTool: cfg.tool,
		ArchiveTimeout: cfg.Archive, ProbeInterval: cfg.Probe, Scenario: "bench " + runbook + " " + string(cfg.tool), Log: cfg.Log,
	})
	defer func() {
		if cerr := d.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	out, err := os.MkdirTemp("", "drdrill-bench-")
	if err != nil {
		return run, err
	}
	defer os.RemoveAll(out)
	start := time.Now()
	run.PhaseCPU, run.PhaseSwitches = map[string]time.Duration{}, map[string]int64{}
	// The names are the phases of results.json.
	for _, phase := range d.Sequence(drill.IncidentSpec{Mode: "purge", IDKind: "site"}, runbook) {
		u := rusage.Now()
		// The label marks the CPU profile (drdrill bench -cpuprofile; pprof -tagfocus phase=…),
		// goroutines included: the prober and traffic started in "traffic" keep its label.
		var err error
		pprof.Do(ctx, pprof.Labels("phase", phase.Name), func(ctx context.Context) { err = phase.Run(ctx) })
		if err != nil {
			return run, fmt.Errorf("%s drill: %w", runbook, err)
		}
		used := u.Since()
		run.PhaseCPU[phase.Name] += used.CPU
		run.PhaseSwitches[phase.Name] += used.Switches
	}
	rep, u := time.Now(), rusage.Now()
	if _, err := d.WriteResults(out); err != nil {
		return run, err
	}
	if err := reports.RenderAll(out, []*results.Results{d.Results()}, reports.Options{}); err != nil {
		return run, fmt.Errorf("%s drill: reports: %w", runbook, err)
	}
	run.PhaseCPU["reporting"] += u.Since().CPU
	run.Wall = time.Since(start)
	res := d.Results()
	run.Phases = map[string]time.Duration{"reporting": time.Since(rep)}
	for _, p := range res.Phases {
		run.Phases[p.Name] += results.Duration(p.DurationMS)
	}
	run.RunbookTime = results.Duration(res.Runbook.DurationMS)
	run.Steps = res.Runbook.Steps
	run.Size = projection.Size{Rows: float64(res.Params.Rows), BlastRows: float64(blastRows(d.History()))}
	run.AffectedSites, run.AffectedTenants = res.Incident.AffectedSites, res.Incident.AffectedTenants
	run.Tenants = res.Params.Tenants
	if res.Summary.RTOP95MS != nil && res.Summary.RTOMaxMS != nil {
		run.RTOP95, run.RTOMax = results.Duration(*res.Summary.RTOP95MS), results.Duration(*res.Summary.RTOMaxMS)
	}
	run.Verdict = res.Verdict
	for _, t := range res.Tenants {
		if t.Affected {
			run.affected = append(run.affected, t.ID)
		}
		if t.Affected && !t.Restored {
			return run, fmt.Errorf("%s drill: tenant %d was never verified restored", runbook, t.ID)
		}
	}
	if res.Summary.RestoredTenants != res.Summary.AffectedTenants || res.Summary.AffectedTenants == 0 {
		return run, fmt.Errorf("%s drill: %d of %d affected tenants restored", runbook, res.Summary.RestoredTenants, res.Summary.AffectedTenants)
	}
	if after != nil {
		if err := after(d, run); err != nil {
			return run, err
		}
	}
	return run, nil
}

// repeat runs tenant-restore at p Config.ProjectRuns − 1 more times, with at, for the
// projection's medians; what names the size in the progress lines.
func repeat(ctx context.Context, cfg Config, at drillAt, p Point, what string) ([]DrillRun, error) {
	var out []DrillRun
	for i := 2; i <= cfg.ProjectRuns; i++ {
		logf(cfg.Log, "bench: %s again (%d of %d, for the projection's medians)", what, i, cfg.ProjectRuns)
		run, err := at(ctx, p)
		if err != nil {
			return out, fmt.Errorf("%s, drill %d of %d: %w", what, i, cfg.ProjectRuns, err)
		}
		out = append(out, run)
	}
	return out, nil
}

// assessCost times the blast-radius assessment both ways (AssessCost), alternately, twice each,
// and fails if the two disagree on what changed since before.
func assessCost(ctx context.Context, dsn string, before fixtures.Manifest) (AssessCost, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return AssessCost{}, fmt.Errorf("assessment cost: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sh := before.Shape()
	var c AssessCost
	var whole, since fixtures.Manifest
	for range 2 {
		start := time.Now()
		if whole, err = sh.TakeManifest(ctx, conn, nil); err != nil {
			return c, fmt.Errorf("assessment cost, whole manifest: %w", err)
		}
		if d := time.Since(start); c.Whole == 0 || d < c.Whole {
			c.Whole = d
		}
		start = time.Now()
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return c, fmt.Errorf("assessment cost: %w", err)
		}
		since, err = sh.TakeManifestSince(ctx, tx, before.Detached())
		tx.Rollback(context.WithoutCancel(ctx))
		if err != nil {
			return c, fmt.Errorf("assessment cost, since the pre-incident manifest: %w", err)
		}
		if d := time.Since(start); c.Since == 0 || d < c.Since {
			c.Since = d
		}
	}
	if d := whole.Diff(since); len(d) != 0 {
		return c, fmt.Errorf("assessment cost: the manifest since the pre-incident one differs from the whole one for %d tenants (tenant %d first)", len(d), d[0].Tenant)
	}
	return c, nil
}

// baseline does the drill's necessary work with plain tools on the drill's database.
func baseline(ctx context.Context, cfg Config, d *drill.Drill, r *Report) error {
	st := d.Stack()
	pool, err := pgxpool.New(ctx, st.DSN())
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer pool.Close()
	p := d.Profile()
	// What the drill left unwritten goes to disk first, untimed: the timed checkpoint below
	// writes the raw load's data alone.
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("baseline: checkpoint before the raw COPY: %w", err)
	}
	logf(cfg.Log, "bench: raw COPY of the %d seeded rows", p.TotalRows())
	// As the drill's seeding, the raw load's WAL is not archived: no restore could use it.
	release, err := st.HoldArchive(ctx)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	// The load's data goes to disk once, at the first checkpoint after it: in the drill that
	// is the first base backup's (pg_basebackup -c fast), so it is timed here, apart from the
	// backup, before the raw load's schema is dropped (after, its dirty pages are discarded
	// unwritten, and until 2026-12-07 this checkpoint timed nothing: 0.0-0.1 s).
	r.Raw, err = fixtures.RawCopyThen(ctx, pool, p, cfg.Seed, func(ctx context.Context) error {
		t := time.Now()
		if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		r.Baseline.Checkpoint = time.Since(t)
		return nil
	})
	if rerr := release(context.WithoutCancel(ctx)); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("baseline raw COPY: %w", err)
	}
	r.Baseline.RawCopy = r.Raw.Duration
	logf(cfg.Log, "bench: pg_basebackup")
	dir := stack.BackupsDir + "/bench-raw"
	if r.Baseline.BaseBackup, err = basebackup(ctx, st, dir); err != nil {
		return err
	}
	logf(cfg.Log, "bench: side server from the backup")
	side, took, err := startSide(ctx, st, dir)
	if err != nil {
		return err
	}
	r.Baseline.SideStart = took
	defer side.Terminate(context.WithoutCancel(ctx))
	affected := r.Drill.affected
	if len(affected) == 0 {
		return errors.New("baseline: the drill found no affected tenant")
	}
	sideConn, err := pgx.Connect(ctx, side.DSN())
	if err != nil {
		return fmt.Errorf("baseline copy back: connect to the side server: %w", err)
	}
	defer sideConn.Close(context.WithoutCancel(ctx))
	// Into the live tables first: like the drill's copy, it reads a side server just started.
	logf(cfg.Log, "bench: raw COPY of %d affected tenants back into the live tables (rolled back)", len(affected))
	u := rusage.Now()
	if r.Baseline.CopyBack, r.Baseline.CopyRows, err = copyBackLive(ctx, sideConn.PgConn(), pool, affected); err != nil {
		return err
	}
	r.Baseline.CopyBackCPU = u.Since().CPU
	logf(cfg.Log, "bench: raw COPY of %d affected tenants back into empty tables", len(affected))
	var rows int64
	if r.Baseline.CopyBackEmpty, rows, err = copyBackEmpty(ctx, sideConn.PgConn(), pool, affected); err != nil {
		return err
	}
	if rows != r.Baseline.CopyRows {
		return fmt.Errorf("baseline: the copy back into the live tables moved %d rows, into empty ones %d", r.Baseline.CopyRows, rows)
	}
	return nil
}

// ledgerCost times CheckWrites over a synthetic ledger of n writes (measure's
// BenchmarkCheckLedger workload), best of a few runs.
func ledgerCost(n int) LedgerPoint {
	writes, observed := measure.SyntheticLedger(n, time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC))
	res := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			measure.CheckWrites(writes, observed, writes[n/2].At)
		}
	})
	return LedgerPoint{Writes: n, Duration: time.Duration(res.NsPerOp())}
}

// Exponent is the growth exponent of the checker's cost between the smallest and the largest
// ledger: 1 is linear, 2 quadratic.
func (r *Report) Exponent() float64 {
	if len(r.LedgerCost) < 2 {
		return math.NaN()
	}
	a, b := r.LedgerCost[0], r.LedgerCost[len(r.LedgerCost)-1]
	return math.Log(float64(b.Duration)/float64(a.Duration)) / math.Log(float64(b.Writes)/float64(a.Writes))
}

func peakRSS() int64 {
	// VmHWM honours resetPeakRSS; getrusage's ru_maxrss is the whole process's life.
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		_, line, _ := strings.Cut(string(b), "\nVmHWM:")
		if f := strings.Fields(line); len(f) >= 2 && f[1] == "kB" {
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// startPeakRSS starts a run's own high-water mark, not an earlier run's raw COPY baseline: the
// memory an earlier run freed goes back to the system first, or the mark starts at it (the
// quick profile with a 10⁶-write ledger: a second run printed 496 MiB against its first's 54;
// 56 and 53 after).
func startPeakRSS() {
	debug.FreeOSMemory()
	resetPeakRSS()
}

// resetPeakRSS sets the process's resident high-water mark back to its current RSS (Linux:
// "5" to /proc/self/clear_refs), so that peakRSS measures from here on; elsewhere a no-op.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// blastRows counts the rows the incident took, from the blast radius's manifest diff.
func blastRows(h drill.History) int64 {
	if h.Incident == nil {
		return 0
	}
	var n int64
	for _, d := range h.Incident.Blast.Diffs {
		for _, t := range d.Tables {
			n += max(0, t.RowsBefore-t.RowsAfter)
		}
	}
	return n
}

// databaseBytes is pg_database_size of the database dsn names.
func databaseBytes(ctx context.Context, dsn string) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// project runs tenant-restore, with at, at each of cfg.Project's sizes on the bench's profile
// (traffic and probes as the main drill) and fits the cost model to their runbooks.
func project(ctx context.Context, cfg Config, r *Report, at drillAt) error {
	var err error
	if r.Drill.Repeats, err = repeat(ctx, cfg, at, Point{Tenants: cfg.Tenants}, "the main drill's size"); err != nil {
		return err
	}
	for i, p := range cfg.Project {
		logf(cfg.Log, "bench: projection drill %d of %d: %d tenants, faulty list of %d sites of %d tenants", i+1, len(cfg.Project), p.Tenants, p.VictimSites, p.VictimTenants)
		run, err := at(ctx, p)
		if err != nil {
			return fmt.Errorf("projection drill at %d tenants: %w", p.Tenants, err)
		}
		if run.Repeats, err = repeat(ctx, cfg, at, p, fmt.Sprintf("projection drill %d", i+1)); err != nil {
			return err
		}
		r.ProjectionRuns = append(r.ProjectionRuns, run)
	}
	return r.fit()
}

// fit fits the projection's cost models to the fitted drills' samples (fittedRuns).
func (r *Report) fit() error {
	runs, _ := r.fittedRuns()
	models, err := projection.Fit(samples(runs))
	if err != nil {
		return err
	}
	r.Projection = models
	return nil
}
