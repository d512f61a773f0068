package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// verifyOK is pgbackrest 2.45's verify --output=text --verbose of a healthy repository.
const verifyOK = `stanza: drdrill
status: ok
  archiveId: 15-1, total WAL checked: 9, total valid WAL: 9
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261202-190113F, status: valid, total files checked: 1302, total valid files: 1302
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261202-190113F_20261202-190119D, status: valid, total files checked: 1302, total valid files: 1302
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
`

// verifyBad has a full backup with a bad checksum and a WAL segment missing.
const verifyBad = `stanza: drdrill
status: error
  archiveId: 15-1, total WAL checked: 9, total valid WAL: 8
    missing: 1, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261202-190113F, status: invalid, total files checked: 1302, total valid files: 1301
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
  backup: 20261202-190113F_20261202-190119D, status: valid, total files checked: 1302, total valid files: 1302
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261202-191000F, status: valid, total files checked: 1302, total valid files: 1302
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
`

func TestParseVerify(t *testing.T) {
	full := Backup{Label: "20261202-190113F"}
	diff := Backup{Label: "20261202-190113F_20261202-190119D", References: []string{"20261202-190113F"}}
	later := Backup{Label: "20261202-191000F"}
	gone := Backup{Label: "20261202-200000F"}
	tests := []struct {
		name     string
		out      string
		bk       Backup
		err      string // "" = passes
		problems int
	}{
		{"healthy full", verifyOK, full, "", 0},
		{"healthy diff and its full", verifyOK, diff, "", 0},
		{"invalid full", verifyBad, full, "backup 20261202-190113F: invalid (missing: 0, checksum invalid: 1", 2},
		{"valid diff of an invalid full", verifyBad, diff, "backup 20261202-190113F: invalid", 2},
		{"valid full beside problems", verifyBad, later, "", 2},
		{"backup not in the repository", verifyOK, gone, "not in the repository", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseVerify(tt.out)
			err := r.check(tt.bk)
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("check(%s) = %v, want %q", tt.bk.Label, err, tt.err)
			}
			if len(r.problems) != tt.problems {
				t.Errorf("problems %q, want %d", r.problems, tt.problems)
			}
		})
	}
	if p := parseVerify(verifyBad).problems; !strings.HasPrefix(p[0], "WAL archive 15-1: valid (missing: 1,") {
		t.Errorf("WAL problem reads %q", p[0])
	}
}

func TestRestoreOptions(t *testing.T) {
	bk := Backup{Label: "20261202-190113F"}
	t0 := time.Date(2026, 12, 2, 19, 1, 22, 123456789, time.UTC)
	tests := []struct {
		target time.Time
		procs  int
		delta  bool
		want   string
	}{
		{t0, 4, true, "--set=20261202-190113F --delta --type=time --target=2026-12-02 19:01:22.123456+00 --target-exclusive --target-action=promote --process-max=4 --job-retry=0"},
		{t0, 0, false, "--set=20261202-190113F --type=time --target=2026-12-02 19:01:22.123456+00 --target-exclusive --target-action=promote --process-max=1 --job-retry=0"},
		{time.Time{}, 2, false, "--set=20261202-190113F --process-max=2 --job-retry=0"}, // to the archive's end
	}
	for _, tt := range tests {
		if got := strings.Join(restoreOptions(bk, tt.target, tt.procs, tt.delta), " "); got != tt.want {
			t.Errorf("restoreOptions(%v, %d, %v) =\n %s\nwant\n %s", tt.target, tt.procs, tt.delta, got, tt.want)
		}
	}
	if got := stack.ShellQuote([]string{"a b", "it's"}); got != `'a b' 'it'\''s'` {
		t.Errorf("ShellQuote = %s", got)
	}
}

// TestPgBackRestBackups takes a full, a differential and an incremental backup with
// pgBackRest: each is recorded with the label, type, chain, LSNs and stop time the repository
// gives, and the plain route refuses what pg_basebackup cannot take.
func TestPgBackRestBackups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second, BackupTool: stack.PgBackRest})
	for _, typ := range []BackupType{Diff, Incr} {
		if _, err := d.backups.TakeType(ctx, typ); err != nil {
			t.Fatalf("%s backup: %v", typ, err)
		}
	}
	list := d.backups.List()
	if len(list) != 3 {
		t.Fatalf("%d backups recorded, want 3", len(list))
	}
	full, diff, incr := list[0], list[1], list[2]
	for i, want := range []struct {
		typ    BackupType
		suffix string
		refs   []string
	}{
		{Full, "F", nil},
		{Diff, "D", []string{full.Label}},
		{Incr, "I", []string{full.Label, diff.Label}},
	} {
		bk := list[i]
		if bk.Type != want.typ || !strings.HasSuffix(bk.Label, want.suffix) || bk.Name != bk.Label || !slices.Equal(bk.References, want.refs) {
			t.Errorf("backup %d: %+v, want type %s, label ending %s, references %v", i, bk, want.typ, want.suffix, want.refs)
		}
		// The repository's clock has one-second precision, and it is this host's.
		if bk.StopTime.Before(bk.Started.Truncate(time.Second)) || bk.StopTime.After(bk.Finished) || bk.StartTime.After(bk.StopTime) {
			t.Errorf("backup %s: started %s, stopped %s: not within the harness's %s..%s", bk.Label, bk.StartTime, bk.StopTime, bk.Started, bk.Finished)
		}
		if bk.StartLSN == "" || bk.StopLSN == "" {
			t.Errorf("backup %s: LSNs %q..%q", bk.Label, bk.StartLSN, bk.StopLSN)
		}
	}
	if !(diff.Started.After(full.Finished) && incr.Started.After(diff.Finished)) {
		t.Errorf("backups out of order: %+v", list)
	}
	plain := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second})
	if _, err := plain.backups.TakeType(ctx, Incr); !errors.Is(err, ErrBackupType) {
		t.Errorf("plain incr backup: err = %v, want ErrBackupType", err)
	}
	if _, err := d.backups.TakeType(ctx, "snapshot"); !errors.Is(err, ErrBackupType) {
		t.Errorf("snapshot backup: err = %v, want ErrBackupType", err)
	}
}

