package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/stack"
)

// backupSet is one backup of `pgbackrest info --output=json`: what a runbook needs from the
// repository.
type backupSet struct {
	Label     string   `json:"label"`
	Type      string   `json:"type"`
	Prior     string   `json:"prior"`
	Error     bool     `json:"error"`
	Reference []string `json:"reference"`
	Timestamp struct {
		Start int64 `json:"start"`
		Stop  int64 `json:"stop"`
	} `json:"timestamp"`
	LSN struct {
		Start string `json:"start"`
		Stop  string `json:"stop"`
	} `json:"lsn"`
}

// stanzaInfo is one stanza of `pgbackrest info --output=json`.
type stanzaInfo struct {
	Name   string      `json:"name"`
	Backup []backupSet `json:"backup"`
	Status struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
}

// parseInfo returns the backups of stanza in a `pgbackrest info --output=json` document,
// oldest first, as the repository lists them.
func parseInfo(doc []byte, stanza string) ([]backupSet, error) {
	var stanzas []stanzaInfo
	if err := json.Unmarshal(doc, &stanzas); err != nil {
		return nil, fmt.Errorf("pgbackrest info: %w", err)
	}
	for _, st := range stanzas {
		if st.Name == stanza {
			return st.Backup, nil
		}
	}
	return nil, fmt.Errorf("pgbackrest info: no stanza %q in the repository", stanza)
}

// repoBackups reads the backups of the stack's stanza from its repository.
func repoBackups(ctx context.Context, s *stack.Stack) ([]backupSet, error) {
	code, out, err := s.Exec(ctx, stack.DB, s.PgBackRestCommand("info", "--output=json"))
	if err != nil {
		return nil, fmt.Errorf("pgbackrest info: %w", err)
	}
	if code != 0 {
		return nil, fmt.Errorf("pgbackrest info: exit %d: %s", code, tail(strings.TrimSpace(out), 5))
	}
	return parseInfo([]byte(out), s.Stanza())
}

// asBackup is the Backup a repository's backup set describes.
func (set backupSet) asBackup(stanza string) Backup {
	return Backup{
		Name: set.Label, Label: set.Label, Type: BackupType(set.Type), References: set.Reference,
		Dir:      path.Join(stack.RepoDir, "backup", stanza, set.Label),
		StartLSN: set.LSN.Start, StopLSN: set.LSN.Stop,
		StartTime: time.Unix(set.Timestamp.Start, 0).UTC(), StopTime: time.Unix(set.Timestamp.Stop, 0).UTC(),
	}
}

// takePgBackRest runs pgbackrest backup --type=typ in the db container (over the local
// socket, no password) and records the backup the repository lists as new.
func (b *Backups) takePgBackRest(ctx context.Context, typ BackupType) (Backup, error) {
	b.run.Lock()
	defer b.run.Unlock()
	started := time.Now()
	cmd := b.s.PgBackRestCommand("backup", "--type="+string(typ))
	code, out, err := b.s.Exec(ctx, stack.DB, cmd)
	if err != nil {
		return Backup{}, fmt.Errorf("pgbackrest backup --type=%s: %w", typ, err)
	}
	if code != 0 {
		return Backup{}, fmt.Errorf("pgbackrest backup --type=%s: exit %d: %s", typ, code, tail(strings.TrimSpace(out), 5))
	}
	finished := time.Now()
	sets, err := repoBackups(ctx, b.s)
	if err != nil {
		return Backup{}, fmt.Errorf("pgbackrest backup --type=%s: %w", typ, err)
	}
	known := map[string]bool{}
	for _, bk := range b.List() {
		known[bk.Label] = true
	}
	i := slices.IndexFunc(sets, func(s backupSet) bool { return !known[s.Label] })
	if i < 0 {
		return Backup{}, fmt.Errorf("pgbackrest backup --type=%s: exit 0 but the repository lists no new backup", typ)
	}
	bk := sets[i].asBackup(b.s.Stanza())
	bk.Started, bk.Finished = started, finished
	b.mu.Lock()
	b.n++
	b.list = append(b.list, bk)
	b.mu.Unlock()
	if b.log != nil {
		fmt.Fprintf(b.log, "pgbackrest backup %s (%s): LSN %s to %s, %.2fs\n", bk.Label, bk.Type, bk.StartLSN, bk.StopLSN, finished.Sub(started).Seconds())
	}
	return bk, nil
}

