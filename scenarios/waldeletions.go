package scenarios

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/stack"
)

// Deletion is one committed transaction that deleted rows of the unit table, as the WAL
// recorded it: its transaction ID, its commit (time and position) and the tuple IDs of the
// unit rows it deleted, on the pages as they were just before it committed.
type Deletion struct {
	XID       uint32
	Committed time.Time // the commit record's timestamp (the server's clock)
	CommitLSN string
	Tuples    []string // "(block,offset)", in WAL order
}

// walRelation names a relation the way WAL records do: tablespace/database/relfilenode.
type walRelation string

// unitRelation finds where the live database keeps the unit table: its WAL name. A DELETE
// keeps the relfilenode (a TRUNCATE or VACUUM FULL would not, and would show no deletions).
func unitRelation(ctx context.Context, dsn, qualified string) (walRelation, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("connect to live db: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var spc, db, node uint32
	err = conn.QueryRow(ctx, `SELECT CASE WHEN c.reltablespace = 0 THEN d.dattablespace ELSE c.reltablespace END::int8,
		d.oid::int8, pg_relation_filenode(c.oid)::int8
		FROM pg_class c, pg_database d WHERE c.oid = $1::regclass AND d.datname = current_database()`, qualified).Scan(&spc, &db, &node)
	if err != nil {
		return "", fmt.Errorf("relfilenode of %s: %w", qualified, err)
	}
	return walRelation(fmt.Sprintf("%d/%d/%d", spc, db, node)), nil
}

// endOfWAL is how pg_waldump reports the end of the WAL it was given: no next segment, or a
// record not (yet) written. Anything else it reports is an error.
var endOfWAL = regexp.MustCompile(`could not find file|invalid record length|invalid magic number 0000|record with incorrect prev-link|contrecord is requested`)

// waldumpScript prints, from the WAL segments segs (on timeline tli, sorted) from lsn to the
// end of the last one, the commit records and the records that touch rel, then a last line
// "drdrill-waldump: exit <status> <its last error>". With pgBackRest the segments are fetched
// from the repository first (archive-get decompresses and checks them); on the plain route
// pg_waldump reads the archive volume. The end is given: without one, pg_waldump waits five
// seconds for a next segment that is not there.
func waldumpScript(s *stack.Stack, segs []string, tli uint32, lsn string, rel walRelation) string {
	work := fmt.Sprintf("/tmp/drdrill-waldump-%d", time.Now().UnixNano())
	dir := ArchiveDir
	var fetch strings.Builder
	if s.BackupTool() == stack.PgBackRest {
		dir = work + "/wal"
		fmt.Fprintf(&fetch, "mkdir %s\n", dir)
		for _, seg := range segs {
			fmt.Fprintf(&fetch, "%s\n", stack.ShellQuote(s.PgBackRestCommand("archive-get", seg, dir+"/"+seg)))
		}
	}
	end := segmentLSN(nextSegment(segs[len(segs)-1]))
	return fmt.Sprintf(`set -eu
W=%[1]s
mkdir "$W"
trap 'rm -rf "$W"' EXIT
%[2]sst=0
pg_waldump -p %[3]s -t %[4]d -s %[5]s -e %[6]s >"$W/out" 2>"$W/err" || st=$?
grep -E ' desc: COMMIT |blkref #[0-9]+: rel %[7]s (fork [a-z]+ )?blk ' "$W/out" || true
echo "drdrill-waldump: exit $st $(tail -n 1 "$W/err")"
`, work, fetch.String(), dir, tli, lsn, end, regexp.QuoteMeta(string(rel)))
}

// segmentLSN is the LSN a WAL segment (16 MB) starts at.
func segmentLSN(seg string) string {
	hi, _ := strconv.ParseUint(seg[8:16], 16, 32)
	lo, _ := strconv.ParseUint(seg[16:24], 16, 32)
	return fmt.Sprintf("%X/%X", hi, lo<<24)
}

var (
	waldumpXID    = regexp.MustCompile(`\btx:\s+(\d+),`)
	waldumpLSN    = regexp.MustCompile(`\blsn: ([0-9A-F]+/[0-9A-F]+),`)
	waldumpCommit = regexp.MustCompile(`desc: COMMIT (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [A-Z]+)`)
	waldumpDelete = regexp.MustCompile(`desc: DELETE off (\d+)\b`)
	waldumpBlock  = regexp.MustCompile(`blkref #0: rel (\S+) (?:fork \S+ )?blk (\d+)`)
)

// parseDeletions reads waldumpScript's output: the transactions that deleted rows of rel and
// committed at or after from, in commit order. A transaction that deleted and aborted (a
// batch rolled back) has no commit record and is not a deletion.
func parseDeletions(out string, rel walRelation, from time.Time) ([]Deletion, error) {
	tuples := map[uint32][]string{}
	var dels []Deletion
	end := ""
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "drdrill-waldump: "); ok {
			end = rest
			continue
		}
		x := waldumpXID.FindStringSubmatch(line)
		if x == nil {
			continue
		}
		n, err := strconv.ParseUint(x[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pg_waldump: transaction ID in %q: %w", line, err)
		}
		xid := uint32(n)
		if c := waldumpCommit.FindStringSubmatch(line); c != nil {
			ts, ok := tuples[xid]
			if !ok {
				continue
			}
			delete(tuples, xid)
			at, err := time.Parse("2006-01-02 15:04:05.999999 MST", c[1])
			if err != nil {
				return nil, fmt.Errorf("pg_waldump: commit time in %q: %w", line, err)
			}
			if at.Before(from) {
				continue
			}
			lsn := ""
			if l := waldumpLSN.FindStringSubmatch(line); l != nil {
				lsn = l[1]
			}
			dels = append(dels, Deletion{XID: xid, Committed: at, CommitLSN: lsn, Tuples: ts})
			continue
		}
		d := waldumpDelete.FindStringSubmatch(line)
		b := waldumpBlock.FindStringSubmatch(line)
		if d == nil || b == nil || walRelation(b[1]) != rel {
			continue
		}
		tuples[xid] = append(tuples[xid], "("+b[2]+","+d[1]+")")
	}
	if end == "" {
		return nil, errors.New("pg_waldump: its output ended early (no end line)")
	}
	if !strings.HasPrefix(end, "exit 0") && !endOfWAL.MatchString(end) {
		return nil, fmt.Errorf("pg_waldump: %s", end)
	}
	return dels, nil
}

