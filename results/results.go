// Package results is the versioned schema of results.json, the single output of a drill from
// which every report (JUnit, Cucumber, Markdown, HTML, history) is rendered. Durations are
// stored as milliseconds (float64 fields ending in MS) so that files stay readable and
// charts need no conversion; instants are RFC 3339 times from the harness host's clock.
package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/drdrill/drdrill/internal/atomicfile"
)

// SchemaVersion is the version written by this build. Load accepts every version up to it.
const SchemaVersion = 1

// Results is one drill: one scenario run from start of stack to verdict.
type Results struct {
	Schema   int      `json:"schema"`
	RunID    string   `json:"run_id"`
	Feature  string   `json:"feature,omitempty"` // feature file path, when run from Gherkin
	Scenario string   `json:"scenario"`          // scenario name; history groups by it
	Tags     []string `json:"tags,omitempty"`
	Shard    string   `json:"shard,omitempty"` // "i/n" when the run was sharded
	// Group names the drill run this drill belongs to: every scenario and every shard of one
	// `drdrill run` (or one CI pipeline) shares it, so reports.Merge can refuse to mix runs.
	// Empty in files written before it existed; such files merge with anything.
	Group      string    `json:"group,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`

	Params     Params       `json:"params"`
	Phases     []Phase      `json:"phases"` // stack, seeding, traffic, incident, restore, verification, reporting
	Incident   Incident     `json:"incident"`
	Runbook    Runbook      `json:"runbook"`
	Traffic    Traffic      `json:"traffic"`
	Tenants    []Tenant     `json:"tenants"` // affected tenants first, then bystanders with findings
	Summary    Summary      `json:"summary"`
	Curve      []CurvePoint `json:"curve"` // restoration curve, time since T0
	Objectives []Objective  `json:"objectives"`
	Verdict    Status       `json:"verdict"`
	Findings   []string     `json:"findings,omitempty"` // plain-language notes: bystander loss, refusals, faults
	// Error is why the drill did not finish (a failed step or phase, a cancelled run): the
	// figures above are then partial. Empty when the drill ran to its verdict.
	Error string `json:"error,omitempty"`
}

// Params are the drill's inputs: everything needed to run it again.
type Params struct {
	Profile           string   `json:"profile"`
	Seed              int64    `json:"seed"`
	Tenants           int      `json:"tenants"`
	Sites             int      `json:"sites"`
	Rows              int64    `json:"rows"`
	TrafficRate       float64  `json:"traffic_rate_per_s"`
	ProbeIntervalMS   float64  `json:"probe_interval_ms"`
	VerifyIntervalMS  float64  `json:"verify_interval_ms"`
	ArchiveTimeoutMS  float64  `json:"archive_timeout_ms"`
	BaseBackupEveryMS float64  `json:"base_backup_every_ms"`
	Mode              string   `json:"mode"`                    // mark | purge | corrupt | truncate
	IDKind            string   `json:"id_kind"`                 // app | site | mixed: what the ID list really holds ("" for truncate)
	Table             string   `json:"table,omitempty"`         // truncate: the table emptied
	SiteIDShare       float64  `json:"site_id_share,omitempty"` // mixed: the share of site IDs
	Guardrails        []string `json:"guardrails,omitempty"`
	Runbook           string   `json:"runbook"`
	Parallelism       int      `json:"parallelism,omitempty"`
	// The faulty list's size (the profile's, or as the scenario set it), the script's pacing
	// and the detection delay (absent in files written before they existed).
	VictimTenants    int      `json:"victim_tenants,omitempty"`
	VictimSites      int      `json:"victim_sites,omitempty"`
	ScriptBatch      int      `json:"script_batch,omitempty"`
	ScriptPauseMS    float64  `json:"script_pause_ms,omitempty"`
	DetectionDelayMS float64  `json:"detection_delay_ms,omitempty"`
	Faults           []string `json:"faults,omitempty"`
	// BackupTool is the stack's backup tool when it is not the plain route (pg_basebackup
	// and a cp archive): "pgbackrest"; empty is plain (and every results.json before it).
	BackupTool string `json:"backup_tool,omitempty"`
}

