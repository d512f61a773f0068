package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/stack"
)

// Paths inside the db container (and inside side databases and restore jobs, which mount the
// same volumes at the same places).
const (
	DataDir    = stack.PGDATA
	ArchiveDir = stack.ArchiveDir
)

// notReachedLog is what Postgres 15 logs (FATAL) when the archive ends before the target.
const notReachedLog = "recovery ended before configured recovery target was reached"

// ErrTargetNotReached means the WAL archive ended before the recovery target: the restore
// could only reach the end of the archive, and what was committed after it is lost.
var ErrTargetNotReached = errors.New("recovery ended before the target time: WAL after the archive's end is lost")

// recoveryTime formats t for recovery_target_time, in UTC with microseconds (Postgres' precision).
func recoveryTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000") + "+00"
}

// recoverySettings are the lines appended to postgresql.auto.conf for a point-in-time
// recovery that stops just before target and then promotes. recovery_target_inclusive = off
// stops before any transaction that committed at target or later: nothing the incident did
// (it started at T0 = target) survives. A zero target recovers to the end of the archive.
func recoverySettings(target time.Time) string { return recoverySettingsThen(target, "promote") }

// recoverySettingsThen is recoverySettings with another recovery_target_action: "pause" keeps
// the server a hot standby at the target, to be read or moved on (recovery_target_xid).
func recoverySettingsThen(target time.Time, action string) string {
	lines := []string{
		"# drdrill point-in-time recovery",
		"restore_command = '" + stack.RestoreCommand + "'",
		"recovery_target_action = '" + action + "'",
	}
	if !target.IsZero() {
		lines = append(lines,
			"recovery_target_time = '"+recoveryTime(target)+"'",
			"recovery_target_inclusive = off")
	}
	return strings.Join(lines, "\n") + "\n"
}

// restoreDataDirScript replaces the data directory with a copy of a base backup and sets it up
// to recover to target (FillDataDirScript). It runs as postgres (the owner of every volume) in a
// shell.
func restoreDataDirScript(backupDir string, target time.Time, par int) string {
	return fmt.Sprintf(`set -eu
D=%s
find "$D" -mindepth 1 -delete
`, DataDir) + FillDataDirScript(backupDir, recoverySettings(target), par)
}

// FillDataDirScript is shell lines that fill the empty data directory $D from the base backup
// in backupDir (par copies at a time, copyDirScript), append settings (lines ending in a
// newline: recoverySettings) to its postgresql.auto.conf and ask for a recovery.
func FillDataDirScript(backupDir, settings string, par int) string {
	return fmt.Sprintf(`%s  chmod 700 "$D"
  cat >> "$D/postgresql.auto.conf" <<'DRDRILL_EOF'
%sDRDRILL_EOF
  touch "$D/recovery.signal"
`, copyDirScript(backupDir, `"$D"`, par), settings)
}

// copyDirScript is shell that copies the contents of directory src into the existing, empty
// directory dst (shell words, e.g. `"$D"`) as cp -a src/. dst/ would, with par cp processes at a
// time: the files over 8 MiB one per cp, largest first, the rest in batches beside them;
// directories are made first, private (umask 077, as pg_basebackup and initdb make them).
// A restore's copy of a base backup is the larger part of a side db's start, and one cp
// writes it at well under what the disk takes: 2.1 GB into a fresh volume on 2 cores took
// 5.3-5.9 s with one cp, 3.7-4.3 s with two (pgBackRest's restore copies with --process-max
// processes the same way).
func copyDirScript(src, dst string, par int) string {
	return fmt.Sprintf(`(
  umask 077
  cd %[1]s
  find . -mindepth 1 -type d -print0 | (cd %[2]s && xargs -0r mkdir -p)
  find . ! -type d ! -size +8M -print0 | xargs -0r -n 256 cp -a --parents -t %[2]s &
  small=$!
  find . ! -type d -size +8M -printf '%%s %%p\n' | sort -rn | cut -d' ' -f2- | xargs -d '\n' -r -P %[3]d -n 1 cp -a --parents -t %[2]s
  wait "$small"
)
`, src, dst, max(par, 1))
}

// dropTargetScript removes the recovery target from a data directory whose recovery stopped at
// the end of the archive, so the next start recovers to the end of the archive and promotes.
func dropTargetScript() string {
	return fmt.Sprintf(`set -eu
D=%s
sed -i -e '/^recovery_target_time/d' -e '/^recovery_target_inclusive/d' "$D/postgresql.auto.conf"
touch "$D/recovery.signal"
`, DataDir)
}

