package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drdrill/drdrill/stack"
)

// Hook names a point of a runbook where an armed fault may fire. Runbooks reach hook points
// through Env.hook; a fault never waits for a point by the clock.
type Hook string

// The hook points runbooks expose.
const (
	// HookStart is reached before the runbook's first step: nothing is restored yet.
	HookStart Hook = "start"
	// HookBackupChosen is reached once the base backup is chosen and verified (Point.Backup),
	// or, where a runbook starts its restore while verifying (tenant-restore's side db:
	// chooseBackupStarting), as that start begins.
	HookBackupChosen Hook = "backup chosen"
	// HookReplay is reached when a server answers and replays WAL towards the target:
	// Point.Service is stack.DB for full-pitr, the side database for tenant-restore.
	HookReplay Hook = "replay"
	// HookCopy is reached when a batch of tenants is about to be copied into the live
	// database (Point.Batch of Point.Batches, counted from 1).
	HookCopy Hook = "copy"
)

// Point is one hook point reached by a runbook, with what a fault may act on.
type Point struct {
	Hook    Hook
	Service stack.Service // HookReplay: the server replaying; HookCopy: stack.DB
	DSN     string        // HookReplay: the server replaying, from the harness
	Backup  Backup        // HookBackupChosen
	Batch   int           // HookCopy
	Batches int           // HookCopy
}

// Fault is a failure injected while a runbook runs. Each implementation is one file; the
// registry below lists them.
type Fault interface {
	Name() string
	// Description says in one line what the fault does and when it fires.
	Description() string
	// Fire is called at every hook point the runbook reaches until it returns fired = true.
	// It acts on env's stack and records what it did with env.findingf; a fault that heals
	// (network-cut) does so on its own schedule.
	Fire(ctx context.Context, env *Env, at Point) (fired bool, err error)
}

// faultRegistry lists every fault, one file each. Adding a fault is one new file and one line.
var faultRegistry = []Fault{
	dbKilled{},
	sideDBKilled{},
	networkCut{For: 10 * time.Second},
	walSegmentMissing{},
	corruptBaseBackup{},
	repoUnavailable{For: 10 * time.Second},
}

// ErrUnknownFault is returned by LookupFault for a name no fault has.
var ErrUnknownFault = errors.New("unknown fault")

// Faults returns the names of the registered faults, in registry order.
func Faults() []string {
	names := make([]string, len(faultRegistry))
	for i, f := range faultRegistry {
		names[i] = f.Name()
	}
	return names
}

// LookupFault returns the fault called name: the one check of a fault name (drill.CheckFault
// asks it).
func LookupFault(name string) (Fault, error) {
	for _, f := range faultRegistry {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w %q: known faults are %s", ErrUnknownFault, name, strings.Join(Faults(), ", "))
}

// hook offers the point to every armed fault that has not fired yet. Faults fire one at a
// time (copy batches reach their points concurrently) and each at most once.
func (e *Env) hook(ctx context.Context, at Point) error {
	if len(e.Faults) == 0 {
		return nil
	}
	e.hookM.Lock()
	defer e.hookM.Unlock()
	if e.fired == nil {
		e.fired = map[string]bool{}
	}
	for _, f := range e.Faults {
		if e.fired[f.Name()] {
			continue
		}
		fired, err := f.Fire(ctx, e, at)
		if fired {
			e.fired[f.Name()] = true
			e.progressf("fault %s fired at the %q point (T0%+.1fs)", f.Name(), at.Hook, time.Since(e.T0).Seconds())
		}
		if err != nil {
			return fmt.Errorf("inject fault %s: %w", f.Name(), err)
		}
	}
	return nil
}

// endFaults notes the armed faults that never fired.
func (e *Env) endFaults(runbook string) {
	e.hookM.Lock()
	defer e.hookM.Unlock()
	for _, f := range e.Faults {
		if !e.fired[f.Name()] {
			e.findingf("fault %s never fired: runbook %s reached no point where it applies (%s)", f.Name(), runbook, f.Description())
		}
	}
}

// findingf adds a plain-language finding for the report. Safe from concurrent copy batches.
func (e *Env) findingf(format string, args ...any) {
	e.findM.Lock()
	defer e.findM.Unlock()
	e.Findings = append(e.Findings, fmt.Sprintf(format, args...))
}

// sinceT0 formats the time since T0 the way findings print it.
func (e *Env) sinceT0() string { return fmt.Sprintf("T0%+.1fs", time.Since(e.T0).Seconds()) }

// retry is how a step rides out a fault: a bounded number of attempts and, between them, a
// wait on a real condition (ready), polled at an interval that doubles with each attempt.
type retry struct {
	attempts  int
	retryable func(err error) bool
	// ready brings back or waits for what the step needs (the db answering again); what says
	// what it waited for, for the finding.
	ready func(ctx context.Context, interval time.Duration) error
	what  string
}

// stepRetry runs fn as the step called name under r. Every attempt is recorded as its own
// step with its attempt number; a recovered fault leaves a finding saying what it cost.
func (e *Env) stepRetry(ctx context.Context, name string, r retry, fn func(ctx context.Context) error) error {
	if e.rec == nil {
		e.rec = &recorder{t0: e.T0, progress: e.Progress}
	}
	var errs []string
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := e.rec.do(ctx, name, attempt, fn)
		if err == nil {
			if attempt > 1 {
				e.findingf("step %q recovered on attempt %d of %d after %s (cost %.1fs): %s",
					name, attempt, r.attempts, r.what, time.Since(start).Seconds(), strings.Join(errs, "; "))
			}
			return nil
		}
		errs = append(errs, fmt.Sprintf("attempt %d: %v", attempt, shortErr(err)))
		if attempt >= r.attempts || ctx.Err() != nil || !r.retryable(err) {
			if attempt > 1 {
				e.findingf("step %q failed after %d attempts: %s", name, attempt, strings.Join(errs, "; "))
			}
			return err
		}
		if rerr := r.ready(ctx, 100*time.Millisecond<<(attempt-1)); rerr != nil {
			e.findingf("step %q failed: %s; %s never happened: %v", name, strings.Join(errs, "; "), r.what, rerr)
			return errors.Join(err, rerr)
		}
	}
}