// restoreOptions are the pgbackrest restore options that restore bk and recover to just
// before target (--target-exclusive: nothing committed at T0 or later survives), then
// promote; a zero target recovers to the end of the archive. processMax restores that many
// files at once; delta reuses the files of the data directory that match the backup.
// --job-retry=0: pgBackRest does not read a file that failed again itself (twice by default,
// the second time 15 s later): a file that does not match its checksum fails the restore at
// once (ErrBackupInvalid), and the runbook's own retry waits for an unreachable repository.
func restoreOptions(bk Backup, target time.Time, processMax int, delta bool) []string {
	return restoreOptionsThen(bk, target, processMax, delta, "promote")
}

// restoreOptionsThen is restoreOptions with another --target-action (pause: see
// recoverySettingsThen).
func restoreOptionsThen(bk Backup, target time.Time, processMax int, delta bool, action string) []string {
	opts := []string{"--set=" + bk.Label}
	if delta {
		opts = append(opts, "--delta")
	}
	if !target.IsZero() {
		opts = append(opts, "--type=time", "--target="+recoveryTime(target), "--target-exclusive", "--target-action="+action)
	}
	return append(opts, fmt.Sprintf("--process-max=%d", max(processMax, 1)), "--job-retry=0")
}

// pgBackRestRestoreScript restores the data directory of a stopped server in place with
// pgbackrest restore (the server must not run: a killed one's postmaster.pid is stale and
// goes first).
func pgBackRestRestoreScript(s *stack.Stack, opts []string) string {
	return fmt.Sprintf(`set -eu
rm -f %[1]s/postmaster.pid
%[2]s
`, DataDir, stack.ShellQuote(s.PgBackRestCommand("restore", opts...)))
}

// sidePgBackRestInitScript is sideInitScript with pgbackrest restore in place of the copy of
// a plain base backup: same idempotence (a side container killed part-way restores from
// scratch), archiving off.
func sidePgBackRestInitScript(s *stack.Stack, opts []string) string {
	return sideInit(fmt.Sprintf(`  %s
  chmod 700 "$D"
  echo "archive_mode = off" >> "$D/postgresql.auto.conf"
`, stack.ShellQuote(s.PgBackRestCommand("restore", opts...))))
}

// restoreBadFile is the error line pgbackrest restore ends with when a file of the backup is
// not what the repository's manifest says: ChecksumError [026] (a file whose SHA-1 or size
// does not match), FormatError [029] (a compressed file that does not decompress), or
// FileMissingError [055] naming a file of a backup set (under its pg_data/: the repository's
// info files, which an unreachable repository is missing, are not), also when raised in one of
// its --process-max processes.
var restoreBadFile = regexp.MustCompile(`ERROR: \[0(?:26|29)\]: [^\n]*|ERROR: \[055\]: [^\n]*missing file '[^'\n]*/pg_data/[^'\n]*'[^\n]*`)

// restoreChecked is err, the error of a start that ran pgbackrest restore, marked
// ErrBackupInvalid when the restore failed on a file of the backup that does not match its
// checksum or is gone (restoreBadFile; the container's last lines are in err). Any other error
// stays as it is: a repository that cannot be read says nothing of the backup.
func restoreChecked(err error) error {
	if err == nil {
		return nil
	}
	if line := restoreBadFile.FindString(err.Error()); line != "" {
		return fmt.Errorf("%w: pgbackrest restore: %s\n%w", ErrBackupInvalid, line, err)
	}
	return err
}

// verifyReport is what pgbackrest verify --output=text --verbose says of the repository.
type verifyReport struct {
	backups  map[string]string // label → "valid", or the status and counts of its problems
	problems []string          // one line per invalid backup or archive range
}

var (
	verifyBackupLine  = regexp.MustCompile(`^\s*backup: (\S+), status: ([^,]+)`)
	verifyArchiveLine = regexp.MustCompile(`^\s*archiveId: (\S+),`)
	verifyCountsLine  = regexp.MustCompile(`^\s*missing: \d+, checksum invalid: \d+`)
	verifyNonZero     = regexp.MustCompile(`[1-9]\d*`)
)

// parseVerify reads pgbackrest verify's verbose text output: a "backup: LABEL, status: S"
// line per backup and an "archiveId:" line per archive range, each followed by a line of
// counts (missing, checksum invalid, size invalid, other).
func parseVerify(out string) verifyReport {
	r := verifyReport{backups: map[string]string{}}
	var subject, status string
	for _, line := range strings.Split(out, "\n") {
		if m := verifyBackupLine.FindStringSubmatch(line); m != nil {
			subject, status = "backup "+m[1], m[2]
			r.backups[m[1]] = m[2]
			continue
		}
		if m := verifyArchiveLine.FindStringSubmatch(line); m != nil {
			subject, status = "WAL archive "+m[1], "valid"
			continue
		}
		if subject != "" && verifyCountsLine.MatchString(line) {
			counts := strings.TrimSpace(line)
			if status != "valid" || verifyNonZero.MatchString(counts) {
				r.problems = append(r.problems, fmt.Sprintf("%s: %s (%s)", subject, status, counts))
				if label, ok := strings.CutPrefix(subject, "backup "); ok {
					r.backups[label] = status + " (" + counts + ")"
				}
			}
			subject = ""
		}
	}
	return r
}

