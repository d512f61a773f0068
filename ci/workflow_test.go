package ci

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
)

const workflow = "../.github/workflows/dr-drill.yml"

// actionlint runs the pinned linter (go.mod's tool directive) on files and returns its exit
// status and findings. shellcheck and pyflakes are switched off so the verdict does not depend
// on what else the machine has installed.
func actionlint(t *testing.T, files ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	args := append([]string{"tool", "actionlint", "-color=false", "-shellcheck=", "-pyflakes=", "-oneline"}, files...)
	cmd := exec.CommandContext(ctx, "go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("go tool actionlint: %v\n%s", err, out.String())
	return 0, ""
}

func TestWorkflowLintsClean(t *testing.T) {
	code, out := actionlint(t, workflow)
	if code != 0 {
		t.Fatalf("actionlint exit %d on %s:\n%s", code, workflow, out)
	}
}

// TestLinterCatchesBrokenWorkflows proves the lint can fail: each case breaks the real
// workflow in one place, and actionlint must name that place. testdata/broken.yml is a
// hand-broken copy kept as a fixed example.
func TestLinterCatchesBrokenWorkflows(t *testing.T) {
	src, err := os.ReadFile(workflow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new string
		want           string // in actionlint's message for this file
	}{
		{"bad cron", `"17 3 * * *"`, `"17 25 * * *"`, "invalid CRON format"},
		{"undefined matrix key", "drill-shard-${{ matrix.shard }}", "drill-shard-${{ matrix.shrd }}", `property "shrd" is not defined`},
		{"needs an unknown job", "needs: drill", "needs: drills", `job "merge" needs job "drills" which does not exist`},
		{"unknown step output", "steps.merge.outputs.verdict", "steps.merj.outputs.verdict", `property "merj" is not defined`},
		{"unknown input", "inputs.tags", "inputs.tag", `property "tag" is not defined`},
		{"unknown runner key", "timeout-minutes: 60", "timeout-minute: 60", `unexpected key "timeout-minute"`},
	}
	dir := t.TempDir()
	var files []string
	for _, tt := range tests {
		if !bytes.Contains(src, []byte(tt.old)) {
			t.Fatalf("%s: the workflow no longer contains %q: update the test", tt.name, tt.old)
		}
		f := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yml")
		if err := os.WriteFile(f, bytes.Replace(src, []byte(tt.old), []byte(tt.new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	files = append(files, "testdata/broken.yml")
	code, out := actionlint(t, files...)
	if code != 1 {
		t.Fatalf("actionlint exit %d, want 1 (findings):\n%s", code, out)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := false
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "/"+filepath.Base(files[i])+":") && strings.Contains(line, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no finding %q for %s:\n%s", tt.want, files[i], out)
			}
		})
	}
	t.Run("testdata/broken.yml", func(t *testing.T) {
		for _, want := range []string{
			"testdata/broken.yml:",
			`"runs-on" section is missing in job "drill"`,
			`undefined variable "matrx"`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("no finding %q:\n%s", want, out)
			}
		}
	})
}