// shortErr is an error's first line, for findings.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// serverUp waits until the Postgres of svc (reached at dsn) answers and is out of recovery,
// starting its container first if it is not running: what a supervisor does for a crashed
// server, done by the runbook itself.
func (e *Env) serverUp(svc stack.Service, dsn func() string) func(ctx context.Context, interval time.Duration) error {
	return func(ctx context.Context, interval time.Duration) error {
		if !e.running(ctx, svc) {
			e.progressf("%s is not running: starting it", svc)
			if err := e.Stack.Start(ctx, svc); err != nil && ctx.Err() != nil {
				return err
			}
		}
		return poll(ctx, e.Params.timeout(), interval, string(svc)+" answering", func(ctx context.Context) (bool, error) {
			return isPromoted(ctx, dsn())
		})
	}
}

// restartIfExited starts svc's container again if it has exited; the step then waits for it.
func (e *Env) restartIfExited(svc stack.Service) func(ctx context.Context, interval time.Duration) error {
	return func(ctx context.Context, interval time.Duration) error {
		if e.running(ctx, svc) {
			return nil
		}
		e.progressf("%s exited: starting it again", svc)
		// Start's readiness wait may give up during a long recovery; the step waits for it.
		if err := e.Stack.Start(ctx, svc); err != nil && ctx.Err() != nil {
			return err
		}
		return nil
	}
}

// running says whether svc's container runs (an exec into it works).
func (e *Env) running(ctx context.Context, svc stack.Service) bool {
	_, _, err := e.Stack.Exec(ctx, svc, []string{"true"})
	return err == nil
}

// serverExited is retryable for a replay step: the server exited during recovery for another
// reason than the archive ending before the target (which no retry can change).
func serverExited(err error) bool {
	return errors.Is(err, errGiveUp) && !errors.Is(err, ErrTargetNotReached)
}

// transient says whether err is the kind a crashed or restarting server gives (connection
// refused, reset or closed, shutdown or startup in progress), which a retry may get past.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection refused", "connection reset", "unexpected EOF", "broken pipe", "failed to connect", "conn busy"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// inRecovery says whether the server at dsn answers and is in recovery ("unknown" if it
// does not answer), for findings about when a fault hit.
func inRecovery(ctx context.Context, dsn string) string {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return "not answering"
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var rec bool
	if err := conn.QueryRow(cctx, `SELECT pg_is_in_recovery()`).Scan(&rec); err != nil {
		return "not answering"
	}
	if rec {
		return "still replaying WAL"
	}
	return "already promoted"
}

// replayOnSide waits for the side database to finish its WAL replay; if it exits on the way
// (killed, not the archive ending early) its container is started again and recovery resumes.
func (e *Env) replayOnSide(ctx context.Context, name string, side *stack.Postgres) error {
	if err := e.hook(ctx, Point{Hook: HookReplay, Service: side.Service(), DSN: side.DSN()}); err != nil {
		return err
	}
	r := retry{attempts: 3, retryable: serverExited, ready: e.restartIfExited(side.Service()), what: "the side db was started again"}
	return e.stepRetry(ctx, name, r, func(ctx context.Context) error {
		return e.waitPromoted(ctx, side.Service(), side.DSN())
	})
}

// copyRetry retries a tenant batch whose copy failed on a connection (a server crashed or
// restarting) once both databases answer again; the batch's transaction was rolled back, so
// the retry starts clean.
func (e *Env) copyRetry() retry {
	live := e.serverUp(stack.DB, e.Stack.DSN)
	return retry{attempts: 3, retryable: transient, ready: live, what: "the live db answered again"}
}