// TestReadReadiness reads the backups and the archive with known ground truth, on both
// backup tools: right after a forced WAL switch the archive holds everything (no lag); after
// one more write it is behind by that write's bytes, since the switch's segment was archived;
// and the last backup is the one taken, stopped when the repository (or pg_basebackup) says.
func TestReadReadiness(t *testing.T) {
	for _, tool := range []stack.BackupTool{stack.Plain, stack.PgBackRest} {
		t.Run(string(tool), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			// No archive_timeout switch during the test: only the test moves the archive.
			d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Hour, BackupTool: tool})
			bk := d.backups.List()[0]
			wantStop := bk.Finished
			if tool == stack.PgBackRest {
				wantStop = bk.StopTime
			}
			// A write first: a switch with nothing written since the last one switches nothing.
			victim, tenant := d.victimSite()
			liveWrite(t, ctx, d.s.DSN(), tenant, victim, "archived")
			before := time.Now()
			seg, err := switchWAL(ctx, d.s.DSN(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			archived := time.Now()
			r, err := ReadReadiness(ctx, d.s, d.backups)
			if err != nil {
				t.Fatal(err)
			}
			if r.LastBackup != bk.Name || !r.LastBackupStop.Equal(wantStop) {
				t.Errorf("last backup %s stopped %s, want %s stopped %s", r.LastBackup, r.LastBackupStop, bk.Name, wantStop)
			}
			if r.LastArchivedWAL != seg || r.UnarchivedBytes != 0 {
				t.Errorf("after the switch: last archived %s, %d bytes unarchived; want %s and 0", r.LastArchivedWAL, r.UnarchivedBytes, seg)
			}
			if lag, ok := measure.WALArchiveLag(r.ReadAt, r); !ok || lag != 0 {
				t.Errorf("lag right after the switch = %v, %v; want 0", lag, ok)
			}
			// The segment was archived between the switch and the end of the wait.
			if r.LastArchivedAt.Before(before.Add(-time.Millisecond)) || r.LastArchivedAt.After(archived) {
				t.Errorf("segment archived at %s, not within the switch's %s..%s", r.LastArchivedAt, before, archived)
			}

			liveWrite(t, ctx, d.s.DSN(), tenant, victim, "unarchived")
			r, err = ReadReadiness(ctx, d.s, d.backups)
			if err != nil {
				t.Fatal(err)
			}
			lag, ok := measure.WALArchiveLag(r.ReadAt, r)
			if r.UnarchivedBytes <= 0 || r.UnarchivedBytes > 1<<20 {
				t.Errorf("after one write: %d bytes unarchived, want a few kB", r.UnarchivedBytes)
			}
			if !ok || lag < r.ReadAt.Sub(archived) || lag > r.ReadAt.Sub(before) {
				t.Errorf("after one write: lag %v (%v), want between %v and %v", lag, ok, r.ReadAt.Sub(archived), r.ReadAt.Sub(before))
			}
			age, ok := measure.BackupAge(r.ReadAt, r)
			if !ok || age != r.ReadAt.Sub(wantStop) {
				t.Errorf("backup age %v (%v), want %v", age, ok, r.ReadAt.Sub(wantStop))
			}
		})
	}
}

