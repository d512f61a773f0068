package scenarios

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/stack"
)

// walName matches a WAL segment file name: timeline, then the segment number in two halves.
var walName = regexp.MustCompile(`^[0-9A-F]{24}$`)

// archivedSegments lists the WAL segment files in the archive, sorted (timeline, then LSN).
func archivedSegments(ctx context.Context, s *stack.Stack) ([]string, error) {
	dir, cmd := ArchiveDir, []string{"ls", "-1", ArchiveDir}
	if s.BackupTool() == stack.PgBackRest {
		// The repository keeps SEGMENT-SHA1[.gz…] under archive/STANZA/VERSION-ID/FIRST16/.
		dir = repoArchive(s)
		cmd = []string{"sh", "-c", "ls -1 " + dir + "/*/*/"}
	}
	code, out, err := s.Exec(ctx, stack.DB, cmd)
	if err != nil || code != 0 {
		return nil, fmt.Errorf("list %s (exit %d): %v %s", dir, code, err, strings.TrimSpace(out))
	}
	var segs []string
	for _, f := range strings.Fields(out) {
		if len(f) > 24 && f[24] == '-' {
			f = f[:24]
		}
		if walName.MatchString(f) {
			segs = append(segs, f)
		}
	}
	sort.Strings(segs)
	return segs, nil
}

// nextSegment returns the name of the segment after seg on the same timeline (16 MB segments:
// 256 a "log id").
func nextSegment(seg string) string {
	hi, _ := strconv.ParseUint(seg[8:16], 16, 32)
	lo, _ := strconv.ParseUint(seg[16:24], 16, 32)
	lo++
	if lo == 0x100 {
		hi, lo = hi+1, 0
	}
	return fmt.Sprintf("%s%08X%08X", seg[:8], hi, lo)
}

// backupSegments returns the WAL segments a base backup starts and ends in, read from its
// backup_label and from the backup history file the archive keeps for it.
func backupSegments(ctx context.Context, s *stack.Stack, bk Backup) (start, stop string, err error) {
	if s.BackupTool() == stack.PgBackRest {
		return repoBackupSegments(ctx, s, bk)
	}
	code, label, err := s.Exec(ctx, stack.DB, []string{"cat", path.Join(bk.Dir, "backup_label")})
	if err != nil || code != 0 {
		return "", "", fmt.Errorf("read %s/backup_label (exit %d): %v", bk.Dir, code, err)
	}
	start = fileOf(label, "START WAL LOCATION: ")
	if start == "" {
		return "", "", fmt.Errorf("%s/backup_label names no start segment", bk.Dir)
	}
	// The history file is <start segment>.<offset>.backup; its STOP WAL LOCATION line names
	// the segment the backup ended in.
	code, hist, err := s.Exec(ctx, stack.DB, []string{"sh", "-c", "cat " + ArchiveDir + "/" + start + ".*.backup"})
	if err != nil || code != 0 {
		return start, start, nil // no history file: the backup ends no earlier than it starts
	}
	if stop = fileOf(hist, "STOP WAL LOCATION: "); stop == "" {
		stop = start
	}
	return start, stop, nil
}

// repoArchive is the pgBackRest repository's WAL archive of the stack's stanza.
func repoArchive(s *stack.Stack) string { return path.Join(stack.RepoDir, "archive", s.Stanza()) }

// repoBackupSegments returns the segments a pgBackRest backup starts and ends in, from the LSNs
// the repository records for it, on the live database's timeline.
func repoBackupSegments(ctx context.Context, s *stack.Stack, bk Backup) (start, stop string, err error) {
	tli, err := liveTimeline(ctx, s.DSN())
	if err != nil {
		return "", "", err
	}
	if start, err = lsnSegment(tli, bk.StartLSN); err != nil {
		return "", "", err
	}
	if stop, err = lsnSegment(tli, bk.StopLSN); err != nil {
		return start, start, nil
	}
	return start, stop, nil
}

// lsnSegment is the name of the 16 MB WAL segment holding lsn ("0/5000028") on timeline tli.
func lsnSegment(tli uint32, lsn string) (string, error) {
	hiS, loS, ok := strings.Cut(lsn, "/")
	hi, err1 := strconv.ParseUint(hiS, 16, 32)
	lo, err2 := strconv.ParseUint(loS, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("LSN %q is not X/Y in hexadecimal", lsn)
	}
	return fmt.Sprintf("%08X%08X%08X", tli, hi, lo>>24), nil
}

// fileOf reads the "(file X)" of the line starting with prefix.
func fileOf(text, prefix string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			if _, f, ok := strings.Cut(v, "(file "); ok {
				return strings.TrimSuffix(strings.TrimSpace(f), ")")
			}
		}
	}
	return ""
}

// archiveGap finds the first segment missing from segs after from, up to upto (the last
// segment a recovery to T0 needs; "" = the last archived one), on from's timeline: the point
// where any recovery through the archive stops. It returns the missing segment and how many
// archived segments after it are unusable.
func archiveGap(segs []string, from, upto string) (missing string, unusable int) {
	have := map[string]bool{}
	last := upto
	for _, sg := range segs {
		if sg[:8] == from[:8] {
			have[sg] = true
			if upto == "" {
				last = max(last, sg)
			}
		}
	}
	for sg := nextSegment(from); sg <= last; sg = nextSegment(sg) {
		if !have[sg] {
			for _, x := range segs {
				if x[:8] == from[:8] && x > sg {
					unusable++
				}
			}
			return sg, unusable
		}
	}
	return "", 0
}

// reportReached notes, after a recovery that stopped before its target, what it reached: the
// last transaction replayed (on the promoted server at dsn) and the gap in the archive that
// stopped it, if there is one. Writes committed between that point and T0 are lost.
func (e *Env) reportReached(ctx context.Context, runbook, dsn string, bk Backup) {
	var reached *time.Time
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		_ = conn.QueryRow(ctx, `SELECT pg_last_xact_replay_timestamp()`).Scan(&reached)
		conn.Close(context.WithoutCancel(ctx))
	}
	if reached != nil {
		e.findingf("%s: recovery reached %s, %.1fs before T0: writes committed after it and before T0 are lost (an RPO of up to %.1fs)",
			runbook, reached.UTC().Format(time.RFC3339Nano), e.T0.Sub(*reached).Seconds(), e.T0.Sub(*reached).Seconds())
	} else {
		e.findingf("%s: recovery stopped before T0 and replayed no transaction after base backup %s: everything committed after it is lost", runbook, bk.Name)
	}
	start, _, err := backupSegments(ctx, e.Stack, bk)
	if err != nil {
		return
	}
	segs, err := archivedSegments(ctx, e.Stack)
	if err != nil {
		return
	}
	if missing, n := archiveGap(segs, start, e.walEnd); missing != "" {
		e.findingf("%s: WAL segment %s is missing from the archive: recovery from %s cannot pass it to reach T0 (%d later archived segments unusable)", runbook, missing, bk.Name, n)
	}
}
