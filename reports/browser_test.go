package reports

import (
	"flag"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/internal/chromium"
	"github.com/drdrill/drdrill/results"
)

var keepScreenshot = flag.String("screenshot", "", "also write the browser test's screenshot to this path")

// TestBrowser renders a report with every chart (a drill run comparing two runbooks, with a
// history for the trend), opens it in headless Chromium, and checks that the charts were
// drawn and that the page made no network request.
func TestBrowser(t *testing.T) {
	bin := chromium.Find(t)
	dir := t.TempDir()
	hist := filepath.Join(dir, "history")
	p := loadSample(t, "results-pass-tenant-restore.json")
	f := loadSample(t, "results-fail-full-pitr.json")
	for i, v := range []results.Status{"ok", "breached", "ok"} {
		r := *p
		r.RunID = "past-" + string(rune('a'+i))
		r.StartedAt = p.StartedAt.AddDate(0, 0, -3+i)
		r.Verdict = v
		rto := *r.Summary.RTOP95MS * (1.3 - 0.1*float64(i))
		r.Summary.RTOP95MS = &rto
		if _, err := AppendHistory(hist, &r); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	if err := RenderAll(out, []*results.Results{p, f}, Options{HistoryDir: hist}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(out, HTMLFile)
	tr := chromium.NewTrap(t)

	// 1. The DOM as the browser built it: every chart is an <svg> with drawn data paths.
	dom := string(chromium.Run(t, bin, tr, page, "--dump-dom"))
	svgs := strings.Count(dom, "<svg")
	// compare + per drill: curve, atlassian, rto, loss, steps; trend for the tenant-restore drill
	if want := 1 + 2*5 + 1; svgs != want {
		t.Errorf("browser DOM has %d <svg> elements, want %d", svgs, want)
	}
	dataPaths := regexp.MustCompile(`<path d="M [0-9]+ [0-9]+\s+L [0-9]+ [0-9]+\s+L`).FindAllString(dom, -1)
	if len(dataPaths) < 50 {
		t.Errorf("only %d multi-segment paths in the DOM: charts not drawn", len(dataPaths))
	}

	// 2. The screenshot: the first screen shows the verdict, and the chart area is not blank.
	shot := filepath.Join(dir, "report.png")
	chromium.Run(t, bin, tr, page, "--screenshot="+shot)
	if *keepScreenshot != "" {
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(*keepScreenshot, b, 0o644)
		}
	}
	img := chromium.DecodePNG(t, shot)
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot %v, want 1280x2000", b)
	}
	// The verdict banner of a breached run is on the first screen (top 200 px).
	if n := chromium.CountNear(img, image.Rect(0, 0, 1280, 200), color.RGBA{254, 242, 242, 255}, 6); n < 20000 {
		t.Errorf("first screen: %d pixels of the breached banner, want a banner", n)
	}
	// Charts below the first screen: the series colours of lines and bars are drawn.
	charts := image.Rect(0, 600, 1280, 2000)
	for name, c := range map[string]color.RGBA{
		"blue (RTO bars, curves, timeline)": {37, 99, 235, 255},
		"red (collateral loss)":             {220, 38, 38, 255},
		"teal (users curve, RTO max)":       {13, 148, 136, 255},
	} {
		if n := chromium.CountNear(img, charts, c, 30); n < 500 {
			t.Errorf("%s: %d pixels in the chart area, want a drawn chart", name, n)
		}
	}

	all := tr.Connections()
	fromPage := chromium.PageConnections(t, bin, all)
	if len(fromPage) != 0 {
		t.Errorf("the report made %d network requests: %q", len(fromPage), fromPage)
	}
	t.Logf("report.html opened in %s: %d <svg>, %d data paths; %d requests from the page (%d from the browser's own services: %q)",
		filepath.Base(bin), svgs, len(dataPaths), len(fromPage), len(all)-len(fromPage), all) // "" = preconnect, no request
}
