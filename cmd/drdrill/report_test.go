package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	td := filepath.Join("..", "..", "reports", "testdata")
	pass := filepath.Join(td, "results-pass-tenant-restore.json")
	fail := filepath.Join(td, "results-fail-full-pitr.json")
	never := filepath.Join(td, "results-never-restored.json")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badJSON := write("bad.json", `{"schema": 1,`)
	future := write("future.json", `{"schema": 99}`)
	notDir := write("file", "")
	out := filepath.Join(dir, "out")

	for _, c := range []struct {
		name   string
		args   []string
		status int
		stderr string // substring; the file or value at fault must be named
	}{
		{"merge two drills, flags after files", []string{pass, fail, "--out", out, "--history", filepath.Join(dir, "h")}, 0, ""},
		{"no files", []string{"--out", out}, 2, "no results given"},
		{"missing file", []string{filepath.Join(dir, "nope.json"), "--out", out}, 2, "nope.json"},
		{"invalid json", []string{badJSON, "--out", out}, 2, "bad.json"},
		{"unsupported schema", []string{future, "--out", out}, 2, "schema 99 not supported"},
		{"different drill runs", []string{pass, never, "--out", out}, 2, "different drill runs"},
		{"unwritable out", []string{pass, "--out", filepath.Join(notDir, "out")}, 1, "--out " + filepath.Join(notDir, "out")},
		{"directory without results", []string{dir, "--out", out}, 2, "no results.json under directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			status := run(append([]string{"report"}, c.args...), &stderr)
			if status != c.status || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("status %d stderr %q; want %d and %q", status, stderr.String(), c.status, c.stderr)
			}
		})
	}
	for _, f := range []string{"junit.xml", "cucumber.json", "summary.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("report did not write %s: %v", f, err)
		}
	}
	// A run's --out directory stands for the results.json files below it.
	shards := filepath.Join(dir, "shards")
	for i, f := range []string{pass, fail} {
		b, _ := os.ReadFile(f)
		p := filepath.Join(shards, "job"+string(rune('1'+i)), "scenario", "results.json")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	var stderr bytes.Buffer
	if status := run([]string{"report", shards, "--out", filepath.Join(dir, "merged")}, &stderr); status != 0 {
		t.Fatalf("report of a directory: status %d: %s", status, stderr.String())
	}
	md, _ := os.ReadFile(filepath.Join(dir, "merged", "summary.md"))
	if !strings.Contains(string(md), "across 2 drills") {
		t.Errorf("merged summary:\n%s", md)
	}
}
