package drill

import (
	"context"
	"errors"
	"fmt"
)

// teardown is what a phase registers on the line after it creates something; Close runs them
// last first, so everything is stopped before what it depends on, whichever phase failed.
type teardown struct {
	what string
	f    func(context.Context) error
}

// onClose registers f to run when the drill closes.
func (d *Drill) onClose(what string, f func(context.Context) error) {
	d.teardowns = append(d.teardowns, teardown{what, f})
}

// Close runs every registered teardown, last first: traffic, probes and the verifier stop,
// the ledger closes, and the stack's containers, network and volumes go (unless Keep left
// them). It is safe to call more than once and on a drill that never started.
func (d *Drill) Close(ctx context.Context) error {
	var errs []error
	for i := len(d.teardowns) - 1; i >= 0; i-- {
		t := d.teardowns[i]
		if err := t.f(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close: %s: %w", t.what, err))
		}
	}
	d.teardowns = nil
	return errors.Join(errs...)
}
