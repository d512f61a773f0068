package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/drdrill/drdrill/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update, "./bench")
}

// loadExport reads testdata/export.json: two atlassian runs, the first with a validated
// projection to 200,000 tenants, 2 TB, and 200,000 tenants with twice the blast radius.
func loadExport(t *testing.T) Export {
	t.Helper()
	b, err := os.ReadFile("testdata/export.json")
	if err != nil {
		t.Fatal(err)
	}
	var e Export
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("testdata/export.json: %v", err)
	}
	return e
}

// TestGolden pins the page and bench.json of a fixed export.
func TestGolden(t *testing.T) {
	e := loadExport(t)
	var page, js bytes.Buffer
	if err := WriteHTML(&page, e); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, e); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench.html", page.Bytes())
	golden(t, "bench.json", js.Bytes())
}

// TestPageSelfContained: the page fetches nothing: no script, no link, no remote URL, no
// image (the browser test checks the same in Chromium, with the network trapped).
func TestPageSelfContained(t *testing.T) {
	var page bytes.Buffer
	if err := WriteHTML(&page, loadExport(t)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<link", "<img", "src=", "href=\"http", "url(", "@import", "http://", "https://"} {
		if strings.Contains(page.String(), bad) {
			t.Errorf("the page has %q: it must need nothing outside the file", bad)
		}
	}
}

// TestPageVerdict: the page's banner and every projected size say "not validated" when the
// whole runbook's left-out error is above 20 %, with the number; "validated" when within.
func TestPageVerdict(t *testing.T) {
	for _, tt := range []struct {
		loo      float64
		want     []string
		dontWant []string
	}{
		{0.31, []string{"✖ NOT VALIDATED", "not validated: fitted without one of its sizes, the whole runbook&#39;s own model misses it by up to 31 % (above 20 %)", `<span class="pill p-breached">not validated</span>`},
			[]string{"✔ VALIDATED", `<span class="pill p-ok">validated</span>`}},
		// Every size of projectedReport is beyond the fitted ones: the model is validated, the
		// sizes are extrapolated, and the page says both.
		{0.08, []string{"✔ VALIDATED", "validated: fitted without one of its sizes", `">extrapolated, model validated</span>`},
			[]string{"NOT VALIDATED", "not validated", `<span class="pill p-ok">validated</span>`}},
	} {
		var page bytes.Buffer
		if err := WriteHTML(&page, NewExport([]*Report{projectedReport(tt.loo)})); err != nil {
			t.Fatal(err)
		}
		got := page.String()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("left-out error %.0f %%: the page lacks %q", 100*tt.loo, w)
			}
		}
		for _, w := range tt.dontWant {
			if strings.Contains(got, w) {
				t.Errorf("left-out error %.0f %%: the page says %q", 100*tt.loo, w)
			}
		}
		// Three sizes, each marked.
		if n := strings.Count(got, `validated</span></td></tr>`); n != 3 {
			t.Errorf("left-out error %.0f %%: %d sizes marked, want 3", 100*tt.loo, n)
		}
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, NewExport([]*Report{{Profile: "quick"}})); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "NO PROJECTION") {
		t.Errorf("a bench without a projection does not say so:\n%s", page.String())
	}
}

// TestWriteFiles: the page and bench.json land in the directory, created if missing, and
// bench.json reads back as the export.
func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	page, err := WriteFiles(dir, []*Report{projectedReport(0.08)})
	if err != nil {
		t.Fatal(err)
	}
	if page != filepath.Join(dir, HTMLFile) {
		t.Errorf("page at %s, want %s", page, filepath.Join(dir, HTMLFile))
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("%s: %v, %.40q", page, err, b)
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var e Export
	if err := json.Unmarshal(b, &e); err != nil || e.Schema != ExportSchema || e.Projection == nil || len(e.Projection.Sizes) != 3 {
		t.Errorf("bench.json: %v, %+v", err, e)
	}
}