// findDeletions reads, from the WAL archive, the transactions that deleted unit rows (table
// qualified) since the WAL insert location at T0 (or the start of the base backup bk when it
// is unknown) and committed at or after T0: the incident as the
// database itself recorded it, never as the script's input or log says.
func (e *Env) findDeletions(ctx context.Context, bk Backup, qualified string) ([]Deletion, error) {
	s := e.Stack
	rel, err := unitRelation(ctx, s.DSN(), qualified)
	if err != nil {
		return nil, err
	}
	tli, err := liveTimeline(ctx, s.DSN())
	if err != nil {
		return nil, err
	}
	lsn := e.WALAtT0 // the incident's WAL is all after it
	if lsn == "" {
		lsn = bk.StartLSN
	}
	if lsn == "" {
		return nil, fmt.Errorf("base backup %s: no start LSN", bk.Name)
	}
	start, err := lsnSegment(tli, lsn)
	if err != nil {
		return nil, err
	}
	all, err := archivedSegments(ctx, s)
	if err != nil {
		return nil, err
	}
	var segs []string
	for _, seg := range slices.Compact(all) {
		if seg[:8] == start[:8] && seg >= start {
			segs = append(segs, seg)
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("pg_waldump: the archive holds no WAL segment from %s (LSN %s) on", start, lsn)
	}
	code, out, err := s.Exec(ctx, stack.DB, []string{"sh", "-c", waldumpScript(s, segs, tli, lsn, rel)})
	if err != nil {
		return nil, fmt.Errorf("pg_waldump: %w", err)
	}
	if code != 0 {
		return nil, fmt.Errorf("pg_waldump: exit %d: %s", code, tail(s.Redact(strings.TrimSpace(out)), 5))
	}
	return parseDeletions(out, rel, e.T0)
}

// liveTimeline is the live database's current timeline.
func liveTimeline(ctx context.Context, dsn string) (uint32, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("connect to live db: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var tli uint32
	if err := conn.QueryRow(ctx, `SELECT timeline_id FROM pg_control_checkpoint()`).Scan(&tli); err != nil {
		return 0, fmt.Errorf("timeline of the live db: %w", err)
	}
	return tli, nil
}
