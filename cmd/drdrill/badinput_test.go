package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
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
	binary := filepath.Join(t.TempDir(), "binary.feature")
	if err := os.WriteFile(binary, []byte("Feature: \x00\x01\xff\xfe\x1b[31mred"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := badResults(t)
	tests := []struct {
		name   string
		env    []string
		cmd    string   // "run" (default) or "report"
		args   []string // after the command; for run, --out and --group are added unless args has --out
		code   int
		want   []string // each in the output
		not    []string // none in the output
		docker bool     // needs a reachable engine to mean anything
	}{
		// Each of these is caught by `drdrill run --check`, before anything starts.
		{name: "negative count", args: []string{"--check", bad + "negative-tenants.feature"}, code: 2, want: []string{
			bad + "negative-tenants.feature:5: -5 tenants: a count cannot be negative"}, not: []string{"undefined"}},
		{name: "fewer tenants than the profile's faulty list", args: []string{"--check", bad + "too-few-tenants.feature"}, code: 2, want: []string{
			bad + `too-few-tenants.feature:5: profile quick: its faulty ID list names the sites of 10 tenants: a drill on it needs at least 10 tenants, not 5`}},
		{name: "a faulty list longer than the tenants", args: []string{"--check", bad + "faulty-list-too-long.feature"}, code: 2, want: []string{
			bad + "faulty-list-too-long.feature:5: the faulty list of 300 sites of 200 tenants: profile quick: its faulty ID list names the sites of 200 tenants: a drill on it needs at least 200 tenants, not 100"}},
		{name: "a share of the tenants above 100%", args: []string{"--check", bad + "faulty-share.feature"}, code: 2, want: []string{
			bad + "faulty-share.feature:5: 150% of the tenants: must be more than 0% and at most 100%"}},
		{name: "sub-second archive timeout", args: []string{"--check", bad + "subsecond-archive.feature"}, code: 2, want: []string{
			bad + "subsecond-archive.feature:5: WAL archive timeout 500ms: Postgres's archive_timeout takes whole seconds, at least 1s"}},
		{name: "invalid stack file", args: []string{"--check", bad + "invalid-stack-file.feature"}, code: 2, want: []string{
			bad + "invalid-stack-file.feature:4: ", "join-cycle.yaml:19:7: declared joins form a cycle: comments -> pages -> comments"}},
		{name: "stack file not drillable yet", args: []string{"--check", bad + "undrillable-stack-file.feature"}, code: 2, want: []string{
			bad + "undrillable-stack-file.feature:4: stack file not drillable yet", "tenancy.model schema-per-tenant: discovered and checked, but drills seed"}},
		{name: "--stack invalid", args: []string{"--check", "--stack", "../../stackfile/testdata/malformed/unknown-field.yaml", bad + "unknown-backup-tool.feature"}, code: 2, want: []string{
			`unknown-field.yaml:17:3: unknown field "softDeleted" in tenancy; write instead: softDelete`}},
		{name: "unknown backup tool", args: []string{"--check", bad + "unknown-backup-tool.feature"}, code: 2, want: []string{
			bad + `unknown-backup-tool.feature:5: bad stack config: unknown backup tool "barman": use plain or pgbackrest`}},
		{name: "differential backup without pgbackrest", args: []string{"--check", bad + "diff-without-pgbackrest.feature"}, code: 2, want: []string{
			bad + `diff-without-pgbackrest.feature:7: differential backups need pgBackRest: pg_basebackup (the plain backup tool) takes full base backups only`}},
		{name: "runbook before the stack", args: []string{"--check", bad + "runbook-first.feature"}, code: 2, want: []string{
			bad + "runbook-first.feature:5: a fault or runbook before the incident"}},
		{name: "configuration after the stack started", args: []string{"--check", bad + "config-after-start.feature"}, code: 2, want: []string{
			bad + "config-after-start.feature:6: a configuration step after the stack started (at " + bad + "config-after-start.feature:5) would not apply"}},
		{name: "unknown console format", args: []string{"--check", "--format", "xml", smallDrill}, code: 2, want: []string{
			`--format "xml": unknown format "xml"; godog's are`, "pretty", "progress"}},
		{name: "line 0 of an existing file", args: []string{"--check", smallDrill + ":0"}, code: 2, want: []string{
			smallDrill + ":0: line 0: lines count from 1"}, not: []string{"no such file"}},
		{name: "bad value in an Examples row", args: []string{"--check", bad + "outline-bad-row.feature"}, code: 2, want: []string{
			bad + "outline-bad-row.feature:10 (Examples row of the step at line 5): 0 tenants: a drill needs at least 1"}},
		{name: "a line that starts no scenario, beside one that does", args: []string{"--check", smallDrill + ":1", smallDrill}, code: 2, want: []string{
			smallDrill + ":1: no Scenario or Examples row starts at line 1 (the next scenario starts at line"}},
		{name: "binary file as a feature", args: []string{"--check", binary}, code: 2, want: []string{
			binary + ": not a text file (byte 9 is not UTF-8 text)"}, not: []string{"\x1b[31m", "\x00"}},
		{name: "a shard that selects nothing", args: []string{"--shard", "2/2", smallDrill}, code: 0, want: []string{
			"drdrill: shard 2/2 selects none of the 1 scenarios", "nothing to run"}},
		// drdrill report refuses results no drill can produce, naming the field.
		{name: "report: negative time", cmd: "report", args: []string{res["negative"]}, code: 2, want: []string{
			"summary.rto_p95_ms = -5000: a duration cannot be negative"}},
		{name: "report: absurd time", cmd: "report", args: []string{res["huge"]}, code: 2, want: []string{
			"summary.rto_max_ms = 1e+300: more than a century"}},
		{name: "report: finished before started", cmd: "report", args: []string{res["backwards"]}, code: 2, want: []string{
			"finished_at", "is before started_at"}},
		{name: "report: trailing garbage", cmd: "report", args: []string{res["garbage"]}, code: 2, want: []string{
			"data after the JSON object"}},
		{name: "report: an unreadable history file is skipped", cmd: "report", args: []string{res["good"], "--history", res["history"]}, code: 0, want: []string{
			"drdrill: history: skipped", "corrupt.json", "verdict ok"}},
		{name: "report: a missing shard", cmd: "report", args: []string{res["shard1of2"]}, code: 2, want: []string{
			"shard 2/2 missing"}},
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
				prereq.Missing(t, prereq.Docker, "needs a Docker engine")
			}
			group := newGroup("bad")
			args := append([]string{"run", "--group", group}, tt.args...)
			if tt.cmd == "report" {
				args = append([]string{"report"}, tt.args...)
			}
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
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output holds %q:\n%s", w, out)
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

// badResults writes results files for the report rows, made from a good sample: a field set
// to a value no drill produces, or the file followed by garbage; a history directory with one
// corrupt file; one shard of two.
func badResults(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("../../reports/testdata/results-pass-tenant-restore.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := map[string]string{}
	write := func(name string, edit func(m map[string]any), tail string) {
		var m map[string]any
		if err := json.Unmarshal(src, &m); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name, "results.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(b, tail...), 0o644); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	summary := func(m map[string]any) map[string]any { return m["summary"].(map[string]any) }
	write("good", nil, "\n")
	write("negative", func(m map[string]any) { summary(m)["rto_p95_ms"] = -5000 }, "")
	write("huge", func(m map[string]any) { summary(m)["rto_max_ms"] = 1e300 }, "")
	write("backwards", func(m map[string]any) { m["finished_at"] = "2001-01-01T00:00:00Z" }, "")
	write("garbage", nil, "\n{\"schema\": 1} trailing")
	write("shard1of2", func(m map[string]any) { m["shard"] = "1/2" }, "")
	h := filepath.Join(dir, "history")
	// The sample's scenario, as the history directory names it (reports' slug).
	sdir := filepath.Join(h, "purge-with-site-ids-restored-tenant-by-tenant")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sdir, "corrupt.json"), []byte("{\"schema\": 1, \"scen"), 0o644); err != nil {
		t.Fatal(err)
	}
	out["history"] = h
	return out
}
