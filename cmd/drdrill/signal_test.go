package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/stack"
)

// The tests in this file run `drdrill run` (this test binary as main) on a small real drill
// and interrupt it. Each waits for the phase it targets from the CLI's own progress lines
// (or, for the stack start, from the Docker resources the run has created), never by sleeping.

const smallDrill = "testdata/small-drill.feature"

// drills bounds the drills running at once: 2 cores, shared.
var drills = make(chan struct{}, 2)

// needDocker skips without an engine or the images, and in -short runs.
func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("real containers: not in -short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	docker, err := images.Connect(ctx)
	if err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	for _, img := range []string{images.Postgres, images.App} {
		if _, err := docker.InspectImage(img); err != nil {
			prereq.Missing(t, prereq.Docker, "image %s: %v (run `make images`)", img, err)
		}
	}
}

// newGroup names one test's drill run, so its run ID (group-01) is known before it starts.
func newGroup(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// child is a `drdrill run` in progress whose progress lines the test reads as they come.
type child struct {
	cmd    *exec.Cmd
	group  string // its --group: its run IDs carry a suffix of the process's own
	outDir string
	mu     sync.Mutex
	out    bytes.Buffer // stdout and stderr, for failure messages
	lines  chan string  // stderr, line by line; closed at EOF
	exit   chan error
}

func startDrill(t *testing.T, group string, extra ...string) *child {
	t.Helper()
	out := t.TempDir()
	feature := smallDrill
	if len(extra) > 0 && strings.HasSuffix(extra[len(extra)-1], ".feature") {
		feature, extra = extra[len(extra)-1], extra[:len(extra)-1]
	}
	args := append([]string{"run", "--ci=false", "--format", "progress", "--group", group, "--out", out}, extra...)
	cmd := exec.Command(os.Args[0], append(args, feature)...)
	cmd.Env = append(os.Environ(), asMain+"=1", "DRDRILL_HISTORY=") // no history from tests
	c := &child{cmd: cmd, group: group, outDir: out, lines: make(chan string, 1024), exit: make(chan error, 1)}
	cmd.Stdout = &lockedWriter{c: c}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens to the test, the child is not left running with its containers.
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-c.exit
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if ids, err := stack.GroupRuns(ctx, c.group); err == nil && len(ids) > 0 {
			stack.CleanWith(ctx, io.Discard, stack.CleanOptions{Runs: ids, Kept: true})
		}
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			select {
			case c.lines <- sc.Text():
			default: // nobody waits for lines any more
			}
		}
		close(c.lines)
		c.exit <- cmd.Wait()
	}()
	return c
}

type lockedWriter struct{ c *child }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.out.Write(b)
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitLine waits for a progress line containing every one of parts.
func (c *child) waitLine(t *testing.T, timeout time.Duration, parts ...string) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("drdrill exited before a line with %q:\n%s", parts, c.output())
			}
			if containsAll(line, parts) {
				return
			}
		case <-deadline:
			t.Fatalf("no line with %q after %s:\n%s", parts, timeout, c.output())
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// remaining counts the resources of the child's runs still on the engine.
func (c *child) remaining(ctx context.Context) (int, error) { return groupRemaining(ctx, c.group) }

// groupRemaining counts the resources still on the engine of the runs of group.
func groupRemaining(ctx context.Context, group string) (int, error) {
	ids, err := stack.GroupRuns(ctx, group)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, id := range ids {
		n, err := stack.Remaining(ctx, id)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// runID is the child's one run ID, read from the engine (its stack must exist).
func (c *child) runID(t *testing.T) string {
	t.Helper()
	ids, err := stack.GroupRuns(t.Context(), c.group)
	if err != nil || len(ids) != 1 {
		t.Fatalf("runs of group %s: %v (err %v), want one", c.group, ids, err)
	}
	return ids[0]
}

// waitResources waits until the run has at least n labelled resources on the engine.
func (c *child) waitResources(t *testing.T, timeout time.Duration, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := c.remaining(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s has %d resources after %s, want %d:\n%s", c.group, got, timeout, n, c.output())
		case <-tick.C:
		}
	}
}

// wait waits for the child to exit and returns its exit status.
func (c *child) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-c.exit:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatal(err)
	case <-time.After(timeout):
		t.Fatalf("drdrill still running %s after the signal:\n%s", timeout, c.output())
	}
	return 0
}