// TestPgBackRestRestoreChecksFallsBack damages the newest pgBackRest backup in the repository
// (bytes of its largest file flipped, its size kept; or that file gone from the backup set):
// tenant-restore's pgbackrest restore, which is its verification, must catch it (no pgbackrest
// verify runs), the finding must name the backup and what pgBackRest said, tenant-restore must
// fall back to the older backup, on the first attempt (a bad backup is not waited for like an
// unreachable repository), and the ground truth still hold.
func TestPgBackRestRestoreChecksFallsBack(t *testing.T) {
	const largest = `f=$(find "$1/pg_data" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
`
	tests := []struct {
		name, damage, said string
	}{
		{"bytes flipped", largest + `size=$(stat -c %s "$f")
printf 'drdrill corrupts this' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
echo "$f"`, "ERROR: [029]"},
		{"file gone", largest + `rm "$f"
echo "$f"`, "ERROR: [055]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second, BackupTool: stack.PgBackRest})
			older := d.backups.List()[0]
			newest, err := d.backups.Take(ctx)
			if err != nil {
				t.Fatal(err)
			}
			code, out, err := d.s.Exec(ctx, stack.DB, []string{"sh", "-ec", tt.damage, "damage", newest.Dir})
			if err != nil || code != 0 {
				t.Fatalf("damage %s (exit %d): %v %s", newest.Label, code, err, out)
			}
			t.Logf("damaged %s", out)
			dsn := d.s.DSN()
			before := manifest(t, ctx, dsn, d.scope)
			t0 := time.Now()
			sqlIncident(t, ctx, dsn, "purge", d.targets.SiteIDs)

			env := &Env{Stack: d.s, Backups: d.backups, T0: t0, Before: before, Progress: os.Stderr}
			rb, err := RunRunbook(ctx, "tenant-restore", env)
			if err != nil {
				t.Fatal(err)
			}
			findings := strings.Join(env.Findings, "\n")
			for _, want := range []string{
				"base backup " + newest.Label + " (" + ErrBackupInvalid.Error() + ": pgbackrest restore: " + tt.said,
				"fell back to the older base backup " + older.Label,
			} {
				if !strings.Contains(findings, want) {
					t.Errorf("no finding containing %q in:\n%s", want, findings)
				}
			}
			if strings.Contains(findings, "pgbackrest verify") {
				t.Errorf("pgbackrest verify ran: tenant-restore's restore is its verification:\n%s", findings)
			}
			for _, s := range rb.Steps {
				if strings.HasPrefix(s.Name, "verify base backup") {
					t.Errorf("step %q: tenant-restore's restore is its verification", s.Name)
				}
				if strings.HasPrefix(s.Name, "pgbackrest restore --set="+newest.Label) && (s.Error == "" || s.Attempt != 1) {
					t.Errorf("the restore of the damaged %s: %+v, want it failed on attempt 1 and not retried", newest.Label, s)
				}
			}
			if !slices.ContainsFunc(rb.Steps, func(s results.Step) bool {
				return strings.HasPrefix(s.Name, "pgbackrest restore --set="+older.Label) && s.Error == ""
			}) {
				t.Errorf("no restore of %s in %+v", older.Label, rb.Steps)
			}
			if diff := before.Diff(manifest(t, ctx, dsn, d.scope)); len(diff) != 0 {
				t.Errorf("%d tenants differ from the manifest after the fallback: %+v", len(diff), diff)
			}
		})
	}
}

// TestRestoreChecked: a start whose pgbackrest restore failed on a file of the backup (a
// checksum, a compressed file that does not decompress, a file of the set gone; from a
// --process-max process too) fails the backup; any other failure (the repository gone, a
// server that exited) does not.
func TestRestoreChecked(t *testing.T) {
	const frame = "start restore (drdrill/postgres:15): start container: started hook: wait until ready: container exited with code %s\ncontainer output (last lines):\ndrdrill: running init script\n%s\n"
	tests := []struct {
		name, code, line string
		invalid          bool
	}{
		{"lz4 frame checksum, as seen (2.45)", "29", "ERROR: [029]: raised from local-2 protocol: lz4 error: [-18] ERROR_contentChecksum_invalid", true},
		{"file checksum", "26", "ERROR: [026]: raised from local-1 protocol: error restoring 'base/5/2838': actual checksum 'aa' does not match expected checksum 'bb'", true},
		{"a file gone from the backup set, as seen (2.45)", "55", "ERROR: [055]: raised from local-2 protocol: unable to open missing file '/var/lib/pgbackrest/backup/drdrill/20261208-033111F/pg_data/base/5/2838.lz4' for read", true},
		{"repository moved away", "55", "ERROR: [055]: unable to load info file '/var/lib/pgbackrest/backup/drdrill/backup.info' or '/var/lib/pgbackrest/backup/drdrill/backup.info.copy'", false},
		{"a code that merely contains 026", "103", "ERROR: [103]: unable to find a valid repository: 0260 tried", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := restoreChecked(fmt.Errorf(frame, tt.code, tt.line))
			if got := errors.Is(err, ErrBackupInvalid); got != tt.invalid {
				t.Fatalf("ErrBackupInvalid %v, want %v: %v", got, tt.invalid, err)
			}
			if first, _, _ := strings.Cut(err.Error(), "\n"); tt.invalid && !strings.HasSuffix(first, tt.line) {
				t.Errorf("first line %q, want it to end with pgBackRest's %q", first, tt.line)
			}
			if !strings.Contains(err.Error(), "container exited with code "+tt.code) {
				t.Errorf("the start's own error is lost: %v", err)
			}
		})
	}
	if restoreChecked(nil) != nil {
		t.Error("restoreChecked(nil) != nil")
	}
}
