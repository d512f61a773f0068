package drill

import (
	"context"
	"errors"

	"github.com/drdrill/drdrill/measure"
)

var errUnwired = errors.New("drill: not wired yet")

// StartStack builds missing images and starts db and app on a private network.
func (d *Drill) StartStack(ctx context.Context) error { return errUnwired }

// Seed fills the database with the profile's fake tenants by COPY, takes the manifest and a
// first base backup.
func (d *Drill) Seed(ctx context.Context) error { return errUnwired }

// StartTraffic starts the writers (acknowledged writes go to the ledger) and the prober.
func (d *Drill) StartTraffic(ctx context.Context) error { return errUnwired }

// BaseBackup takes a base backup now.
func (d *Drill) BaseBackup(ctx context.Context) error { return errUnwired }

// RunIncident runs the faulty script; T0 is its start.
func (d *Drill) RunIncident(ctx context.Context, spec IncidentSpec) error { return errUnwired }

// RunRunbook runs the named runbook (undo-mark, full-pitr, tenant-restore).
func (d *Drill) RunRunbook(ctx context.Context, name string) error { return errUnwired }

// Inject applies a named fault to the stack now or during the next runbook (see Faults).
func (d *Drill) Inject(ctx context.Context, fault string) error { return errUnwired }

// SetObjectives sets the SLOs the verdict is judged against.
func (d *Drill) SetObjectives(objs []measure.Objective) { d.objectives = objs }

// Verify stops traffic and probes, takes the final observation, and assembles the results
// and the verdict.
func (d *Drill) Verify(ctx context.Context) error { return errUnwired }

// WriteResults writes results.json into dir and returns its path.
func (d *Drill) WriteResults(dir string) (string, error) { return "", errUnwired }

// Close stops everything the drill started and removes its containers, network and volumes.
// It is safe to call more than once and on a drill that never started.
func (d *Drill) Close(ctx context.Context) error { return nil }
