package reports

import (
	"bytes"
	"encoding/json"
	"testing"

	goldenfile "github.com/drdrill/drdrill/internal/golden"
	"github.com/drdrill/drdrill/results"
)

// goldenCases are the reports the golden files pin: each sample alone, and the passing and
// the full-pitr drills merged as one drill run comparing runbooks.
var goldenCases = []struct {
	name  string
	files []string
}{
	{"pass", []string{"results-pass-tenant-restore.json"}},
	{"fail", []string{"results-fail-full-pitr.json"}},
	{"never", []string{"results-never-restored.json"}},
	{"merged", []string{"results-pass-tenant-restore.json", "results-fail-full-pitr.json"}},
}

func loadReport(t *testing.T, files ...string) *Report {
	t.Helper()
	var rs []*results.Results
	for _, f := range files {
		rs = append(rs, loadSample(t, f))
	}
	rep, err := Merge(rs)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// golden compares got with testdata/golden/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update, "./reports")
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			rep := loadReport(t, c.files...)
			var junit, cuke, md, page bytes.Buffer
			if err := WriteJUnit(&junit, rep); err != nil {
				t.Fatal(err)
			}
			if err := WriteCucumber(&cuke, rep); err != nil {
				t.Fatal(err)
			}
			if err := WriteSummary(&md, rep); err != nil {
				t.Fatal(err)
			}
			// The HTML's data: the view model as JSON, and the page with every chart replaced
			// by a marker naming it (the library's drawing is checked by the chart tests and
			// the browser test, not pinned byte for byte).
			v := buildView(rep, nil)
			model, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := drawCharts(&v, rep, nil); err != nil {
				t.Fatal(err)
			}
			placeholderCharts(&v)
			if err := writePage(&page, v); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+"/junit.xml", junit.Bytes())
			golden(t, c.name+"/cucumber.json", cuke.Bytes())
			golden(t, c.name+"/summary.md", md.Bytes())
			golden(t, c.name+"/view.json", append(model, '\n'))
			golden(t, c.name+"/report.html", page.Bytes())
		})
	}
}
