package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/tenancy"
)

// Runbook is a named recovery procedure. Run does its work in steps recorded through env.Step,
// so that every runbook's timings land in results.json the same way.
type Runbook interface {
	Name() string
	Run(ctx context.Context, env *Env) error
}

// registry lists every runbook, one file each. Adding a runbook is one new file and one line here.
var registry = []Runbook{
	undoMark{},
	fullPITR{},
	tenantRestore{},
	perDeletionRestore{},
	tenantRepair{},
}

// ErrUnknownRunbook is returned by Lookup for a name no runbook has.
var ErrUnknownRunbook = errors.New("unknown runbook")

// Runbooks returns the names of the registered runbooks, in registry order.
func Runbooks() []string {
	names := make([]string, len(registry))
	for i, rb := range registry {
		names[i] = rb.Name()
	}
	return names
}

// LookupIn returns the runbook called name among the built-in runbooks and a stack file's own
// (nil: the built-in ones): the one check of a runbook name (Drill.CheckRunbook asks it).
func LookupIn(name string, own []Runbook) (Runbook, error) {
	for _, rb := range append(slices.Clone(registry), own...) {
		if rb.Name() == name {
			return rb, nil
		}
	}
	names := Runbooks()
	for _, rb := range own {
		names = append(names, rb.Name())
	}
	return nil, fmt.Errorf("%w %q: known runbooks are %s", ErrUnknownRunbook, name, strings.Join(names, ", "))
}

// CheckRunbook finds the runbook called name (LookupIn) and checks that it can work on tenancy
// d, the stack's (a runbook with a CheckTenancy method says what it needs).
func CheckRunbook(name string, own []Runbook, d *tenancy.Declared) error {
	rb, err := LookupIn(name, own)
	if err != nil {
		return err
	}
	if c, ok := rb.(interface{ CheckTenancy(*tenancy.Declared) error }); ok {
		return c.CheckTenancy(d)
	}
	return nil
}

// Params tune how a runbook works. Zero values take the defaults.
type Params struct {
	// Parallelism is how many tenant batches tenant-restore copies at once, and how many
	// processes copy a base backup into a data directory (default DefaultParallelism).
	Parallelism int
	// BatchSize is how many tenants one batch holds (default: 10, or more so that there are
	// at most maxBatches batches).
	BatchSize int
	// NoWALSwitch skips pg_switch_wal() on the live primary before a restore. By default the
	// runbooks force the current WAL segment into the archive so the restore can reach T0.
	// Without it, WAL not yet archived is treated as lost (full-pitr kills the primary rather
	// than stopping it, since a clean shutdown archives the last segment), and a restore that
	// cannot reach T0 recovers to the archive's end instead (RPO > 0) and says so in Findings.
	NoWALSwitch bool
	// DBImage is the image of one-shot jobs on the database volumes (default drdrill/postgres:15).
	DBImage string
	// Timeout bounds each wait on a condition (recovery, promotion, app health); default 5 min.
	Timeout time.Duration
	// Tenancy is the stack file's tenancy: tenant-restore discovers the tables each tenant
	// owns on the side database from it and copies them with copyOwned. Nil keeps the
	// reference schema's own copy (copyTenants), the optimisation the generic one is
	// benchmarked against.
	Tenancy *tenancy.Declared
}

func (p Params) parallelism() int {
	if p.Parallelism > 0 {
		return p.Parallelism
	}
	return DefaultParallelism
}

// DefaultParallelism is Params.Parallelism's default: copy batches at a time, cp or
// pgbackrest processes restoring a base backup.
const DefaultParallelism = 2

// maxBatches bounds the default number of tenant-restore batches. A batch has a fixed cost
// (a transaction, a COPY per table, a synchronous commit), against about 25 µs a row: for the
// atlassian blast radius (775 tenants, 907 k rows) 78 batches of 10 took 20 s and 16 batches
// of 49 took 16 s when every row went through an upsert, 12 s once rows of deleted sites went
// in by plain COPY. Sixteen batches keep a stepped restoration curve; the rest of the copy's
// cost is per row (COPY into the live, indexed tables while traffic, probes and the verifier
// run on the same two cores).
const maxBatches = 16

// batchSize is the tenants per batch for a restore of n tenants.
func (p Params) batchSize(n int) int {
	if p.BatchSize > 0 {
		return p.BatchSize
	}
	return max(10, (n+maxBatches-1)/maxBatches)
}

func (p Params) dbImage() string {
	if p.DBImage != "" {
		return p.DBImage
	}
	return images.Postgres
}

func (p Params) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 5 * time.Minute
}

