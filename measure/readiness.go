package measure

import (
	"fmt"
	"strconv"
	"time"

	"github.com/drdrill/drdrill/results"
)

// Readiness is what the harness read of the backups and the WAL archive just before T0, as
// plain data: from the repository (pgbackrest info) or the plain route's backup list, and
// from the live database (pg_stat_archiver, pg_current_wal_insert_lsn()).
type Readiness struct {
	// ReadAt is when the database was read, on the harness clock (just before T0).
	ReadAt time.Time
	// LastBackup names the newest completed backup; LastBackupStop is when it stopped
	// (pgBackRest: the repository's stop time, one-second precision; plain: when
	// pg_basebackup returned). Both zero: no backup had completed.
	LastBackup     string
	LastBackupStop time.Time
	// LastArchivedWAL and LastArchivedAt are pg_stat_archiver's last_archived_wal and
	// last_archived_time ("" and zero: nothing archived yet).
	LastArchivedWAL string
	LastArchivedAt  time.Time
	// UnarchivedBytes is how much WAL was written and not yet archived: the current insert
	// location minus the start of the oldest segment not archived yet (0: the archive held
	// everything).
	UnarchivedBytes int64
	// InsertLSN is the WAL insert location read then ("0/5000028"): nothing the incident
	// wrote is before it, so the WAL from there holds the incident whole.
	InsertLSN string
}

// BackupAge is T0 minus the stop time of the last backup completed before T0: how much WAL a
// restore to T0 must replay at least. ok is false when no backup had completed.
func BackupAge(t0 time.Time, r Readiness) (age time.Duration, ok bool) {
	if r.LastBackupStop.IsZero() {
		return 0, false
	}
	return max(t0.Sub(r.LastBackupStop), 0), true
}

// WALArchiveLag is how far the WAL archive was behind at T0: 0 when it held every byte of WAL
// written, otherwise T0 minus the last archived segment's archive time — no unarchived write
// is older than that segment's switch, which its archiving follows within the archiver's
// reaction time, so the lag is an upper bound on the age of the oldest write a restore from
// the archive alone would lose. ok is false when WAL was written and nothing was ever
// archived.
func WALArchiveLag(t0 time.Time, r Readiness) (lag time.Duration, ok bool) {
	if r.UnarchivedBytes <= 0 {
		return 0, true
	}
	if r.LastArchivedAt.IsZero() {
		return 0, false
	}
	return max(t0.Sub(r.LastArchivedAt), 0), true
}

// walSegmentSize is Postgres' default WAL segment size, the stack's.
const walSegmentSize = 16 << 20

// SegmentStart returns the WAL location a segment file name (24 hex digits: timeline, log,
// segment) starts at; ok is false for any other name.
func SegmentStart(name string) (lsn uint64, ok bool) {
	if len(name) != 24 {
		return 0, false
	}
	hi, err1 := strconv.ParseUint(name[8:16], 16, 32)
	lo, err2 := strconv.ParseUint(name[16:24], 16, 32)
	if err1 != nil || err2 != nil || lo >= 1<<32/walSegmentSize {
		return 0, false
	}
	return hi<<32 | lo*walSegmentSize, true
}

// segmentHeader is the long page header a WAL segment starts with (SizeOfXLogLongPHD): the
// insert location of a segment nothing was written to yet stands just after it.
const segmentHeader = 40

// Unarchived is how many bytes of WAL were written and not archived when the insert location
// is insert and the oldest segment not yet archived is the one named firstReady (its .ready
// file in pg_wal/archive_status), or, with none waiting (""), the segment insert is in.
func Unarchived(insert uint64, firstReady string) (int64, error) {
	start := insert &^ (walSegmentSize - 1)
	if firstReady != "" {
		var ok bool
		if start, ok = SegmentStart(firstReady); !ok {
			return 0, fmt.Errorf("archive status %q names no WAL segment", firstReady)
		}
	}
	if insert <= start+segmentHeader {
		return 0, nil
	}
	return int64(insert - start - segmentHeader), nil
}

// ParseLSN reads a WAL location as Postgres prints it (16/B374D848).
func ParseLSN(s string) (uint64, error) {
	var hi, lo uint64
	if _, err := fmt.Sscanf(s, "%X/%X", &hi, &lo); err != nil {
		return 0, fmt.Errorf("WAL location %q: %w", s, err)
	}
	return hi<<32 | lo, nil
}

// ReadinessMS is BackupAge and WALArchiveLag at t0 in milliseconds, each nil when r is nil or
// the figure was not measured: the one conversion results.json and the objectives share.
func ReadinessMS(t0 time.Time, r *Readiness) (backupAgeMS, walArchiveLagMS *float64) {
	if r == nil {
		return nil, nil
	}
	if age, ok := BackupAge(t0, *r); ok {
		v := results.MS(age)
		backupAgeMS = &v
	}
	if lag, ok := WALArchiveLag(t0, *r); ok {
		v := results.MS(lag)
		walArchiveLagMS = &v
	}
	return backupAgeMS, walArchiveLagMS
}
