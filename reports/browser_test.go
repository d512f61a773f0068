package reports

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/results"
)

var keepScreenshot = flag.String("screenshot", "", "also write the browser test's screenshot to this path")

func findChromium(t *testing.T) string {
	t.Helper()
	return prereq.Command(t, prereq.Chromium, "chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell")
}

// trap is a proxy that answers nobody: it records the first line of every connection made to
// it (a CONNECT host:port or GET url) and closes it. The browser is pointed at it for every
// request, loopback included, so any fetch the page attempts lands here.
type trap struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
	wg   sync.WaitGroup
}

func newTrap(t *testing.T) *trap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &trap{ln: ln}
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			tr.mu.Lock()
			tr.seen = append(tr.seen, strings.TrimSpace(line))
			tr.mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); tr.wg.Wait() })
	return tr
}

func (tr *trap) connections() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.seen...)
}

// runChromium opens page headless with every request sent to the trap and no other way out.
func runChromium(t *testing.T, bin string, tr *trap, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir(),
		"--proxy-server=http://" + tr.ln.Addr().String(),
		"--proxy-bypass-list=<-loopback>", // loopback goes through the trap too
		// No name resolves, so nothing can get around the trap; the trap itself is an IP.
		"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
		// Chromium's own background traffic would be counted against the page; turn off what
		// can be turned off (the rest is measured by pageConnections' baseline).
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--no-first-run", "--disable-extensions", "--no-pings",
		"--disable-domain-reliability", "--disable-breakpad", "--metrics-recording-only",
		"--disable-client-side-phishing-detection", "--safebrowsing-disable-auto-update",
		"--disable-features=NetworkTimeServiceQuerying,OptimizationHints,AutofillServerCommunication,MediaRouter",
		"--window-size=1280,2000",
	}
	args = append(args, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestBrowser renders a report with every chart (a drill run comparing two runbooks, with a
// history for the trend), opens it in headless Chromium, and checks that the charts were
// drawn and that the page made no network request.
func TestBrowser(t *testing.T) {
	bin := findChromium(t)
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
	tr := newTrap(t)

	// 1. The DOM as the browser built it: every chart is an <svg> with drawn data paths.
	dom := string(runChromium(t, bin, tr, page, "--dump-dom"))
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
	runChromium(t, bin, tr, page, "--screenshot="+shot)
	if *keepScreenshot != "" {
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(*keepScreenshot, b, 0o644)
		}
	}
	img := decodePNG(t, shot)
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot %v, want 1280x2000", b)
	}
	// The verdict banner of a breached run is on the first screen (top 200 px).
	if n := countNear(img, image.Rect(0, 0, 1280, 200), color.RGBA{254, 242, 242, 255}, 6); n < 20000 {
		t.Errorf("first screen: %d pixels of the breached banner, want a banner", n)
	}
	// Charts below the first screen: the series colours of lines and bars are drawn.
	charts := image.Rect(0, 600, 1280, 2000)
	for name, c := range map[string]color.RGBA{
		"blue (RTO bars, curves, timeline)": {37, 99, 235, 255},
		"red (collateral loss)":             {220, 38, 38, 255},
		"teal (users curve, RTO max)":       {13, 148, 136, 255},
	} {
		if n := countNear(img, charts, c, 30); n < 500 {
			t.Errorf("%s: %d pixels in the chart area, want a drawn chart", name, n)
		}
	}

	all := tr.connections()
	fromPage := pageConnections(t, bin, all)
	if len(fromPage) != 0 {
		t.Errorf("the report made %d network requests: %q", len(fromPage), fromPage)
	}
	t.Logf("report.html opened in %s: %d <svg>, %d data paths; %d requests from the page (%d from the browser's own services: %q)",
		filepath.Base(bin), svgs, len(dataPaths), len(fromPage), len(all)-len(fromPage), all) // "" = preconnect, no request
}

// TestBrowserTrapCatches proves the network check can fail: a page that loads one remote
// image is caught by the trap under the same flags.
func TestBrowserTrapCatches(t *testing.T) {
	bin := findChromium(t)
	page := filepath.Join(t.TempDir(), "leaky.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><img src="http://cdn.example.com/logo.png">`), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := newTrap(t)
	runChromium(t, bin, tr, page, "--dump-dom")
	conns := pageConnections(t, bin, tr.connections())
	// Chromium may retry a request whose connection the trap closed: one or more, all the page's.
	if len(conns) == 0 {
		t.Errorf("no request attributed to the page, want its request to cdn.example.com")
	}
	for _, c := range conns {
		if requestHost(c) != "cdn.example.com" {
			t.Errorf("request %q attributed to the page, want only cdn.example.com", c)
		}
	}
}

// baselineHosts are the hosts Chromium itself contacts (component updates, account checks)
// when it opens an empty local page under the same flags, measured once per test binary.
var (
	baselineOnce  sync.Once
	baselineHosts map[string]bool
)

// pageConnections removes from conns the requests Chromium makes on its own (to the hosts of
// the baseline) and returns those only the page can have caused. A page fetching a font, a
// script or an image from a CDN names a host the baseline never contacts, so it is caught.
func pageConnections(t *testing.T, bin string, conns []string) []string {
	t.Helper()
	baselineOnce.Do(func() {
		page := filepath.Join(t.TempDir(), "empty.html")
		if err := os.WriteFile(page, []byte("<!DOCTYPE html><title>empty</title><p>empty"), 0o644); err != nil {
			t.Fatal(err)
		}
		tr := newTrap(t)
		runChromium(t, bin, tr, page, "--dump-dom")
		// Chromium's own services, seen here on some runs and not others; never a page's.
		baselineHosts = map[string]bool{"update.googleapis.com": true, "accounts.google.com": true,
			"clients2.google.com": true, "redirector.gvt1.com": true, "safebrowsing.googleapis.com": true,
			"optimizationguide-pa.googleapis.com": true, "content-autofill.googleapis.com": true}
		for _, c := range tr.connections() {
			baselineHosts[requestHost(c)] = true
		}
	})
	var out []string
	for _, c := range conns {
		// A connection that sent no request line is Chromium warming its socket pool to the
		// proxy: it fetches nothing, whoever opened it.
		if c == "" {
			continue
		}
		if !baselineHosts[requestHost(c)] {
			out = append(out, c)
		}
	}
	return out
}

// requestHost is the host of a proxy request line: "CONNECT h:443 HTTP/1.1" or
// "GET http://h/path HTTP/1.1".
func requestHost(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	target := f[1]
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		return u.Hostname()
	}
	if h, _, err := net.SplitHostPort(target); err == nil {
		return h
	}
	return target
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// countNear counts the pixels of r within tol (per channel) of c.
func countNear(img image.Image, r image.Rectangle, c color.RGBA, tol int) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			R, G, B, _ := img.At(x, y).RGBA()
			if abs(int(R>>8)-int(c.R)) <= tol && abs(int(G>>8)-int(c.G)) <= tol && abs(int(B>>8)-int(c.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