// Phase is a timed part of the drill.
type Phase struct {
	Name       string    `json:"name"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
}

// Incident is the faulty script's run. T0 is when it started.
type Incident struct {
	T0              time.Time `json:"t0"`
	DurationMS      float64   `json:"duration_ms"`
	ExitCode        int       `json:"exit_code"`
	Refused         bool      `json:"refused"` // a guardrail stopped it
	IDs             int       `json:"ids"`
	AffectedTenants int       `json:"affected_tenants"` // found from the data, not from the ID list
	AffectedSites   int       `json:"affected_sites"`
	AffectedUsers   int       `json:"affected_users"`
	Log             string    `json:"log,omitempty"` // tail of the script's output
	// AssessedMS is how long the harness's blast-radius assessment took once the script
	// exited: the runbook starts after it (and after any detection delay), so it is part of
	// every RTO measured; absent in older files.
	AssessedMS *float64 `json:"assessed_ms,omitempty"`
	// Readiness just before T0, measured from the repository (or the plain route's backup
	// list) and the live database; absent from results written before it was measured.
	LastBackup         string   `json:"last_backup,omitempty"`          // the newest completed backup
	BackupAgeMS        *float64 `json:"backup_age_ms,omitempty"`        // T0 − its stop time
	WALArchiveLagMS    *float64 `json:"wal_archive_lag_ms,omitempty"`   // how far the WAL archive was behind
	UnarchivedWALBytes *int64   `json:"unarchived_wal_bytes,omitempty"` // WAL written and not yet archived
	// Deletions is the deletion timeline the probes saw: each site of the blast radius at its
	// first down answer after T0 (absent in older files).
	Deletions []Deletion `json:"deletions,omitempty"`
}

// Deletion is one site of the blast radius as the probes first saw it gone.
type Deletion struct {
	Site   int64   `json:"site"`
	Tenant int64   `json:"tenant"`
	AtMS   float64 `json:"at_ms"` // since T0
}

// Runbook is the recovery procedure and its step timings.
type Runbook struct {
	Name       string  `json:"name"`
	Steps      []Step  `json:"steps"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

// Step is one named runbook step. Attempt counts retries after faults.
type Step struct {
	Name       string  `json:"name"`
	StartMS    float64 `json:"start_ms"` // since T0
	DurationMS float64 `json:"duration_ms"`
	Attempt    int     `json:"attempt,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Traffic counts the writes of the whole drill.
type Traffic struct {
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`
}

// Tenant holds one tenant's measured figures. Pointers are nil when the figure does not apply
// (a bystander has no RTO; a tenant never restored has no RTO either, and Restored is false).
type Tenant struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	Affected           bool     `json:"affected"`
	Sites              int      `json:"sites"`
	Users              int      `json:"users"`
	Restored           bool     `json:"restored"`
	RTOMS              *float64 `json:"rto_ms,omitempty"`
	MTTDMS             *float64 `json:"mttd_ms,omitempty"`
	DowntimeMS         float64  `json:"downtime_ms"`     // total time with a site down, from the prober
	LostWrites         int      `json:"lost_writes"`     // acknowledged before T0 and absent
	ChangedWrites      int      `json:"changed_writes"`  // present with another value
	CollateralLost     int      `json:"collateral_lost"` // acknowledged after T0 and absent
	RPOMS              float64  `json:"rpo_ms"`          // T0 − ack of the earliest lost write before T0
	CollateralWindowMS float64  `json:"collateral_window_ms,omitempty"`
	DataMatches        bool     `json:"data_matches"` // seeded rows equal the manifest at the end
}

