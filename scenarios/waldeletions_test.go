package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// waldumpSample is pg_waldump 15's output (drdrill/postgres:15) for: a transaction deleting
// two rows of the table, one deleting a row and rolled back, a HOT update, a row of another
// table deleted; the WAL's end as pg_waldump reports it.
const waldumpSample = `rmgr: Heap        len (rec/tot):     59/   803, tx:        725, lsn: 0/01520B38, prev 0/01520890, desc: DELETE off 3 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16384 blk 0 FPW
rmgr: Heap        len (rec/tot):     54/    54, tx:        725, lsn: 0/01520E60, prev 0/01520B38, desc: DELETE off 7 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16384 blk 12
rmgr: Heap        len (rec/tot):     54/    54, tx:        725, lsn: 0/01520E70, prev 0/01520E60, desc: DELETE off 2 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16390 blk 4
rmgr: Transaction len (rec/tot):     34/    34, tx:        725, lsn: 0/01520E98, prev 0/01520E60, desc: COMMIT 2026-12-03 11:00:21.774530 UTC
rmgr: Heap        len (rec/tot):     54/    54, tx:        726, lsn: 0/01520EC0, prev 0/01520E98, desc: DELETE off 9 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16384 blk 0
rmgr: Transaction len (rec/tot):     34/    34, tx:        726, lsn: 0/01520EF8, prev 0/01520EC0, desc: ABORT 2026-12-03 11:00:21.787245 UTC
rmgr: Heap        len (rec/tot):     71/    71, tx:        727, lsn: 0/01520F20, prev 0/01520EF8, desc: HOT_UPDATE off 10 xmax 727 flags 0x60 ; new off 21 xmax 0, blkref #0: rel 1663/5/16384 blk 0
rmgr: Transaction len (rec/tot):     34/    34, tx:        727, lsn: 0/02000028, prev 0/01520F68, desc: COMMIT 2026-12-03 11:00:21.849733 UTC
rmgr: Heap        len (rec/tot):     54/    54, tx:        728, lsn: 0/02000060, prev 0/02000028, desc: DELETE off 1 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16384 blk 3
rmgr: Transaction len (rec/tot):     34/    34, tx:        728, lsn: 0/02000098, prev 0/02000060, desc: COMMIT 2026-12-03 11:00:23.000001 UTC
`

const waldumpEnd = "drdrill-waldump: exit 1 pg_waldump: error: error in WAL record at 0/2000028: invalid record length at 0/2000050: wanted 24, got 0\n"

func TestParseDeletions(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := Deletion{XID: 725, Committed: at("2026-12-03 11:00:21.77453"), CommitLSN: "0/01520E98", Tuples: []string{"(0,3)", "(12,7)"}}
	second := Deletion{XID: 728, Committed: at("2026-12-03 11:00:23.000001"), CommitLSN: "0/02000098", Tuples: []string{"(3,1)"}}
	for _, c := range []struct {
		name string
		out  string
		rel  walRelation
		from time.Time
		want []Deletion
		err  string
	}{
		{name: "committed deletions of the relation, in commit order", out: waldumpSample + waldumpEnd, rel: "1663/5/16384",
			from: at("2026-12-03 11:00:00"), want: []Deletion{first, second}},
		{name: "committed before from: not the incident's", out: waldumpSample + waldumpEnd, rel: "1663/5/16384",
			from: at("2026-12-03 11:00:22"), want: []Deletion{second}},
		{name: "another relation", out: waldumpSample + waldumpEnd, rel: "1663/5/16390",
			from: at("2026-12-03 11:00:00"), want: []Deletion{{XID: 725, Committed: first.Committed, CommitLSN: first.CommitLSN, Tuples: []string{"(4,2)"}}}},
		{name: "the end given reached", out: waldumpSample + "drdrill-waldump: exit 0 \n", rel: "1663/5/16384",
			from: at("2026-12-03 11:00:22"), want: []Deletion{second}},
		{name: "no deletion", out: waldumpEnd, rel: "1663/5/16384", from: at("2026-12-03 11:00:00")},
		{name: "end missing", out: waldumpSample, rel: "1663/5/16384", err: "ended early"},
		{name: "pg_waldump failed", out: waldumpSample + "drdrill-waldump: exit 1 pg_waldump: error: could not open directory \"/archive\": Permission denied\n",
			rel: "1663/5/16384", err: "Permission denied"},
		{name: "missing next segment is the end", out: waldumpSample + "drdrill-waldump: exit 1 pg_waldump: error: could not find file \"000000010000000000000003\": No such file or directory\n",
			rel: "1663/5/16384", from: at("2026-12-03 11:00:22"), want: []Deletion{second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseDeletions(c.out, c.rel, c.from)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestSegmentLSN(t *testing.T) {
	for seg, want := range map[string]string{
		"000000010000000000000001": "0/1000000",
		"0000000100000002000000FF": "2/FF000000",
		"000000030000000A00000000": "A/0",
	} {
		if got := segmentLSN(seg); got != want {
			t.Errorf("segmentLSN(%s) = %s, want %s", seg, got, want)
		}
	}
}