// check says whether bk and every backup it references verified valid.
func (r verifyReport) check(bk Backup) error {
	for _, label := range append([]string{bk.Label}, bk.References...) {
		st, ok := r.backups[label]
		switch {
		case !ok:
			return fmt.Errorf("pgbackrest verify: backup %s not in the repository", label)
		case st != "valid":
			return fmt.Errorf("pgbackrest verify: backup %s: %s", label, st)
		}
	}
	return nil
}

// errVerifyUnread means pgbackrest verify reported no backup at all: it could not read the
// repository (gone, unmounted), which says nothing of any backup in it.
var errVerifyUnread = errors.New("no backup reported")

// pgBackRestVerify runs pgbackrest verify once per runbook (it checks the whole repository:
// every backup file and WAL segment against its checksum) and puts each problem it reports
// in the findings.
func (e *Env) pgBackRestVerify(ctx context.Context) (verifyReport, error) {
	if e.verified != nil {
		return *e.verified, nil
	}
	code, out, err := e.Stack.Exec(ctx, stack.DB, e.Stack.PgBackRestCommand("verify", "--output=text", "--verbose"))
	if err != nil {
		return verifyReport{}, fmt.Errorf("pgbackrest verify: %w", err)
	}
	r := parseVerify(out)
	if len(r.backups) == 0 {
		return verifyReport{}, fmt.Errorf("pgbackrest verify: exit %d, %w: %s", code, errVerifyUnread, tail(strings.TrimSpace(out), 5))
	}
	for _, p := range r.problems {
		e.findingf("pgbackrest verify: %s", p)
	}
	e.verified = &r
	return r, nil
}

// ReadReadiness reads what a restore to now could start from: the newest completed backup
// (from the repository with pgBackRest, from b's list on the plain route) and, last and so
// closest to the moment it is called for (just before T0), the live database's WAL insert
// location and pg_stat_archiver.
func ReadReadiness(ctx context.Context, s *stack.Stack, b *Backups) (measure.Readiness, error) {
	var r measure.Readiness
	if s.BackupTool() == stack.PgBackRest {
		sets, err := repoBackups(ctx, s)
		if err != nil {
			return r, fmt.Errorf("readiness: %w", err)
		}
		for _, set := range sets {
			if stop := time.Unix(set.Timestamp.Stop, 0); !set.Error && stop.After(r.LastBackupStop) {
				r.LastBackup, r.LastBackupStop = set.Label, stop
			}
		}
	} else {
		for _, bk := range b.List() {
			if bk.Finished.After(r.LastBackupStop) {
				r.LastBackup, r.LastBackupStop = bk.Name, bk.Finished
			}
		}
	}
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		return r, fmt.Errorf("readiness: connect to live db: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var insert string
	var last, ready *string
	var lastAt *time.Time
	// The oldest .ready file of pg_wal/archive_status is the oldest segment the archiver has
	// not stored yet: exact, where last_archived_wal may name a backup history file.
	if err := conn.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text, last_archived_wal, last_archived_time,
	       (SELECT min(left(name, 24)) FROM pg_ls_archive_statusdir() WHERE name ~ '^[0-9A-F]{24}\.ready$')
	  FROM pg_stat_archiver`).Scan(&insert, &last, &lastAt, &ready); err != nil {
		return r, fmt.Errorf("readiness: read pg_stat_archiver: %w", err)
	}
	r.ReadAt = time.Now()
	r.InsertLSN = insert
	pos, err := measure.ParseLSN(insert)
	if err != nil {
		return r, fmt.Errorf("readiness: %w", err)
	}
	if last != nil {
		r.LastArchivedWAL = *last
	}
	if lastAt != nil {
		r.LastArchivedAt = *lastAt
	}
	first := ""
	if ready != nil {
		first = *ready
	}
	if r.UnarchivedBytes, err = measure.Unarchived(pos, first); err != nil {
		return r, fmt.Errorf("readiness: %w", err)
	}
	return r, nil
}
