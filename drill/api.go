package drill

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
)

// Config is everything a drill needs before it starts. Zero values take the defaults of
// DefaultConfig.
type Config struct {
	RunID          string
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
	Log            io.Writer     // progress lines; nil = quiet
}

// IncidentSpec is the faulty script's run: what it was meant to do and what it was given.
type IncidentSpec struct {
	Mode       string   // mark | purge
	IDKind     string   // app | site: what the ID list holds
	Guardrails []string // dry-run, check-kind, max-scope=N
}

// ErrNotStarted is returned by a phase that needs an earlier one.
var ErrNotStarted = errors.New("drill: phase called before the stack was started")

// Drill is one run of one scenario.
type Drill struct {
	cfg        Config
	res        results.Results
	objectives []measure.Objective
}

// New prepares a drill; nothing starts until StartStack.
func New(cfg Config) *Drill { return &Drill{cfg: cfg} }

// Config returns the drill's configuration with defaults applied.
func (d *Drill) Config() Config { return d.cfg }

// Results returns the results assembled so far (complete after Verify).
func (d *Drill) Results() *results.Results { return &d.res }

// The phase methods below are implemented in their own files.
var _ = context.Background
