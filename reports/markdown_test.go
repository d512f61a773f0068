package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/results"
)

// hostile is text a feature author or a tenant's data could put in a report, aimed at the CI
// job summary that renders summary.md: an image that loads from afar, a link, raw HTML, code,
// emphasis, a table cell break, a heading, and bare URLs GitHub would make links of.
const hostile = "![t](https://evil.example/x.png) [click](http://evil.example) <img src=x onerror=alert(1)> `code` **bold** | cell\n# heading www.evil.example"

// TestSummaryEscapesUserText renders a drill whose scenario, tenant name and finding are
// hostile (golden file testdata/golden/hostile/summary.md) and checks that no Markdown or
// HTML construct survives: every table row keeps its cell count, and nothing would load.
func TestSummaryEscapesUserText(t *testing.T) {
	r := *loadSample(t, "results-pass-tenant-restore.json") // a copy: the samples are shared
	r.Scenario = hostile
	r.Findings = append(append([]string(nil), r.Findings...), hostile)
	r.Tenants = append([]results.Tenant(nil), r.Tenants...)
	for i := range r.Tenants {
		r.Tenants[i].Name = hostile
	}
	rep, err := Merge([]*results.Results{&r})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "hostile/summary.md", b.Bytes())
	out := b.String()
	for _, re := range []string{`(^|[^\\])!\[`, `(^|[^\\])\]\(`, `<img`, `https?://`, `(^|[^\\])www\.`, "(^|[^\\\\])`code", `(^|[^\\])\*\*bold`, `(?m)^# heading`} {
		if regexp.MustCompile(re).MatchString(out) {
			t.Errorf("summary.md has a live %q:\n%s", re, out)
		}
	}
	// Every row of a table has as many unescaped pipes as its header.
	cells := regexp.MustCompile(`(^|[^\\])\|`)
	want := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		n := len(cells.FindAllString(line, -1))
		if want == 0 {
			want = n
		} else if n != want {
			t.Errorf("table row has %d cell separators, its header %d: %s", n, want, line)
		}
	}
}
