package bench

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/internal/chromium"
)

// TestBrowser opens the bench page in headless Chromium, a validated projection and one that
// is not, and checks that the browser shows the verdict on the first screen and every
// projected size, and that the page made no network request.
func TestBrowser(t *testing.T) {
	bin := chromium.Find(t)
	tr := chromium.NewTrap(t)
	for _, tt := range []struct {
		name   string
		export Export
		word   string
		banner color.RGBA // the verdict's background
		sizes  []string
	}{
		{"validated", loadExport(t), "✔ VALIDATED", color.RGBA{240, 253, 244, 255}, []string{"200,000 tenants", "2TB", "200,000 tenants, 1766 deleted sites"}},
		{"not validated", NewExport([]*Report{projectedReport(0.31)}), "✖ NOT VALIDATED", color.RGBA{254, 242, 242, 255}, []string{"200,000 tenants", "2TB", "2,000 tenants, 80 deleted sites"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			page := filepath.Join(dir, HTMLFile)
			f, err := os.Create(page)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(f, tt.export); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}

			// 1. The DOM as the browser built it: the verdict, and a row per projected size
			// with its RTO.
			dom := string(chromium.Run(t, bin, tr, page, "--dump-dom"))
			if !strings.Contains(dom, tt.word) {
				t.Errorf("browser DOM lacks the verdict %q", tt.word)
			}
			for _, s := range tt.sizes {
				if !strings.Contains(dom, "<tr><td>"+s+"</td>") {
					t.Errorf("browser DOM has no row for %q", s)
				}
			}
			if n := strings.Count(dom, "validated</span></td></tr>"); n != len(tt.sizes) {
				t.Errorf("browser DOM marks %d sizes, want %d", n, len(tt.sizes))
			}

			// 2. The screenshot: the verdict's banner is on the first screen (top 200 px).
			// The tolerance is tighter than the drill report's: the page's own background
			// (246, 247, 249) is within 5 to 6 of the green on every channel.
			shot := filepath.Join(dir, "bench.png")
			chromium.Run(t, bin, tr, page, "--screenshot="+shot)
			img := chromium.DecodePNG(t, shot)
			if n := chromium.CountNear(img, image.Rect(0, 0, 1280, 200), tt.banner, 4); n < 20000 {
				t.Errorf("first screen: %d pixels of the %s banner, want a banner", n, tt.name)
			}
		})
	}
	all := tr.Connections()
	if fromPage := chromium.PageConnections(t, bin, all); len(fromPage) != 0 {
		t.Errorf("the bench page made %d network requests: %q", len(fromPage), fromPage)
	}
}
