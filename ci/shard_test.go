package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestWorkflowShardsCoverTheDefaultSet runs the drill job's command line as the workflow
// writes it (--ci --shard i/n --group --out), with --check so nothing starts: every flag must
// exist, and the shards must select the default set's scenarios exactly once between them.
func TestWorkflowShardsCoverTheDefaultSet(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "drdrill")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/drdrill").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	selected := regexp.MustCompile(`(\d+) selected`)
	count := func(args ...string) int {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"run", "--check", "--ci", "--out", t.TempDir()}, args...)...)
		cmd.Dir = ".." // the default set is features/ under the module root, as in CI
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("drdrill run %v: %v\n%s", args, err, out)
		}
		m := selected.FindSubmatch(out)
		if m == nil {
			t.Fatalf("drdrill run %v: no count of selected scenarios:\n%s", args, out)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	all := count()
	if all == 0 {
		t.Fatal("the default set is empty")
	}
	wf, err := os.ReadFile(workflow)
	if err != nil {
		t.Fatal(err)
	}
	matrix := regexp.MustCompile(`(?m)^\s+shard: \[([0-9, ]+)\]`).FindSubmatch(wf)
	if matrix == nil {
		t.Fatalf("%s: no shard matrix (shard: [1, 2, ...])", workflow)
	}
	shards := len(strings.Split(string(matrix[1]), ","))
	sum := 0
	for i := 1; i <= shards; i++ {
		sum += count("--shard", strconv.Itoa(i)+"/"+strconv.Itoa(shards), "--group", "gh-123456789-1")
	}
	if sum != all {
		t.Errorf("%d shards select %d scenarios in all, the default set has %d", shards, sum, all)
	}
}
