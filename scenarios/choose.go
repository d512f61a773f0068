package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// ErrNoValidBackup means every base backup before the restore target failed verification.
var ErrNoValidBackup = errors.New("no base backup before the restore target passes pg_verifybackup")

// chooseBackup picks the base backup a restore to target starts from: the newest one that
// finished before target and passes pg_verifybackup. One that fails is passed over for the
// next older one (more WAL to replay), with a finding; none left is ErrNoValidBackup.
func (e *Env) chooseBackup(ctx context.Context, runbook string, target time.Time) (Backup, error) {
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
	for _, bk := range cands {
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
		err := e.Step(ctx, name, verify)
		if ctx.Err() != nil {
			return Backup{}, err
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s)", bk.Name, shortErr(errors.Unwrap(err))))
			continue
		}
		if len(failed) > 0 {
			e.findingf("%s: base backup %s failed verification; fell back to the older base backup %s (finished %.1fs before T0, %.1fs older: more WAL to replay)",
				runbook, strings.Join(failed, ", "), bk.Name, target.Sub(bk.Finished).Seconds(), cands[0].Finished.Sub(bk.Finished).Seconds())
		}
		e.progressf("%s: %s (finished %s) to %s", runbook, bk.Name, bk.Finished.UTC().Format(time.RFC3339Nano), recoveryTime(target))
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
