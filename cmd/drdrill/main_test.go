package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/bench"
	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/stack"
)

// asMain makes the test binary behave as drdrill, so tests can check real exit statuses.
const asMain = "DRDRILL_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// drdrill runs the test binary as drdrill with args and extra environment.
func drdrill(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	code, stdout, stderr, _ = execCLI(context.Background(), t, env, args...)
	return code, stdout, stderr
}

func TestDoctorDockerUnreachable(t *testing.T) {
	code, out, _ := drdrill(t, []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, "doctor")
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	for _, want := range []string{"FAIL docker engine unreachable", "/nonexistent/docker.sock (from DOCKER_HOST)", "start the Docker engine"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageExitStatus(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{nil, 2, "Commands:"},
		{[]string{"help"}, 0, "doctor"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"clean", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"images", "-route", "ftp"}, 2, `-route "ftp"`},
		{[]string{"doctor", "extra"}, 2, "unexpected arguments"},
		{[]string{"clean", "-h"}, 0, "-dry-run"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := drdrill(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.out) {
				t.Errorf("exit %d, want %d; output lacks %q?\n%s%s", code, tt.code, tt.out, out, errOut)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{flag.ErrHelp, 0},
		{usagef("bad %s", "x"), 2},
		{fmt.Errorf("start: %w", stack.ErrBadConfig), 2},
		{errSilent, 1},
		{errors.New("boom"), 1},
		{fmt.Errorf("start: %w", stack.ErrDockerUnreachable), 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err, "x", &bytes.Buffer{}); got != tt.code {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
	}
}

func TestCommandsListed(t *testing.T) {
	var want = []string{"run", "steps", "report", "doctor", "images", "bench", "stack", "clean"}
	var got []string
	for _, c := range commands {
		got = append(got, c.name)
		if c.summary == "" || c.run == nil {
			t.Errorf("command %s lacks a summary or a function", c.name)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("commands %v, want %v", got, want)
	}
}

func TestCleanDryRun(t *testing.T) {
	prereq.RealContainers(t) // it asks the engine
	if _, err := exec.LookPath("docker"); err != nil {
		prereq.Missing(t, prereq.Docker, "no docker CLI: %v", err)
	}
	if _, err := images.Connect(t.Context()); err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	code, out, errOut := drdrill(t, nil, "clean", "-dry-run", "-run", "no-such-run-xyz")
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestBenchBadFlags: a bad ledger size or a stray argument is a usage error (exit 2) that
// names the value, before any container starts.
func TestBenchBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "-ledger", "10,zero"}, `"zero" is not a positive number`},
		{[]string{"bench", "-ledger", "0"}, `"0" is not a positive number`},
		{[]string{"bench", "quick"}, `unexpected arguments ["quick"]`},
		{[]string{"bench", "-runs", "0"}, `-runs 0: want 1 to 20`},
		{[]string{"bench", "-project", "1000:40:30,3000:40:30"}, `-project: 2 sizes: the projection needs three or more`},
		{[]string{"bench", "-project", "1000:40,3000:40:30,1:1:1"}, `want TENANTS:SITES:VICTIM_TENANTS`},
		{[]string{"bench", "-project", "1000:40:30,3000:40:30,1000:120:90", "-project-to", "200000,2XB"}, `-project-to: "2XB": want a tenant count or a size like 2TB`},
		{[]string{"bench", "-project-to", "200000"}, `-project-to 200000: needs -project`},
		{[]string{"bench", "-project-runs", "3"}, `-project-runs 3: needs -project`},
		{[]string{"bench", "-refit", "b.json", "-runs", "3", "-scale", "30000"}, `-refit runs no drill: -runs, -scale would be ignored`},
		{[]string{"bench", "-project", "1000:40:30,3000:40:30,1000:120:90", "-project-runs", "0"}, `-project-runs 0: want 1 to 10`},
	} {
		var stderr strings.Builder
		if code := run(tt.args, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("drdrill %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

// TestParseTargets: -project-to takes tenant counts and database sizes in decimal or binary
// units, each with an optional blast radius in sites; anything else names the value.
func TestParseTargets(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []bench.TargetSize
		err  string
	}{
		{in: "", want: nil},
		{in: "200000,2TB", want: []bench.TargetSize{{Given: "200000", Tenants: 200000}, {Given: "2TB", Bytes: 2e12}}},
		{in: " 200000:883 , 1.5tb:10 ,", want: []bench.TargetSize{{Given: "200000:883", Tenants: 200000, Sites: 883}, {Given: "1.5tb:10", Bytes: 1.5e12, Sites: 10}}},
		{in: "500GB,2TiB,64 GiB", want: []bench.TargetSize{{Given: "500GB", Bytes: 500e9}, {Given: "2TiB", Bytes: 2 << 40}, {Given: "64 GiB", Bytes: 64 << 30}}},
		{in: "2XB", err: `-project-to: "2XB": want a tenant count or a size like 2TB`},
		{in: "0", err: `-project-to: "0": want a tenant count or a size like 2TB`},
		{in: "-5", err: `-project-to: "-5": want a tenant count`},
		{in: "2PB", err: `-project-to: "2PB": want a tenant count`},
		{in: "TB", err: `-project-to: "TB": want a tenant count`},
		{in: "0TB", err: `-project-to: "0TB": "0" is not a positive size`},
		{in: "200000:x", err: `-project-to: "200000:x": "x" is not a positive number of deleted sites`},
		{in: "2TB:0", err: `-project-to: "2TB:0": "0" is not a positive number of deleted sites`},
	} {
		got, err := parseTargets(tt.in)
		if tt.err != "" {
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseTargets(%q) = %v, %v; want a usage error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("parseTargets(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
