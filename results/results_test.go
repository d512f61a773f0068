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
