package drill

import (
	"context"
	"errors"

	"github.com/drdrill/drdrill/scenarios"
)

// Inject arms the named fault (see Faults) for the next runbook: it fires when that runbook
// reaches the point the fault applies to (scenarios.Fault), and the runbook recovers from it
// or fails with a finding. Armed faults are recorded in the results' parameters.
func (d *Drill) Inject(ctx context.Context, fault string) error {
	f, err := scenarios.LookupFault(fault)
	if err != nil {
		return err
	}
	if d.h.Runbook != nil {
		return errors.New("drill: the runbook has already run: inject a fault before the runbook step, it fires during the runbook")
	}
	d.armed = append(d.armed, f)
	d.record(func(h *History) { h.Params.Faults = append(h.Params.Faults, fault) })
	d.logf("fault %s armed for the next runbook: %s", fault, f.Description())
	return nil
}

// takeArmed hands the armed faults to a runbook, once.
func (d *Drill) takeArmed() []scenarios.Fault {
	a := d.armed
	d.armed = nil
	return a
}
