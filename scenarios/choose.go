package scenarios

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// ErrNoValidBackup means every base backup before the restore target failed verification.
var ErrNoValidBackup = errors.New("no base backup before the restore target passes verification")

// ErrBackupInvalid means a restore that checks the backup as it reads it (pgBackRest's, which
// checks every file against the checksum its manifest holds) found a file that does not match:
// the backup fails as a verification would fail it.
var ErrBackupInvalid = errors.New("the base backup does not match its checksums")

// chooseBackup picks the base backup a restore to target starts from: the newest one that
// finished before target and passes pg_verifybackup (pgbackrest verify). One that fails is
// passed over for the next older one (more WAL to replay), with a finding; none left is
// ErrNoValidBackup.
func (e *Env) chooseBackup(ctx context.Context, runbook string, target time.Time) (Backup, error) {
	return e.chooseBackupStarting(ctx, runbook, target, nil)
}

// startFrom is a restore started from a backup candidate while it is verified: start runs it
// (cancelled when the candidate fails verification), undo takes away what a cancelled start
// left.
//
// With checks, the start is the verification: it checks the backup as it reads it (pgBackRest's
// restore checks every file against its manifest's checksum and size), so no separate
// verification reads the backup a second time beside it; a start that fails with
// ErrBackupInvalid fails its candidate as a verification would, and is undone.
type startFrom struct {
	start  func(ctx context.Context, bk Backup) error
	undo   func(ctx context.Context) error
	checks bool
}

// begin runs the start from bk beside the caller. wait waits for it and returns its error;
// abandon cancels it, waits for it, and undoes what it left.
func (f *startFrom) begin(ctx context.Context, bk Backup) (wait, abandon func() error) {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.start(sctx, bk) }()
	wait = func() error {
		defer cancel()
		return <-done
	}
	abandon = func() error {
		cancel()
		<-done
		return f.undo(context.WithoutCancel(ctx))
	}
	return wait, abandon
}

// chooseBackupStarting is chooseBackup that, with from set, starts the restore from each
// candidate while verifying it instead of after: both read the whole backup (the page cache
// serves the second when it holds it), and the verification leaves the restore's critical
// path. A candidate that fails has its start cancelled and undone before the next older one is
// tried; the one that passes returns once its start has too, with the start's error.
// HookBackupChosen is then reached as a candidate's start begins, before its verification
// ends. With from.checks the start is the verification, and the backup is read once.
func (e *Env) chooseBackupStarting(ctx context.Context, runbook string, target time.Time, from *startFrom) (Backup, error) {
	var cands []Backup
	if err := e.Step(ctx, "choose base backup", func(ctx context.Context) error {
		if _, err := e.Backups.LatestBefore(target); err != nil {
			return err
		}
		for _, bk := range e.Backups.List() {
			if bk.Finished.Before(target) {
				cands = append(cands, bk)
			}
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].Finished.After(cands[j].Finished) })
		return nil
	}); err != nil {
		return Backup{}, err
	}
	var failed []string
	// chosen reports the candidate taken, after any that failed.
	chosen := func(bk Backup) {
		if len(failed) > 0 {
			e.findingf("%s: base backup %s failed verification; fell back to the older base backup %s (finished %.1fs before T0, %.1fs older: more WAL to replay)",
				runbook, strings.Join(failed, ", "), bk.Name, target.Sub(bk.Finished).Seconds(), cands[0].Finished.Sub(bk.Finished).Seconds())
		}
		e.progressf("%s: %s (finished %s) to %s", runbook, bk.Name, bk.Finished.UTC().Format(time.RFC3339Nano), recoveryTime(target))
	}
	for _, bk := range cands {
		if from != nil && from.checks {
			if err := e.hook(ctx, Point{Hook: HookBackupChosen, Backup: bk}); err != nil {
				return Backup{}, err
			}
			err := from.start(ctx, bk)
			if errors.Is(err, ErrBackupInvalid) && ctx.Err() == nil {
				if uerr := from.undo(context.WithoutCancel(ctx)); uerr != nil {
					return Backup{}, fmt.Errorf("undo the start from %s: %w", bk.Name, uerr)
				}
				failed = append(failed, fmt.Sprintf("%s (%s)", bk.Name, shortErr(cmp.Or(errors.Unwrap(err), err)))) // without the step's name
				continue
			}
			chosen(bk)
			return bk, err
		}
		name, verify := "verify base backup "+bk.Name, func(ctx context.Context) error {
			return verifyBackup(ctx, e.Stack, bk)
		}
		if e.Stack.BackupTool() == stack.PgBackRest {
			name, verify = name+" (pgbackrest verify)", func(ctx context.Context) error {
				r, err := e.pgBackRestVerify(ctx)
				if err != nil {
					return err
				}
				return r.check(bk)
			}
		}
		step := func() error { return e.Step(ctx, name, verify) }
		if e.Stack.BackupTool() == stack.PgBackRest {
			// pgbackrest verify that could not read the repository says nothing of the backup:
			// the repository is waited for and the verification run again.
			unread := retry{attempts: 3, retryable: func(err error) bool { return errors.Is(err, errVerifyUnread) },
				ready: e.repoBack, what: "the pgBackRest repository was back"}
			step = func() error { return e.stepRetry(ctx, name, unread, verify) }
		}
		var wait, abandon func() error
		if from != nil {
			if err := e.hook(ctx, Point{Hook: HookBackupChosen, Backup: bk}); err != nil {
				return Backup{}, err
			}
			wait, abandon = from.begin(ctx, bk)
		}
		err := step()
		if from != nil && (err != nil || ctx.Err() != nil) {
			if uerr := abandon(); uerr != nil {
				return Backup{}, fmt.Errorf("undo the start from %s: %w", bk.Name, uerr)
			}
		}
		if ctx.Err() != nil {
			return Backup{}, cmp.Or(err, ctx.Err())
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s)", bk.Name, shortErr(errors.Unwrap(err))))
			continue
		}
		chosen(bk)
		if from != nil {
			return bk, wait()
		}
		return bk, e.hook(ctx, Point{Hook: HookBackupChosen, Backup: bk})
	}
	e.findingf("%s: no base backup to restore from: every one before T0 failed verification: %s", runbook, strings.Join(failed, ", "))
	return Backup{}, fmt.Errorf("%w: %s", ErrNoValidBackup, strings.Join(failed, "; "))
}

// verifyBackup runs pg_verifybackup on a plain-format base backup in the backups volume: every
// file against its manifest's size and checksum, and the WAL the backup needs.
func verifyBackup(ctx context.Context, s *stack.Stack, bk Backup) error {
	code, out, err := s.Exec(ctx, stack.DB, []string{"pg_verifybackup", "-q", bk.Dir})
	if err != nil {
		return fmt.Errorf("pg_verifybackup %s: %w", bk.Dir, err)
	}
	if code != 0 {
		return fmt.Errorf("pg_verifybackup %s: exit %d: %s", bk.Dir, code, tail(strings.TrimSpace(out), 3))
	}
	return nil
}
