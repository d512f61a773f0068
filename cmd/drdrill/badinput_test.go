package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/stack"
)

// TestBadInputClearErrors runs `drdrill run` (this test binary as main) on bad input and on a
// broken environment. Each must exit non-zero with its status (2: the input is wrong, 1: the
// environment is), say what is wrong with the file:line or the value, and leave no container,
// network or volume behind.
func TestBadInputClearErrors(t *testing.T) {
	dockerOK := dockerReachable(t)
	notDir := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const bad = "testdata/bad/"
	tests := []struct {
		name   string
		env    []string
		args   []string // after "run"; --out and --group are added unless args has --out
		code   int
		want   []string // each in the output
		docker bool     // needs a reachable engine to mean anything
	}{
		{name: "malformed Gherkin", args: []string{bad + "malformed.feature"}, code: 2, want: []string{
			"malformed feature", bad + "malformed.feature:7:", bad + "malformed.feature:8:"}},
		{name: "unknown step prints a snippet", args: []string{bad + "unknown-step.feature"}, code: 2, want: []string{
			bad + "unknown-step.feature:5: undefined step: the stack is summoned by incantation",
			"func theStackIsSummonedByIncantation() error"}},
		{name: "unknown runbook", args: []string{bad + "unknown-runbook.feature"}, code: 2, want: []string{
			bad + `unknown-runbook.feature:5: unknown runbook "pray": known runbooks are undo-mark, full-pitr, tenant-restore`}},
		{name: "negative duration", args: []string{bad + "negative-duration.feature"}, code: 2, want: []string{
			bad + `negative-duration.feature:5: WAL archive timeout: duration "-5s": negative`}},
		{name: "unit-less duration", args: []string{bad + "unitless-duration.feature"}, code: 2, want: []string{
			bad + `unitless-duration.feature:5: base backup schedule: duration "30": 30 has no unit; write e.g. 30s`}},
		{name: "zero tenants", args: []string{bad + "zero-tenants.feature"}, code: 2, want: []string{
			bad + "zero-tenants.feature:5: 0 tenants: a drill needs at least 1"}},
		{name: "absurdly many tenants", args: []string{bad + "huge-tenants.feature"}, code: 2, want: []string{
			bad + "huge-tenants.feature:5: profile quick: tenants = 99999999999: must be between 1 and 1000000"}},
		{name: "bad objective name", args: []string{bad + "bad-objective.feature"}, code: 2, want: []string{
			bad + `bad-objective.feature:5 row 3: unknown objective "uptime"; valid: RTO p50`}},
		{name: "missing feature path", args: []string{bad + "no-such.feature"}, code: 2, want: []string{
			"feature path " + bad + "no-such.feature: no such file or directory"}},
		{name: "unwritable output directory", args: []string{smallDrill, "--out", filepath.Join(notDir, "out")}, code: 2, want: []string{
			"output directory " + filepath.Join(notDir, "out") + " cannot be written", "not a directory", "--out"}},
		{name: "bad shard", args: []string{smallDrill, "--shard", "3/2"}, code: 2, want: []string{`shard "3/2": write i/n with 1 ≤ i ≤ n`}},
		{name: "bad tag expression", args: []string{smallDrill, "--tags", "@a || @b"}, code: 2, want: []string{`tag expression "@a || @b"`}},
		{name: "Docker unreachable", env: []string{"DOCKER_HOST=unix:///nonexistent.sock"}, args: []string{smallDrill}, code: 1, want: []string{
			"docker engine unreachable at unix:///nonexistent.sock (from DOCKER_HOST)", "start the Docker engine or point DOCKER_HOST at one"}},
		{name: "missing image", env: []string{stack.EnvAppImage + "=drdrill-test/absent:none"}, args: []string{smallDrill}, code: 1, docker: true, want: []string{
			"image drdrill-test/absent:none not found: run `make images`"}},
		// A host port in use cannot be asked for from the CLI (ports are always picked free);
		// stack's TestStartErrors covers it where it can happen (Config.DBHostPort).
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.docker && !dockerOK {
				t.Skip("needs a Docker engine")
			}
			group := newGroup("bad")
			args := append([]string{"run", "--group", group}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--out") {
				args = append(args, "--out", t.TempDir())
			}
			code, out, pid := runCLI(t, tt.env, args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d:\n%s", code, tt.code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "panic:") || strings.Contains(out, "a bug in drdrill") {
				t.Errorf("output shows a bug rather than the bad input:\n%s", out)
			}
			if !dockerOK {
				return
			}
			if n, err := groupRemaining(t.Context(), group); err != nil || n != 0 {
				t.Errorf("group %s: %d resources remain (err %v)", group, n, err)
			}
			if left := leftovers(t, pid); len(left) > 0 {
				t.Errorf("process %d left %v", pid, left)
			}
		})
	}
}

// runCLI runs this test binary as drdrill and returns its exit status, its output (stdout
// then stderr) and its pid.
func runCLI(t *testing.T, env []string, args ...string) (code int, out string, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	code, stdout, stderr, pid := execCLI(ctx, t, env, args...)
	return code, stdout + stderr, pid
}

// execCLI runs this test binary as drdrill with args and extra environment, until it exits
// or ctx ends.
func execCLI(ctx context.Context, t *testing.T, env []string, args ...string) (code int, stdout, stderr string, pid int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// No drill history from tests: it would land in the package directory.
	cmd.Env = append(append(os.Environ(), asMain+"=1", "DRDRILL_HISTORY="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String(), cmd.Process.Pid
}

// dockerReachable says whether this process reaches a Docker engine.
func dockerReachable(t *testing.T) bool {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := images.Connect(ctx)
	return err == nil
}
