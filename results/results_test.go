package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadsVersion1 reads a results.json written by schema 1 (kept in testdata, never
// regenerated): old files must keep loading as the schema grows.
func TestLoadsVersion1(t *testing.T) {
	r, err := ReadFile(filepath.Join("testdata", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Schema != 1 || r.Params.Profile != "atlassian" || r.Incident.AffectedTenants != 775 ||
		r.Summary.RestoredTenants != 775 || len(r.Tenants) != 3 || r.Summary.RTOP95MS == nil {
		t.Errorf("v1 file read wrong: schema %d profile %q affected %d restored %d tenants %d",
			r.Schema, r.Params.Profile, r.Incident.AffectedTenants, r.Summary.RestoredTenants, len(r.Tenants))
	}
}

func TestRoundTrip(t *testing.T) {
	rto := 1500.0
	in := &Results{RunID: "r1", Scenario: "s", StartedAt: time.Unix(100, 0).UTC(),
		Summary: Summary{RTOP95MS: &rto, LostWrites: 3}, Verdict: StatusBreached}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(&buf, "buf")
	if err != nil {
		t.Fatal(err)
	}
	if out.Schema != SchemaVersion || *out.Summary.RTOP95MS != rto || out.Summary.LostWrites != 3 || out.Verdict != StatusBreached {
		t.Errorf("round trip changed the results: %+v", out)
	}
}

func TestReadRefuses(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"future schema", `{"schema": 99}`, "schema 99 not supported"},
		{"no schema", `{"run_id": "x"}`, "schema 0 not supported"},
		{"not json", `{"schema": `, "read results bad.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.json), "bad.json")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := WriteFile(path, &Results{RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want only results.json (no temporary left)", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "results.json"), &Results{}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestValidate(t *testing.T) {
	neg, huge, ok := -1.0, 1e300, 1500.0
	start := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(r *Results)
		want string // "" = valid
	}{
		{"a real drill", func(r *Results) {}, ""},
		{"negative RTO p95", func(r *Results) { r.Summary.RTOP95MS = &neg }, "summary.rto_p95_ms = -1: a duration cannot be negative"},
		{"absurd RTO max", func(r *Results) { r.Summary.RTOMaxMS = &huge }, "summary.rto_max_ms = 1e+300: more than a century"},
		{"negative step duration", func(r *Results) { r.Runbook.Steps = []Step{{Name: "x", DurationMS: -3}} }, "runbook.steps[0].duration_ms = -3"},
		{"finished before started", func(r *Results) { r.FinishedAt = start.Add(-time.Second) }, "finished_at 2026-12-01T02:59:59.000Z is before started_at"},
		{"margins may be negative", func(r *Results) { r.Objectives = []Objective{{Margin: &neg, Measured: &ok}} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Results{Schema: 1, StartedAt: start, FinishedAt: start.Add(time.Minute)}
			r.Summary.RTOP50MS = &ok
			tt.edit(r)
			err := r.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
