package drill

import (
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
)

// History is everything a drill recorded and nothing it judged, as Jepsen keeps a history
// apart from its checkers. Phases only append to it (through Drill.record); Judge alone turns
// it into results.
type History struct {
	Identity  Identity
	StartedAt time.Time
	EndedAt   time.Time // zero until the drill ends or its results are written
	Params    results.Params
	Phases    []results.Phase
	// Incident is the faulty script's run and the blast radius found from the data; nil
	// before the incident step.
	Incident *IncidentRecord
	// Runbook is the recovery's record, with the findings the runbook and its faults wrote;
	// nil before the runbook step.
	Runbook *RunbookRecord
	// Observed is what the end of the drill observed (T0, tenants, the ledger, the probe
	// timeline, the verifier's samples, the final snapshot); nil until the drill ended.
	Observed *measure.Input
	Traffic  results.Traffic // the writers' counts, at the end
	// Objectives are the SLOs the scenario set, as parsed.
	Objectives []measure.Objective
	// Err is why the drill did not run to its verdict (a failed step, a cancelled run);
	// a breach of objectives is a verdict, not an Err (see OnlyBreached).
	Err error
}

// Identity names a drill in every output: the run it belongs to and the scenario it ran.
type Identity struct {
	RunID    string
	Group    string // the run all scenarios and shards of one `drdrill run` share
	Shard    string // "i/n" when sharded
	Feature  string
	Scenario string
	Tags     []string
}

// IncidentRecord is the faulty script's run as recorded: its exit and log, and what the data
// says it did.
type IncidentRecord struct {
	Run   scenarios.IncidentResult
	Blast scenarios.BlastRadius
	// Assessed is how long the harness's blast-radius assessment after the script took (on
	// every tenant's RTO path: the runbook starts after it).
	Assessed time.Duration
	// Readiness is what was read of the backups and the WAL archive just before T0; nil when
	// it could not be read (the drill's log says why, and objectives on it are unknown).
	Readiness *measure.Readiness
}

// RunbookRecord is a runbook's step record and what it found on the way (faults, fallbacks).
type RunbookRecord struct {
	Steps    results.Runbook
	Findings []string
}