// leftovers counts what the engine still holds of process pid: containers, networks and volumes
// labelled with its pid on this host, of any run (side databases and one-shot jobs included).
func leftovers(t *testing.T, pid int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	docker, err := images.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	ours := func(l map[string]string) bool {
		return l[stack.LabelPID] == fmt.Sprint(pid) && l[stack.LabelHost] == host
	}
	filter := stack.LabelPID + "=" + fmt.Sprint(pid)
	var left []string
	cs, err := docker.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {filter}}, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if ours(c.Labels) {
			left = append(left, "container "+strings.Join(c.Names, ","))
		}
	}
	ns, err := docker.FilteredListNetworks(dc.NetworkFilterOpts{"label": {filter: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if ours(n.Labels) {
			left = append(left, "network "+n.Name)
		}
	}
	vs, err := docker.ListVolumes(dc.ListVolumesOptions{Filters: map[string][]string{"label": {filter}}, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if ours(v.Labels) {
			left = append(left, "volume "+v.Name)
		}
	}
	return left
}

// TestInterruptInEachPhaseLeavesNothing sends SIGINT to `drdrill run` once it is in each
// phase of a drill, and checks that it exits promptly with status 130 and that no container,
// network or volume of its run remains.
func TestInterruptInEachPhaseLeavesNothing(t *testing.T) {
	needDocker(t)
	tests := []struct {
		phase string
		reach func(t *testing.T, c *child) // returns once the drill is in the phase
	}{
		// The db container exists (network and 3 volumes come first) and is starting.
		{"stack start", func(t *testing.T, c *child) { c.waitResources(t, 3*time.Minute, 5) }},
		{"seeding", func(t *testing.T, c *child) { c.waitLine(t, 3*time.Minute, "seeding: create") }},
		// Traffic flows while the second base backup is taken.
		{"traffic", func(t *testing.T, c *child) { c.waitLine(t, 3*time.Minute, "traffic:", "flowing") }},
		// The faulty script's one-shot container is running.
		{"incident", func(t *testing.T, c *child) { c.waitLine(t, 3*time.Minute, "incident: legacy-cleanup") }},
		// The db is stopped and its data directory is being replaced by a one-shot job.
		{"restore", func(t *testing.T, c *child) { c.waitLine(t, 3*time.Minute, "runbook step stop db") }},
	}
	for _, tt := range tests {
		t.Run(tt.phase, func(t *testing.T) {
			t.Parallel()
			drills <- struct{}{}
			defer func() { <-drills }()

			c := startDrill(t, newGroup("sigint"))
			tt.reach(t, c)
			sent := time.Now()
			if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			code := c.wait(t, 90*time.Second)
			took := time.Since(sent)
			out := c.output()
			t.Logf("%s: exit %d %s after SIGINT", tt.phase, code, took.Round(time.Millisecond))
			if code != 130 {
				t.Errorf("exit status %d, want 130:\n%s", code, out)
			}
			if !strings.Contains(out, "drdrill run: interrupted by interrupt") {
				t.Errorf("output does not say it was interrupted:\n%s", out)
			}
			if strings.Contains(out, "verdict:") {
				t.Errorf("the drill reached its verdict: the signal came after the %s phase:\n%s", tt.phase, out)
			}
			// Close of a stack takes 1-3 s here; 30 s is anything but prompt.
			if took > 30*time.Second {
				t.Errorf("exit %s after SIGINT, want under 30s", took)
			}
			if n, err := c.remaining(t.Context()); err != nil || n != 0 {
				t.Errorf("group %s: %d resources remain (err %v):\n%s", c.group, n, err, out)
			}
			if left := leftovers(t, c.cmd.Process.Pid); len(left) > 0 {
				t.Errorf("process %d left %v", c.cmd.Process.Pid, left)
			}
		})
	}
}

// TestKillThenCleanLeavesNothing kills `drdrill run` with SIGKILL while traffic flows (it
// cannot clean up) and checks that `drdrill clean` then removes every container, network and
// volume of its run.
func TestKillThenCleanLeavesNothing(t *testing.T) {
	needDocker(t)
	t.Parallel()
	drills <- struct{}{}
	defer func() { <-drills }()

	c := startDrill(t, newGroup("sigkill"))
	c.waitLine(t, 3*time.Minute, "traffic:", "flowing")
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, 30*time.Second); code != -1 {
		t.Errorf("exit status %d, want -1 (killed)", code)
	}
	pid := c.cmd.Process.Pid
	// The kill must have left the run behind, or this test proves nothing.
	run := c.runID(t)
	before, err := stack.Remaining(t.Context(), run)
	if err != nil {
		t.Fatal(err)
	}
	if before < 6 {
		t.Fatalf("run %s: %d resources after SIGKILL, want the whole stack (>= 6): %v", run, before, leftovers(t, pid))
	}

	code, out, errOut := drdrill(t, nil, "clean", "-run", run)
	if code != 0 {
		t.Fatalf("drdrill clean: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "process gone") || !strings.Contains(out, fmt.Sprintf("removed %d containers, networks and volumes", before)) {
		t.Errorf("drdrill clean output:\n%s%s", out, errOut)
	}
	if n, err := stack.Remaining(t.Context(), run); err != nil || n != 0 {
		t.Errorf("run %s: %d resources remain after clean (err %v)", run, n, err)
	}
	if left := leftovers(t, pid); len(left) > 0 {
		t.Errorf("process %d left %v after clean", pid, left)
	}
}
