package drill

import (
	"errors"
	"fmt"
	"os"

	"github.com/drdrill/drdrill/stack"
)

// Kept is a failed drill's stack left running for inspection (Config.Keep): how to reach it
// and how to remove it.
type Kept struct {
	RunID string
	// PassFile is a libpq password file (mode 0600, outside the outputs, which CI uploads):
	// psql reads the password from it, so no command line holds it.
	PassFile string
	Psql     string // a psql command line that reaches the drill's database
	AppURL   string // the service's base URL ("" without one)
	Remove   string // the command that removes the stack
}

// Keep leaves the drill's stack running when Close runs (traffic, probes and the ledger still
// stop) and says how to reach it. It needs Config.Keep (the stack carries the label that
// keeps `drdrill clean` from sweeping it) and a started stack.
func (d *Drill) Keep() (Kept, error) {
	if !d.cfg.Keep {
		return Kept{}, errors.New("drill: Keep without Config.Keep: the stack is not labelled to be kept")
	}
	if d.st == nil {
		return Kept{}, ErrNotStarted
	}
	k := Kept{RunID: d.cfg.RunID, PassFile: stack.PassFile(d.cfg.RunID), AppURL: d.st.AppURL(),
		Remove: "drdrill clean --run " + d.cfg.RunID}
	const host = "127.0.0.1"
	port := d.st.DBHostPort()
	line := fmt.Sprintf("%s:%d:%s:postgres:%s\n", host, port, stack.Database, d.st.Password())
	if err := os.WriteFile(k.PassFile, []byte(line), 0o600); err != nil {
		return Kept{}, fmt.Errorf("keep the stack: password file: %w", err)
	}
	k.Psql = fmt.Sprintf("PGPASSFILE=%s psql -h %s -p %d -U postgres %s", k.PassFile, host, port, stack.Database)
	d.keep = true
	return k, nil
}
