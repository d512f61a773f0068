package reports

import (
	"encoding/xml"
	"html/template"
	"reflect"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/results"
)

func TestResampleCurve(t *testing.T) {
	pts := []results.CurvePoint{{AtMS: 0}, {AtMS: 2500, TenantsPct: 50, UsersPct: 40}, {AtMS: 5000, TenantsPct: 100, UsersPct: 100}}
	at, tp, up := resampleCurve(pts, 10000, 4) // samples at 0, 2.5, 5, 7.5, 10 s
	if want := []float64{0, 2500, 5000, 7500, 10000}; !reflect.DeepEqual(at, want) {
		t.Errorf("at %v", at)
	}
	// A step function: a tenant counts from its RTO on, never before.
	if want := []float64{0, 50, 100, 100, 100}; !reflect.DeepEqual(tp, want) {
		t.Errorf("tenants %v, want %v", tp, want)
	}
	if want := []float64{0, 40, 100, 100, 100}; !reflect.DeepEqual(up, want) {
		t.Errorf("users %v, want %v", up, want)
	}
	_, tp, _ = resampleCurve(pts, 4000, 2) // 0, 2, 4 s: 2 s is before the first restore
	if want := []float64{0, 0, 50}; !reflect.DeepEqual(tp, want) {
		t.Errorf("tenants %v, want %v", tp, want)
	}
}

func TestRTOHistogram(t *testing.T) {
	got := rtoHistogram([]float64{0, 9, 10, 55, 100}, 100, 4) // bins [0,25) [25,50) [50,75) [75,100]
	if want := []float64{3, 0, 1, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("histogram %v, want %v", got, want)
	}
}

// The Atlassian curve must pass through the published figures on their days.
func TestAtlassianSeries(t *testing.T) {
	labels, pct := atlassianSeries()
	published := map[string]float64{"5": 0, "12": 45, "14": 55, "15": 78, "16": 99, "18": 100, "19": 100}
	for i, l := range labels {
		if want, ok := published[l]; ok && pct[i] != want {
			t.Errorf("%s April: %v%%, want %v%%", l, pct[i], want)
		}
	}
	if len(labels) != 15 || labels[0] != "5" || labels[14] != "19" {
		t.Errorf("labels %v", labels)
	}
}

func TestNiceAxis(t *testing.T) {
	for _, c := range []struct {
		endMS   float64
		wantEnd float64
		ticks   int
		unit    string
	}{
		{93000, 100000, 5, "s"},    // 93 s → 0..100 s by 20
		{190000, 210000, 7, "min"}, // 3.17 min → 0..3.5 by 0.5
		{5 * 3600000, 5 * 3600000, 5, "h"},
	} {
		end, ticks, _, unit := niceAxis(c.endMS)
		if end != c.wantEnd || ticks != c.ticks || unit != c.unit {
			t.Errorf("niceAxis(%v) = %v %d %s, want %v %d %s", c.endMS, end, ticks, unit, c.wantEnd, c.ticks, c.unit)
		}
	}
}

// Every chart of every sample is well-formed SVG with drawn paths, and refers to nothing
// outside itself.
func TestChartsAreSelfContainedSVG(t *testing.T) {
	rep := loadReport(t, goldenCases[3].files...)
	past := []*results.Results{loadSample(t, "results-pass-tenant-restore.json"), loadSample(t, "results-never-restored.json")}
	past[1].Scenario = past[0].Scenario
	v := buildView(rep, nil)
	hist := map[string][]*results.Results{past[0].Scenario: past}
	if err := drawCharts(&v, rep, hist); err != nil {
		t.Fatal(err)
	}
	check := func(name string, h template.HTML) {
		t.Helper()
		s := string(h)
		if s == "" {
			t.Errorf("%s: no chart", name)
			return
		}
		if err := xml.Unmarshal([]byte(s), new(struct{})); err != nil {
			t.Errorf("%s: not XML: %v", name, err)
		}
		if !strings.HasPrefix(s, "<svg") || strings.Count(s, "<path") < 5 {
			t.Errorf("%s: not an SVG with drawn paths", name)
		}
		for _, bad := range []string{"href=", "url(", "<script", "<image", "@import"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: contains %q", name, bad)
			}
		}
	}
	check("compare", v.Charts)
	for _, d := range v.Drills {
		check(d.Anchor+"/curve", d.Charts.Curve)
		check(d.Anchor+"/atlassian", d.Charts.Atlassian)
		check(d.Anchor+"/rto", d.Charts.RTO)
		check(d.Anchor+"/loss", d.Charts.Loss)
		check(d.Anchor+"/steps", d.Charts.Steps)
	}
	check("trend", v.Drills[1].Charts.Trend) // the tenant-restore drill has history
	if v.Drills[0].Charts.Trend != "" {
		t.Error("full-pitr drill has no history but got a trend chart")
	}
}

// TestChartCompareCountsEveryLostWrite: the comparison's right axis counts every acknowledged
// write lost or changed, victims' after T0 included — not only bystanders' — so a restore to
// T0 shows what it costs beside one that loses nothing.
func TestChartCompareCountsEveryLostWrite(t *testing.T) {
	rto := 60000.0
	mk := func(runbook string, lost, changed, collateral, bystander int) *results.Results {
		return &results.Results{Runbook: results.Runbook{Name: runbook}, Summary: results.Summary{RTOP95MS: &rto, RTOMaxMS: &rto,
			LostWrites: lost, ChangedWrites: changed, CollateralLost: collateral, BystanderLost: bystander}}
	}
	svg, err := chartCompare([]*results.Results{mk("tenant-restore", 0, 0, 257, 0), mk("tenant-restore-per-deletion", 0, 0, 0, 0), mk("full-pitr", 3, 2, 1400, 1405)})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"writes lost or changed", ">257<", ">1,405<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("comparison chart lacks %q", want)
		}
	}
}
