package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

func TestRenderAll(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out", "nested")
	rs := []*results.Results{loadSample(t, "results-pass-tenant-restore.json"), loadSample(t, "results-fail-full-pitr.json")}
	if err := RenderAll(out, rs, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{JUnitFile, CucumberFile, SummaryFile, HTMLFile} {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	assertSelfContained(t, string(page))
	t.Logf("report.html: %d bytes", len(page))

	// godog wrote cucumber.json: leave it alone.
	cuke := filepath.Join(out, CucumberFile)
	if err := os.WriteFile(cuke, []byte("godog"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RenderAll(out, rs, Options{CucumberWritten: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cuke); string(b) != "godog" {
		t.Errorf("cucumber.json overwritten although godog wrote it")
	}
}

// assertSelfContained fails if the page could reach anything outside itself.
func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, re := range []string{`<script`, `<link`, `<img`, `<iframe`, `@import`, `url\(`, `src=`, `href="(?:https?:)?//`, `@font-face`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("page contains %q", m)
		}
	}
	// The only absolute URLs allowed are SVG namespace names, which are never fetched.
	for _, u := range regexp.MustCompile(`https?://[^"' )<]+`).FindAllString(page, -1) {
		if u != "http://www.w3.org/2000/svg" && u != "http://www.w3.org/1999/xlink" {
			t.Errorf("page refers to %s", u)
		}
	}
}

func TestRenderAllErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rs := []*results.Results{loadSample(t, "results-pass-tenant-restore.json")}
	if err := RenderAll(filepath.Join(file, "out"), rs, Options{}); err == nil || !strings.Contains(err.Error(), "a-file") {
		t.Errorf("output under a file: %v", err)
	}
	if err := RenderAll(dir, nil, Options{}); err == nil {
		t.Error("no results: no error")
	}
}

// With a history directory the trend chart appears and includes the drill being rendered.
func TestRenderAllTrend(t *testing.T) {
	hist := t.TempDir()
	base := loadSample(t, "results-pass-tenant-restore.json")
	for i := 1; i <= 3; i++ {
		r := *base
		r.RunID = "past-" + string(rune('0'+i))
		r.StartedAt = base.StartedAt.AddDate(0, 0, -i)
		r.Verdict = []results.Status{"ok", "breached", "unknown"}[i-1]
		if _, err := AppendHistory(hist, &r); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if err := RenderAll(out, []*results.Results{base}, Options{HistoryDir: hist}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, HTMLFile))
	s := string(page)
	if !strings.Contains(s, `data-chart="trend"`) {
		t.Fatal("no trend section")
	}
	// Four verdict marks: three past drills and this one.
	if n := strings.Count(s, `<span class="p-`); n != 4 {
		t.Errorf("%d verdict marks in the trend, want 4", n)
	}
}

// A drill that failed early leaves a results.json with little in it (no tenants, curve, steps
// or objectives); its report must still render, say "unknown", and stay self-contained.
func TestRenderMinimal(t *testing.T) {
	r := &results.Results{Schema: 1, RunID: "r1", Scenario: "Stack never came up", Verdict: results.StatusUnknown,
		Findings: []string{"stack: start db: timeout"}}
	out := t.TempDir()
	if err := RenderAll(out, []*results.Results{r}, Options{}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, HTMLFile))
	assertSelfContained(t, string(page))
	if !strings.Contains(string(page), "? UNKNOWN") {
		t.Error("minimal report does not say unknown")
	}
	junitXML, _ := os.ReadFile(filepath.Join(out, JUnitFile))
	if !strings.Contains(string(junitXML), `<error message="verdict unknown: stack: start db: timeout"`) {
		t.Errorf("minimal junit:\n%s", junitXML)
	}
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct{ v, want float64 }{{0.3, 0.5}, {1, 1}, {1.2, 2}, {3381 / 5.0, 1000}, {11.9, 20}, {0, 1}} {
		if got := niceStep(c.v); got != c.want {
			t.Errorf("niceStep(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

// At the atlassian profile's blast radius (775 affected tenants among 10,000) the page stays
// small: RTOs become a histogram, lost writes the 15 worst tenants.
func TestRenderAtlassianScale(t *testing.T) {
	r := samplePass()
	var ts []injected
	for i := 0; i < 10000; i++ {
		tn := injected{id: int64(i + 1), name: "Tenant", sites: 1, users: 20}
		if i < 775 {
			tn.affected, tn.mttd, tn.rto, tn.lost, tn.rpo = true, 0.3, 60+0.4*float64(i), i%3, 2
		} else if i%10 == 0 {
			tn.collateral, tn.window = 1, 1
		}
		ts = append(ts, tn)
	}
	r.FinishedAt = r.Incident.T0.Add(10 * time.Minute)
	judge(r, ts, objectivesTable, "features/atlassian.feature:10")
	v := buildView(&Report{Drills: []*results.Results{r}, Verdict: r.Verdict}, nil)
	if err := drawCharts(&v, &Report{Drills: []*results.Results{r}}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v.Drills[0].Charts.RTO), "≤") {
		t.Error("775 tenants: RTO chart is not a histogram")
	}
	var b strings.Builder
	if err := writePage(&b, v); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 200_000 {
		t.Errorf("report of 775 affected tenants is %d bytes", b.Len())
	}
	t.Logf("atlassian-scale report.html: %d bytes", b.Len())
}
