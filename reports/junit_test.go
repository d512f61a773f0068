package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	junit "github.com/joshdk/go-junit"

	"github.com/drdrill/drdrill/internal/prereq"
)

// TestJUnitSchema validates every golden case's JUnit file against testdata/junit.xsd (the
// Ant/Jenkins structure CI systems consume) with xmllint, an independent validator.
func TestJUnitSchema(t *testing.T) {
	xmllint := prereq.Command(t, prereq.Xmllint, "libxml2-utils", "xmllint")
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, loadReport(t, c.files...)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
			if err != nil {
				t.Fatalf("xmllint: %v\n%s", err, out)
			}
		})
	}
}

// TestJUnitSchemaRejects proves the schema check can fail: a file without the required
// testsuite name and with a text time must not validate.
func TestJUnitSchemaRejects(t *testing.T) {
	xmllint := prereq.Command(t, prereq.Xmllint, "libxml2-utils", "xmllint")
	bad := `<?xml version="1.0"?><testsuites><testsuite tests="1" time="soon"><testcase name="x"><failure message="m"/><error message="e"/></testcase></testsuite></testsuites>`
	path := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput(); err == nil {
		t.Fatalf("xmllint accepted an invalid JUnit file:\n%s", out)
	}
}

// TestJUnitConsumer reads the JUnit files back with github.com/joshdk/go-junit, a consumer
// written by someone else, and checks what a CI system would show.
func TestJUnitConsumer(t *testing.T) {
	cases := []struct {
		name       string
		files      []string
		wantStatus []junit.Status // per suite, in report order
		wantMsgs   []string       // substrings of the messages of the failing case bodies
	}{
		{"pass", goldenCases[0].files, []junit.Status{junit.StatusPassed}, nil},
		{"fail", goldenCases[1].files, []junit.Status{junit.StatusFailed}, []string{
			"RTO p95: target 2m, measured 2m59.3s, margin -59.3s",
			"bystander lost writes: target 0, measured 3,381 writes, margin -3,381 writes",
		}},
		{"never", goldenCases[2].files, []junit.Status{junit.StatusFailed}, []string{
			"RTO max: target 5m, measured unbounded",
			"RTO p95: target 2m, measured unbounded, margin — (1 of 10 affected tenants never restored)",
		}},
		{"merged", goldenCases[3].files, []junit.Status{junit.StatusFailed, junit.StatusPassed}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			rep := loadReport(t, c.files...)
			if err := WriteJUnit(&b, rep); err != nil {
				t.Fatal(err)
			}
			suites, err := junit.Ingest(b.Bytes())
			if err != nil {
				t.Fatalf("go-junit: %v", err)
			}
			if len(suites) != len(c.wantStatus) {
				t.Fatalf("go-junit read %d suites, want %d", len(suites), len(c.wantStatus))
			}
			for i, s := range suites {
				r := rep.Drills[i]
				if len(s.Tests) != 1 || s.Tests[0].Name != r.Scenario {
					t.Fatalf("suite %d: tests %+v, want one named %q", i, s.Tests, r.Scenario)
				}
				if got := s.Tests[0].Status; got != c.wantStatus[i] {
					t.Errorf("suite %d: status %s, want %s", i, got, c.wantStatus[i])
				}
				for k, want := range map[string]string{"run_id": r.RunID, "profile": r.Params.Profile, "runbook": r.Runbook.Name, "seed": "42"} {
					if k == "seed" && r.Params.Seed != 42 {
						continue
					}
					if s.Properties[k] != want {
						t.Errorf("suite %d: property %s = %q, want %q", i, k, s.Properties[k], want)
					}
				}
			}
			raw := b.String()
			for _, m := range c.wantMsgs {
				if !strings.Contains(raw, `message="`+m) && !strings.Contains(raw, m) {
					t.Errorf("JUnit has no message %q", m)
				}
			}
			if c.name == "fail" {
				// One <failure> per breached objective, each message naming its objective.
				if n := strings.Count(raw, "<failure "); n != 2 {
					t.Errorf("%d <failure> elements, want 2 (RTO p95 and bystander lost writes)", n)
				}
				if got := suites[0].Tests[0].Message; !strings.HasPrefix(got, "bystander lost writes: target 0, measured 3,381 writes, margin -3,381 writes") {
					t.Errorf("go-junit message %q", got)
				}
			}
		})
	}
}
