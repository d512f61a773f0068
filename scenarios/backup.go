package scenarios

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// BackupRoot is where base backups live inside the db container (the "backups" volume).
const BackupRoot = stack.BackupsDir

// ErrNoBackup means no base backup finished before a restore's target time: nothing can be
// restored to that moment, whatever the WAL archive holds.
var ErrNoBackup = errors.New("no base backup before the restore target")

// Backup is one base backup: taken with pg_basebackup into the backups volume (plain), or
// with pgbackrest backup into the repository.
type Backup struct {
	Name     string    // base-<n>; with pgBackRest its label (20261202-184606F, ...F_...D)
	Dir      string    // its directory in the db container, /backups/base-<n> (or in the repository)
	Started  time.Time // harness clock, before pg_basebackup started
	Finished time.Time // harness clock, after it returned: the backup is usable for targets after this
	// StartLSN and StartTime come from the backup's backup_label (the server's view; StartTime
	// has one-second precision).
	StartLSN  string
	StartTime time.Time
	// Type is full, diff or incr (plain backups are full).
	Type BackupType
	// Label, StopLSN and StopTime come from pgbackrest info (pgBackRest only): the label a
	// restore names with --set, where the backup's WAL ends, and when it stopped (the
	// repository's clock, one-second precision).
	Label    string
	StopLSN  string
	StopTime time.Time
	// References are the backups a diff or incr needs restored with it (pgBackRest only).
	References []string
}

// BackupType is the kind of a pgBackRest backup: full, or only what changed since the last
// full (diff) or since the last backup of any type (incr).
type BackupType string

// The backup types, as pgbackrest backup --type takes them.
const (
	Full BackupType = "full"
	Diff BackupType = "diff"
	Incr BackupType = "incr"
)

// ErrBackupType is a backup type the stack's backup tool cannot take.
var ErrBackupType = errors.New("backup type not available")

// ErrArchiveHeld is returned for a base backup taken while the primary drops its WAL segments
// (stack.HoldArchive): no WAL after it would reach the archive to roll it forward.
var ErrArchiveHeld = errors.New("the WAL archive is held (a bulk load is running): no base backup until it is released")

// Backups takes and lists the base backups of one stack's database. The WAL archive itself is
// continuous from the first base backup on (archive_command of the stack; the seeding's WAL
// before it is held out, stack.HoldArchive); base backups bound how much WAL a restore replays.
type Backups struct {
	s   *stack.Stack
	log io.Writer

	// Scheduled is the type the schedule takes (zero: full); the first backup is always full.
	Scheduled BackupType

	run  sync.Mutex // one backup at a time
	mu   sync.Mutex
	n    int
	list []Backup
}

// NewBackups prepares base backups of s's database; log (nil = quiet) gets a line per backup.
func NewBackups(s *stack.Stack, log io.Writer) *Backups { return &Backups{s: s, log: log} }

// Take runs one full base backup now and records it: pg_basebackup -Fp -Xstream -c fast,
// inside the db container, over the local socket; or pgbackrest backup --type=full.
func (b *Backups) Take(ctx context.Context) (Backup, error) { return b.TakeType(ctx, Full) }