// switchWAL forces the live primary to close its current WAL segment and waits until the
// archiver has copied it: then a restore can replay everything committed so far.
func switchWAL(ctx context.Context, dsn string, timeout time.Duration) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("connect to live db: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var seg string
	if err := conn.QueryRow(ctx, `SELECT pg_walfile_name(pg_switch_wal())`).Scan(&seg); err != nil {
		return "", fmt.Errorf("pg_switch_wal: %w", err)
	}
	err = poll(ctx, timeout, 50*time.Millisecond, "segment "+seg+" archived", func(ctx context.Context) (bool, error) {
		var last *string
		var failed *string
		if err := conn.QueryRow(ctx, `SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver`).Scan(&last, &failed); err != nil {
			return false, fmt.Errorf("read pg_stat_archiver: %w", err)
		}
		// WAL file names sort in timeline then LSN order: later names are later WAL.
		return last != nil && len(*last) == len(seg) && *last >= seg, nil
	})
	return seg, err
}

// errGiveUp, wrapped by a poll condition's error, ends the wait at once: the condition can no
// longer become true (the server it waits on has exited).
var errGiveUp = errors.New("gave up")

// poll calls cond every interval until it returns true, returns an error, or timeout passes.
func poll(ctx context.Context, timeout, interval time.Duration, what string, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if errors.Is(err, errGiveUp) {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for %s: %w (last: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// isPromoted reports whether the server at dsn answers and is out of recovery.
func isPromoted(ctx context.Context, dsn string) (bool, error) {
	var inRecovery bool
	err := askServer(ctx, dsn, `SELECT pg_is_in_recovery()`, &inRecovery)
	return err == nil && !inRecovery, err
}

// askServer scans the one row of query into dest on the server at dsn, connecting for it with
// two seconds at most: a server that is starting or replaying answers later, or errs.
func askServer(ctx context.Context, dsn, query string, dest ...any) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(cctx, query).Scan(dest...)
}

// waitPromoted waits until the Postgres of service svc, reached at dsn, has finished recovery
// and been promoted. If its container stops on the way, the error wraps errGiveUp, and also
// ErrTargetNotReached when its log says the WAL archive ended before the recovery target.
func (e *Env) waitPromoted(ctx context.Context, svc stack.Service, dsn string) error {
	return e.waitRecovery(ctx, svc, dsn, "promoted", isPromoted)
}

// waitRecovery waits until the recovering Postgres of service svc, reached at dsn, is in the
// state reached says (what names it), with waitPromoted's errors when its container stops.
func (e *Env) waitRecovery(ctx context.Context, svc stack.Service, dsn, what string, reached func(ctx context.Context, dsn string) (bool, error)) error {
	return poll(ctx, e.Params.timeout(), 100*time.Millisecond, string(svc)+" "+what, func(ctx context.Context) (bool, error) {
		ok, err := reached(ctx, dsn)
		if ok || err == nil {
			return ok, nil // there, or answering and still replaying: alive either way
		}
		if _, _, xerr := e.Stack.Exec(ctx, svc, []string{"true"}); xerr != nil && ctx.Err() == nil {
			log := e.logTail(ctx, svc)
			if i := strings.Index(log, notReachedLog); i >= 0 {
				line := log[max(strings.LastIndex(log[:i], "\n")+1, 0):]
				line, _, _ = strings.Cut(line, "\n")
				return false, fmt.Errorf("%w: %w (%s log: %s)", errGiveUp, ErrTargetNotReached, svc, line)
			}
			return false, fmt.Errorf("%w: %s exited during recovery: %v\n%s", errGiveUp, svc, xerr, log)
		}
		return false, err
	})
}

// logTail returns the last lines of a service's container output ("" if unavailable).
func (e *Env) logTail(ctx context.Context, svc stack.Service) string {
	id, err := e.Stack.ContainerID(svc)
	if err != nil {
		return ""
	}
	pool, err := newPool()
	if err != nil {
		return ""
	}
	var out strings.Builder
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = pool.Client.Logs(dc.LogsOptions{Context: lctx, Container: id, Stdout: true, Stderr: true, Tail: "20", OutputStream: &out, ErrorStream: &out})
	return strings.TrimSpace(out.String())
}

// clearRecoverySettings removes the recovery settings a restore appended to
// postgresql.auto.conf of a promoted server, so that later base backups of it carry none.
func clearRecoverySettings(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// ALTER SYSTEM cannot run in a transaction block: one statement at a time.
	for _, name := range []string{"recovery_target_time", "recovery_target_inclusive", "recovery_target_action", "restore_command"} {
		if _, err := conn.Exec(ctx, "ALTER SYSTEM RESET "+name); err != nil {
			return fmt.Errorf("ALTER SYSTEM RESET %s: %w", name, err)
		}
	}
	return nil
}