// Summary aggregates tenants. RTO percentiles (nearest rank) are over every affected tenant,
// those never restored ranked last as unbounded: a percentile that lands on one is nil, so
// RTOMaxMS is nil if any affected tenant was never restored.
type Summary struct {
	AffectedTenants int      `json:"affected_tenants"`
	RestoredTenants int      `json:"restored_tenants"`
	AffectedUsers   int      `json:"affected_users"`
	RTOP50MS        *float64 `json:"rto_p50_ms,omitempty"`
	RTOP95MS        *float64 `json:"rto_p95_ms,omitempty"`
	RTOMaxMS        *float64 `json:"rto_max_ms,omitempty"`
	MTTDMS          *float64 `json:"mttd_ms,omitempty"`
	RPOMaxMS        float64  `json:"rpo_max_ms"`
	LostWrites      int      `json:"lost_writes"`
	ChangedWrites   int      `json:"changed_writes"`
	CollateralLost  int      `json:"collateral_lost"`
	BystanderLost   int      `json:"bystander_lost"`    // lost + changed + collateral of bystanders
	BystandersHit   int      `json:"bystanders_hit"`    // bystanders with any loss
	ProbeIntervalMS float64  `json:"probe_interval_ms"` // precision of every time figure
}

// CurvePoint is one point of the restoration curve.
type CurvePoint struct {
	AtMS       float64 `json:"at_ms"` // since T0
	TenantsPct float64 `json:"tenants_pct"`
	UsersPct   float64 `json:"users_pct"`
}

// Status is a three-way verdict, as a Jepsen checker gives.
type Status string

// The verdicts.
const (
	StatusOK       Status = "ok"
	StatusBreached Status = "breached"
	StatusUnknown  Status = "unknown"
)

// Objective is one SLO and its verdict: the measured value against the target, and the margin
// (target − measured in the objective's unit; negative when breached).
type Objective struct {
	Name     string   `json:"name"`   // e.g. "RTO p95"
	Target   string   `json:"target"` // as written in the feature, e.g. "10m"
	Unit     string   `json:"unit"`   // "ms" or "writes" or "tenants"
	TargetV  float64  `json:"target_value"`
	Measured *float64 `json:"measured,omitempty"` // nil when it could not be measured
	Margin   *float64 `json:"margin,omitempty"`
	Status   Status   `json:"status"`
	Detail   string   `json:"detail,omitempty"`
	Source   string   `json:"source,omitempty"` // file:line of the objective in the feature
}

// Write encodes r as indented JSON with the current schema version.
func Write(w io.Writer, r *Results) error {
	r.Schema = SchemaVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return nil
}

// WriteFile writes r to path atomically (temporary file then rename): a crash never leaves a
// half-written results.json behind.
func WriteFile(path string, r *Results) error {
	if err := atomicfile.Write(path, 0o666, func(w io.Writer) error { return Write(w, r) }); err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	return nil
}

// Read decodes one results.json. Unknown future schemas are refused with a clear error.
func Read(r io.Reader, name string) (*Results, error) {
	var res Results
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("read results %s: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read results %s: data after the JSON object at byte %d: one results object per file", name, dec.InputOffset())
	}
	if res.Schema < 1 || res.Schema > SchemaVersion {
		return nil, fmt.Errorf("read results %s: schema %d not supported (this build reads 1..%d)", name, res.Schema, SchemaVersion)
	}
	if err := res.Validate(); err != nil {
		return nil, fmt.Errorf("read results %s: %w", name, err)
	}
	return &res, nil
}

// ReadFile reads one results.json from path.
func ReadFile(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// MS converts a duration to the milliseconds stored in results.json.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Duration converts milliseconds as results.json stores them back to a duration, to the
// nearest nanosecond. A file may come from anywhere: NaN is 0, and values beyond a duration's
// range are clamped to it (a float beyond int64 would otherwise convert to MinInt64 on amd64,
// whatever its sign).
func Duration(ms float64) time.Duration {
	ns := math.Round(ms * float64(time.Millisecond))
	switch {
	case math.IsNaN(ns):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= -math.MaxInt64:
		return -math.MaxInt64
	}
	return time.Duration(ns)
}

// MSPtr is MS for optional figures.
func MSPtr(d time.Duration) *float64 { v := MS(d); return &v }
