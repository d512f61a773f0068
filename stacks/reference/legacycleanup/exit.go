package legacycleanup

import (
	"errors"

	"github.com/drdrill/drdrill/dbmark"
)

// Exit codes of the script (stacks/reference/cmd/legacy-cleanup): the one definition, which
// the drill also reads from the script's container to tell a refusal from a failure.
const (
	ExitDone      = 0 // done, or a dry run
	ExitRuntime   = 1 // the database failed (batches before the failing one stay committed)
	ExitBadInput  = 2 // bad usage or a bad ID file: nothing changed
	ExitRefused   = 3 // a guardrail refused: nothing changed
	ExitNotADrill = 4 // the database is not the drill run's (see dbmark.Table): nothing changed
)

// ExitCode maps an error of Run (or of reading the script's input) to the script's exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitDone
	case errors.Is(err, dbmark.ErrNotADrill):
		return ExitNotADrill
	case errors.Is(err, ErrRefused):
		return ExitRefused
	case errors.Is(err, ErrBadInput):
		return ExitBadInput
	default:
		return ExitRuntime
	}
}
