package drill

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stackfile"
)

// Config is everything a drill needs before it starts. Zero values take the Default
// constants below.
type Config struct {
	RunID string
	Group string // the drill run (shards share it): a label on the stack's resources
	// Keep labels the stack as one to keep for inspection when the drill fails: Close then
	// leaves it running (see KeepFailed) and `drdrill clean` removes it only when named.
	Keep           bool
	Shard          string // "i/n" when the run is sharded, for results.json
	Feature        string // feature file, for results.json
	Scenario       string
	Tags           []string
	Profile        string // fixtures profile name: quick | atlassian
	Tenants        int    // overrides of the profile's sizes; 0 keeps the profile's
	RecordsPerSite int
	Seed           int64
	TrafficRate    float64       // acknowledged writes per second over all tenants
	ProbeInterval  time.Duration // availability probe period
	VerifyInterval time.Duration // data verification period during recovery
	ArchiveTimeout time.Duration // Postgres archive_timeout: bounds the RPO of WAL shipping
	BackupEvery    time.Duration // base backup schedule; 0 = one base backup after seeding
	Parallelism    int           // tenant-restore parallelism
	// The faulty list's size: sites of how many tenants the script is given (overrides of the
	// profile's, 0 keeps them), or a share of the tenants and of the sites (0 keeps them;
	// applied before the counts).
	VictimSites   int
	VictimTenants int
	VictimShare   float64
	// ScriptBatch and ScriptPause pace the faulty script: IDs per transaction (0: its default)
	// and the wait between them, so that a short drill replays a long run faithfully.
	ScriptBatch int
	ScriptPause time.Duration
	// DetectionDelay is how long after T0 the incident is noticed: the runbook starts then.
	DetectionDelay time.Duration
	NoWALSwitch    bool // runbooks do not force the last WAL segment out: unarchived WAL is lost
	// BackupTool is how the stack backs up and archives: stack.Plain or stack.PgBackRest
	// (a step or --backup-tool); empty takes the stack file's backup.tool (Tool), else plain.
	// Runbooks restore with the same tool.
	BackupTool stack.BackupTool
	// ScheduledBackup is the type of the backups BackupEvery takes (zero: full); diff and
	// incr need BackupTool pgbackrest. The first backup, after seeding, is always full.
	ScheduledBackup scenarios.BackupType
	Log             io.Writer // progress lines; nil = quiet
	// WorkDir holds the ledger while the drill runs (on the harness host, outside the stack);
	// empty: a new temporary directory. WriteResults copies the ledger next to results.json.
	WorkDir string
	// SourceDir is the module root the images are built from when missing (see images.Options).
	SourceDir string
	// Stack is the stack file the drill runs on (LoadStack); nil: the reference stack's.
	Stack *stackfile.Stack
}

// Defaults of a drill, as DESIGN.md fixes them.
const (
	DefaultProfile        = "quick"
	DefaultSeed           = 42
	DefaultTrafficRate    = 200
	DefaultProbeInterval  = 250 * time.Millisecond
	DefaultVerifyInterval = 500 * time.Millisecond
	DefaultArchiveTimeout = 5 * time.Second
	DefaultParallelism    = 2
)

// withDefaults fills zero values.
func (c Config) withDefaults() Config {
	if c.Profile == "" {
		c.Profile = DefaultProfile
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.TrafficRate == 0 {
		c.TrafficRate = DefaultTrafficRate
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.VerifyInterval == 0 {
		c.VerifyInterval = DefaultVerifyInterval
	}
	if c.ArchiveTimeout == 0 {
		c.ArchiveTimeout = DefaultArchiveTimeout
	}
	if c.Parallelism == 0 {
		c.Parallelism = DefaultParallelism
	}
	return c
}

// IncidentSpec is the faulty script's run: what it was meant to do and what it was given.
type IncidentSpec struct {
	Mode       string   // mark | purge | corrupt, or truncate (a migration: no ID list)
	IDKind     string   // app | site | mixed: what the ID list holds; "" for truncate
	Table      string   // truncate: the table emptied for every tenant
	Guardrails []string // dry-run, check-kind, max-scope=N
	// SiteShare is, for a mixed list, the share (0..1, exclusive) of the listed sites given by
	// their site ID; the others are given by their app's ID (fixtures.Targets.Mixed).
	SiteShare float64
}

// ErrNotStarted is returned by a phase that needs an earlier one.
var ErrNotStarted = errors.New("drill: phase called before the stack was started")

// Drill is one run of one scenario: its phases record into a History and register the
// teardown of what they start; Judge turns the history into results.
type Drill struct {
	cfg       Config
	h         History
	judged    *results.Results // Judge(h), until the next record
	teardowns []teardown       // registered by the phases, run last first by Close

	// What the phases started (each registered its teardown when it did).
	st          *stack.Stack
	pool        *pgxpool.Pool
	backups     *scenarios.Backups
	stopBackups func() error // the base-backup schedule's stop, once
	ledger      *measure.Ledger
	traffic     *measure.Traffic
	prober      *measure.Prober
	verifier    *measure.Verifier
	bg          context.Context // traffic, probes and the verifier run under it

	// What later phases need from earlier ones.
	profile    fixtures.Profile
	seedStats  fixtures.Stats
	targets    fixtures.Targets
	tenants    []measure.TenantInfo
	sites      []measure.SiteRef
	manifest   fixtures.Manifest // before the incident
	tenantsSQL string            // lists (id, name) of every tenant, by id
	idList     []int64
	t0         time.Time
	affected   []int64
	armed      []scenarios.Fault // faults armed for the next runbook (see Inject)
	ended      bool
	order      order // the phases entered so far (Enter)
	keep       bool  // Keep was called: Close leaves the stack
}

// New prepares a drill; nothing starts until StartStack.
func New(cfg Config) *Drill {
	return &Drill{cfg: cfg, h: History{Identity: cfg.identity()}}
}

// Config returns the drill's configuration with defaults applied.
func (d *Drill) Config() Config { return d.cfg }

// Results returns the drill's history judged so far (complete after End). The caller must
// not change them.
func (d *Drill) Results() *results.Results {
	if d.judged == nil {
		r := Judge(d.h)
		d.judged = &r
	}
	return d.judged
}

// History returns what the drill recorded so far.
func (d *Drill) History() History { return d.h }

// record changes the history; every phase records through it.
func (d *Drill) record(f func(*History)) {
	f(&d.h)
	d.judged = nil
}

// Profile is the fixtures profile the drill seeds, overrides applied (after StartStack).
func (d *Drill) Profile() fixtures.Profile { return d.profile }

// Stack is the drill's running stack (nil before StartStack): make bench measures plain
// Postgres tools on the same database after the drill.
func (d *Drill) Stack() *stack.Stack { return d.st }

// Manifest is the pre-incident manifest every assessment is held against (zero before Seed):
// make bench times the blast-radius assessment against it on the drill's database.
func (d *Drill) Manifest() fixtures.Manifest { return d.manifest }

// IncidentAssessment is how long the harness's blast-radius assessment after the script took
// and what it read (zero pages: by row versions); zero before the incident.
func (d *Drill) IncidentAssessment() (time.Duration, fixtures.PagesRead) {
	if d.h.Incident == nil {
		return 0, fixtures.PagesRead{}
	}
	return d.h.Incident.Assessed, d.h.Incident.Blast.Read
}

// SeedStats are the figures of the drill's seeding (zero before Seed).
func (d *Drill) SeedStats() fixtures.Stats { return d.seedStats }
