package drill

import (
	"context"
	"fmt"
	"strings"
)

// Inject applies a named fault (see Faults) to the stack.
func (d *Drill) Inject(ctx context.Context, fault string) error {
	return fmt.Errorf("fault %q: no faults are registered yet (known: %s)", fault, strings.Join(Faults(), ", "))
}