// Env is what a runbook works with: the live stack, its backups, the incident and the
// pre-incident manifest.
type Env struct {
	Stack   *stack.Stack
	Backups *Backups
	// T0 is the incident's start on the harness clock; restores target the moment just before it.
	T0 time.Time
	// Before is the manifest taken before the incident; the blast radius is the diff against a
	// manifest of the live db over the same tenants (Before.Scope).
	Before fixtures.Manifest
	// WALAtT0 is the live database's WAL insert location read just before T0 ("" unknown):
	// the per-deletion restore reads the WAL from there instead of from the base backup.
	WALAtT0 string
	// IDs is the faulty script's input. Runbooks never act on it; it is kept for the report.
	IDs    []int64
	Params Params
	// Progress receives one line per step; nil is quiet.
	Progress io.Writer
	// OnTenantsRestored, if set, is called each time a set of tenants has been put back
	// (committed), with the harness time of the commit. The verifier may use it as a hint.
	OnTenantsRestored func(tenants []int64, at time.Time)

	// Blast is the blast radius found by the first step of every runbook.
	Blast BlastRadius
	// Findings are plain-language notes for the report (e.g. a recovery target not reached).
	Findings []string
	// Copy counts what tenant-restore copied.
	Copy CopyStats
	// Own are the stack file's runbooks, beside the built-in ones.
	Own []Runbook
	// Faults are armed for this run of the runbook: each fires once, at the first hook point
	// it applies to (see Fault). RunRunbook reports those that never fired.
	Faults []Fault

	rec   *recorder
	fired map[string]bool // fault name → fired
	// walEnd is the segment the WAL switch closed: a recovery to T0 needs every segment from
	// its base backup's up to it ("" without the switch).
	walEnd string
	// verified is pgbackrest verify's report, once it ran (pgBackRest only).
	verified *verifyReport
	hookM    sync.Mutex
	findM    sync.Mutex
}

// Step runs fn as the runbook step called name and records its start (relative to T0) and
// duration. The error, if any, is recorded and returned wrapped with the step's name.
func (e *Env) Step(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if e.rec == nil {
		e.rec = &recorder{t0: e.T0, progress: e.Progress}
	}
	return e.rec.do(ctx, name, 0, fn)
}

func (e *Env) progressf(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, format+"\n", args...)
	}
}

func (e *Env) restored(tenants []int64, at time.Time) {
	if e.OnTenantsRestored != nil {
		e.OnTenantsRestored(tenants, at)
	}
}

// RunRunbook runs the runbook called name against env and returns its recorded steps. The
// returned results.Runbook is filled even when the runbook fails (its Error says why).
func RunRunbook(ctx context.Context, name string, env *Env) (results.Runbook, error) {
	out := results.Runbook{Name: name}
	rb, err := LookupIn(name, env.Own)
	if err != nil {
		out.Error = err.Error()
		return out, err
	}
	if env.Stack == nil {
		err := fmt.Errorf("runbook %s: no stack", name)
		out.Error = err.Error()
		return out, err
	}
	if env.T0.IsZero() {
		err := fmt.Errorf("runbook %s: T0 is not set (run the incident first)", name)
		out.Error = err.Error()
		return out, err
	}
	env.rec = &recorder{t0: env.T0, progress: env.Progress}
	start := time.Now()
	err = env.hook(ctx, Point{Hook: HookStart})
	if err == nil {
		err = rb.Run(ctx, env)
	}
	env.endFaults(name)
	out.DurationMS = results.MS(time.Since(start))
	out.Steps = env.rec.steps()
	if err != nil {
		err = fmt.Errorf("runbook %s: %w", name, err)
		out.Error = err.Error()
	}
	return out, err
}

// recorder collects step timings; batches of tenant-restore record concurrently.
type recorder struct {
	t0       time.Time
	progress io.Writer

	mu  sync.Mutex
	got []results.Step
}

// do runs one attempt of a step; attempt 0 is a step without retries (recorded without an
// attempt number).
func (r *recorder) do(ctx context.Context, name string, attempt int, fn func(ctx context.Context) error) error {
	start := time.Now()
	err := ctx.Err()
	if err == nil {
		err = fn(ctx)
	}
	d := time.Since(start)
	st := results.Step{Name: name, StartMS: results.MS(start.Sub(r.t0)), DurationMS: results.MS(d), Attempt: attempt}
	if err != nil {
		err = fmt.Errorf("step %q: %w", name, err)
		st.Error = err.Error()
	} else if attempt == 1 {
		st.Attempt = 0 // a first attempt that worked is a plain step
	}
	r.mu.Lock()
	r.got = append(r.got, st)
	if r.progress != nil {
		status := "ok"
		if err != nil {
			status = "FAILED: " + err.Error()
		}
		label := name
		if attempt > 1 {
			label = fmt.Sprintf("%s (attempt %d)", name, attempt)
		}
		fmt.Fprintf(r.progress, "runbook step %-40s T0%+9.1fs %8.2fs %s\n", label, start.Sub(r.t0).Seconds(), d.Seconds(), status)
	}
	r.mu.Unlock()
	return err
}

func (r *recorder) steps() []results.Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]results.Step(nil), r.got...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartMS < out[j].StartMS })
	return out
}
