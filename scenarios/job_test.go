package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// jobLabels labels a test's job containers with a run ID of its own.
func jobLabels(t *testing.T) map[string]string {
	return map[string]string{"drdrill.run": fmt.Sprintf("scen-job-%d", time.Now().UnixNano()%1e9)}
}

func leftovers(t *testing.T, pool *dockertest.Pool, labels map[string]string) int {
	t.Helper()
	cs, err := pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {"drdrill.run=" + labels["drdrill.run"]}}})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// TestJob checks the one-shot job machinery the incident runs on: a file uploaded through the
// API (no bind mount), exit code, log, T0 before the process ran, and removal afterwards, also
// when the job is cancelled.
func TestJob(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	pool, err := newPool()
	if err != nil {
		t.Fatal(err)
	}
	labels := jobLabels(t)
	ctx := context.Background()

	j := job{
		Name: "test job", Image: "drdrill/postgres:15", Labels: labels, Network: "none",
		Cmd:   []string{"sh", "-c", `cat /ids.txt; date +%s.%N; echo oops >&2; exit 3`},
		Files: map[string][]byte{"/ids.txt": []byte("11\n12\n")},
	}
	res, err := j.run(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", res.ExitCode)
	}
	// The engine keeps stdout and stderr apart: the date (stdout) and "oops" (stderr), written
	// within microseconds, may come back in either order.
	lines := strings.Split(strings.TrimSpace(res.Log), "\n")
	if len(lines) != 4 || lines[0] != "11" || lines[1] != "12" || (lines[2] != "oops") == (lines[3] != "oops") {
		t.Fatalf("log %q, want the file, a date and stderr", res.Log)
	}
	date := lines[2]
	if date == "oops" {
		date = lines[3]
	}
	var sec, nsec int64
	if _, err := fmt.Sscanf(date, "%d.%d", &sec, &nsec); err != nil {
		t.Fatalf("date line %q: %v", date, err)
	}
	if ran := time.Unix(sec, nsec); !res.Started.Before(ran) || res.Duration <= 0 {
		t.Errorf("T0 %v is not before the job ran (%v), or duration %v", res.Started, ran, res.Duration)
	}
	if n := leftovers(t, pool, labels); n != 0 {
		t.Errorf("%d job containers left", n)
	}

	j.Cmd = []string{"sleep", "60"}
	cctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = j.run(cctx, pool)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled job: err %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancelled job took %v to return", d)
	}
	if n := leftovers(t, pool, labels); n != 0 {
		t.Errorf("%d containers left after cancellation", n)
	}
}