// TakeType runs one backup of type typ now. The plain route takes only full backups
// (ErrBackupType otherwise); pgBackRest takes a full one instead of a diff or incr when the
// repository has none yet (and says so in Type).
func (b *Backups) TakeType(ctx context.Context, typ BackupType) (Backup, error) {
	switch typ {
	case "":
		typ = Full
	case Full, Diff, Incr:
	default:
		return Backup{}, fmt.Errorf("%w: %q: use full, diff or incr", ErrBackupType, typ)
	}
	if b.s.ArchiveHeld() {
		return Backup{}, ErrArchiveHeld
	}
	if b.s.BackupTool() == stack.PgBackRest {
		return b.takePgBackRest(ctx, typ)
	}
	if typ != Full {
		return Backup{}, fmt.Errorf("%w: %s backup with the plain backup tool: pg_basebackup takes full base backups only (choose pgbackrest)", ErrBackupType, typ)
	}
	b.run.Lock()
	defer b.run.Unlock()
	b.mu.Lock()
	b.n++
	name := fmt.Sprintf("base-%d", b.n)
	b.mu.Unlock()
	bk := Backup{Name: name, Dir: path.Join(BackupRoot, name), Started: time.Now(), Type: Full}

	args := []string{"pg_basebackup", "-D", bk.Dir, "-Fp", "-Xstream", "-c", "fast"}
	code, out, err := b.s.Exec(ctx, stack.DB, args)
	if err == nil && code != 0 && refusedLocally(out) {
		// pg_hba refuses replication over the local socket: go through TCP with the password.
		if _, _, err = b.s.Exec(ctx, stack.DB, []string{"rm", "-rf", bk.Dir}); err == nil {
			tcp := append([]string{"pg_basebackup", "-h", "127.0.0.1", "-U", "postgres"}, args[1:]...)
			code, out, err = b.s.Exec(ctx, stack.DB, tcp, "PGPASSWORD="+b.s.Password())
		}
	}
	if err != nil {
		return Backup{}, fmt.Errorf("base backup %s: %w", name, err)
	}
	if code != 0 {
		return Backup{}, fmt.Errorf("base backup %s: pg_basebackup exited %d: %s", name, code, strings.TrimSpace(out))
	}
	bk.Finished = time.Now()

	code, label, err := b.s.Exec(ctx, stack.DB, []string{"cat", path.Join(bk.Dir, "backup_label")})
	if err != nil || code != 0 {
		return Backup{}, fmt.Errorf("base backup %s: read backup_label (exit %d): %v %s", name, code, err, label)
	}
	bk.StartLSN, bk.StartTime = parseBackupLabel(label)

	b.mu.Lock()
	b.list = append(b.list, bk)
	b.mu.Unlock()
	if b.log != nil {
		fmt.Fprintf(b.log, "base backup %s: start LSN %s, %.2fs\n", name, bk.StartLSN, bk.Finished.Sub(bk.Started).Seconds())
	}
	return bk, nil
}

func refusedLocally(out string) bool {
	return strings.Contains(out, "pg_hba.conf") || strings.Contains(out, "authentication failed")
}

// parseBackupLabel reads the START WAL LOCATION and START TIME lines of a backup_label file.
func parseBackupLabel(label string) (lsn string, start time.Time) {
	sc := bufio.NewScanner(strings.NewReader(label))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "START WAL LOCATION: "); ok {
			lsn, _, _ = strings.Cut(v, " ")
		}
		if v, ok := strings.CutPrefix(line, "START TIME: "); ok {
			if t, err := time.Parse("2006-01-02 15:04:05 MST", v); err == nil {
				start = t
			}
		}
	}
	return lsn, start
}

// Schedule takes a base backup every interval until ctx is cancelled or the returned stop is
// called; stop waits for a backup in flight and returns the first error of the schedule. Stop
// the schedule before a runbook stops the database.
func (b *Backups) Schedule(ctx context.Context, every time.Duration) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		var first error
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				done <- first
				return
			case <-t.C:
				if _, err := b.TakeType(ctx, b.Scheduled); err != nil && first == nil && ctx.Err() == nil {
					first = err
				}
			}
		}
	}()
	return func() error {
		cancel()
		return <-done
	}
}

// List returns the backups taken so far, oldest first. A nil *Backups has none.
func (b *Backups) List() []Backup {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Backup(nil), b.list...)
}

// LatestBefore returns the newest base backup that finished before t: the one a restore to t
// starts from (a backup must be complete before the target for recovery to become consistent).
func (b *Backups) LatestBefore(t time.Time) (Backup, error) {
	return latestBefore(b.List(), t)
}

func latestBefore(list []Backup, t time.Time) (Backup, error) {
	var best Backup
	found := false
	for _, bk := range list {
		if bk.Finished.Before(t) && (!found || bk.Finished.After(best.Finished)) {
			best, found = bk, true
		}
	}
	if found {
		return best, nil
	}
	ts := t.UTC().Format(time.RFC3339Nano)
	if len(list) == 0 {
		return Backup{}, fmt.Errorf("restore to %s: %w: no base backup was taken (take one after seeding, or set a backup schedule)", ts, ErrNoBackup)
	}
	first := list[0]
	for _, bk := range list {
		if bk.Finished.Before(first.Finished) {
			first = bk
		}
	}
	return Backup{}, fmt.Errorf("restore to %s: %w: the first one, %s, finished at %s", ts, ErrNoBackup, first.Name, first.Finished.UTC().Format(time.RFC3339Nano))
}
