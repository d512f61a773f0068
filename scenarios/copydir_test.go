package scenarios

import (
	"context"
	"strings"
	"testing"
)

// TestCopyDirScript copies a tree like a base backup's (files over and under the 8 MiB line,
// hundreds of small ones, an empty directory) in a container with copyDirScript and compares
// every file's content, mode, size and mtime with cp -a's promise; directories come out
// private. An unreadable file, large or small, fails the script.
func TestCopyDirScript(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	pool, err := newPool()
	if err != nil {
		t.Fatal(err)
	}
	const tree = `set -eu
S=/tmp/src; D=/tmp/dst
mkdir -p $S/base/1 $S/pg_wal/archive_status $S/empty $D
head -c 9437184 /dev/urandom > $S/base/1/big1
head -c 12582912 /dev/urandom > $S/base/1/big2
head -c 8388608 /dev/urandom > $S/base/1/edge
for i in $(seq 1 600); do echo $i > $S/base/1/f$i; done
echo 15 > $S/PG_VERSION; chmod 600 $S/PG_VERSION
touch -d '2020-01-02' $S/base/1/f7 $S/base/1/big2
`
	const compare = `cd $S && find . -mindepth 1 ! -type d -printf '%m %s %T@ %p\n' | sort > /tmp/a && find . -type f -exec md5sum {} + | sort >> /tmp/a
cd $D && find . -mindepth 1 ! -type d -printf '%m %s %T@ %p\n' | sort > /tmp/b && find . -type f -exec md5sum {} + | sort >> /tmp/b
cmp /tmp/a /tmp/b
wc -l < /tmp/b
cd $D && find . -mindepth 1 -type d -printf '%m %p\n' | sort
`
	run := func(t *testing.T, script string) jobResult {
		j := job{Name: "copy dir", Image: "drdrill/postgres:15", Labels: jobLabels(t), Network: "none", Cmd: []string{"sh", "-c", script}}
		res, err := j.run(context.Background(), pool)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(t, tree+copyDirScript("$S", "$D", 2)+compare)
	if res.ExitCode != 0 {
		t.Fatalf("exit %d: %s", res.ExitCode, res.Log)
	}
	want := "1208\n700 ./base\n700 ./base/1\n700 ./empty\n700 ./pg_wal\n700 ./pg_wal/archive_status\n"
	if res.Log != want {
		t.Errorf("copy: got\n%s\nwant (604 files listed twice, then the directories)\n%s", res.Log, want)
	}
	for _, unreadable := range []string{"big1", "f300"} {
		t.Run("unreadable "+unreadable, func(t *testing.T) {
			res := run(t, tree+"chmod 000 $S/base/1/"+unreadable+"\n"+copyDirScript("$S", "$D", 2)+"echo copied\n")
			if res.ExitCode == 0 || strings.Contains(res.Log, "copied") || !strings.Contains(res.Log, unreadable) {
				t.Errorf("exit %d, log %q: want a failure naming %s", res.ExitCode, res.Log, unreadable)
			}
		})
	}
}
