package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// OwnStep is one step of a user's runbook (a stack file's runbooks.NAME.steps).
type OwnStep struct {
	Name string
	// Host runs Run on the harness's host; otherwise in a one-shot container of Image (default
	// the database's image) on the drill's network, with the database volumes mounted where
	// the db container has them.
	Host    bool
	Image   string
	Run     []string
	Timeout time.Duration // default 10 minutes
}

// OwnRunbook is a user's restore procedure, as named steps run in order, each timed as a
// runbook step; the first failing step fails the runbook with its output's tail in the
// findings. Every step gets the live database in its environment (PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE: psql and pg_dump need no argument; LIVE_DSN), the incident's start
// (T0, RFC 3339 with nanoseconds) and the run's ID (DRDRILL_RUN_ID). The password goes in
// the environment, never in argv, and is redacted from what the findings quote.
type OwnRunbook struct {
	Title string
	Steps []OwnStep
}

// Name is the runbook's name in the stack file.
func (r OwnRunbook) Name() string { return r.Title }

// Run assesses the blast radius, as every runbook does first, then runs the steps.
func (r OwnRunbook) Run(ctx context.Context, env *Env) error {
	if err := env.assess(ctx); err != nil {
		return err
	}
	for _, st := range r.Steps {
		var out []byte
		err := env.Step(ctx, st.Name, func(ctx context.Context) error {
			var err error
			out, err = st.run(ctx, env)
			return err
		})
		if err != nil {
			env.findingf("runbook step %q failed: %s; its output ends: %s", st.Name, env.Stack.Redact(err.Error()), env.Stack.Redact(tail(string(out), 10)))
			return fmt.Errorf("step %q: %s", st.Name, env.Stack.Redact(err.Error()))
		}
	}
	return nil
}

// ErrStepFailed: a user's runbook step exited non-zero.
var ErrStepFailed = errors.New("runbook step failed")

func (st OwnStep) run(ctx context.Context, env *Env) ([]byte, error) {
	timeout := st.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s := env.Stack
	t0 := env.T0.UTC().Format(time.RFC3339Nano)
	if st.Host {
		cmd := exec.CommandContext(ctx, st.Run[0], st.Run[1:]...)
		cmd.Env = append(os.Environ(), pgEnv("127.0.0.1", s.DBHostPort(), s.Password(), s.DSN(), t0, s.RunID())...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		if ctx.Err() != nil {
			return buf.Bytes(), fmt.Errorf("%w: timed out after %s", ErrStepFailed, timeout)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return buf.Bytes(), fmt.Errorf("%w: exit %d", ErrStepFailed, ee.ExitCode())
		}
		return buf.Bytes(), err
	}
	pool, err := newPool()
	if err != nil {
		return nil, err
	}
	image := st.Image
	if image == "" {
		image = env.Params.dbImage()
	}
	j := job{
		Name: "runbook step " + strconv.Quote(st.Name), Image: image, Cmd: st.Run,
		Network: s.Network(), Labels: s.Labels(),
		Volumes: map[string]string{s.Volume("archive"): stack.ArchiveDir, s.Volume("backups"): stack.BackupsDir},
		Env:     pgEnv(string(stack.DB), stack.DBPort, s.Password(), s.InternalDSN(), t0, s.RunID()),
	}
	res, err := j.run(ctx, pool)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return []byte(res.Log), fmt.Errorf("%w: timed out after %s", ErrStepFailed, timeout)
		}
		return []byte(res.Log), err
	}
	if res.ExitCode != 0 {
		return []byte(res.Log), fmt.Errorf("%w: exit %d", ErrStepFailed, res.ExitCode)
	}
	return []byte(res.Log), nil
}

// pgEnv is a step's environment: libpq's variables for the live database, its DSN, T0 and
// the run's ID.
func pgEnv(host string, port int, password, dsn, t0, run string) []string {
	return []string{
		"PGHOST=" + host, "PGPORT=" + strconv.Itoa(port), "PGUSER=postgres", "PGPASSWORD=" + password,
		"PGDATABASE=" + stack.Database, "LIVE_DSN=" + dsn, "T0=" + t0, "DRDRILL_RUN_ID=" + run,
	}
}

// RunCommand runs one command as a runbook step of the stack file runs (in a container of
// st.Image, default the database's, on the drill's network with the live database in libpq's
// variables, or on the host), outside any runbook: a stack file's seeding command. The output
// is returned for errors; the password in it is the caller's to redact.
func RunCommand(ctx context.Context, s *stack.Stack, st OwnStep) ([]byte, error) {
	return st.run(ctx, &Env{Stack: s})
}
