// Package chromium opens a local HTML page in headless Chromium for the tests of drdrill's
// pages (the drill report, the bench page): the DOM the browser built, or a screenshot. Every
// request the page makes is sent to a Trap, a proxy that answers nobody, so a test can prove
// the page fetched nothing. A machine without Chromium ends the test through package prereq:
// a skip on a developer's machine, a failure under CI=true or DRDRILL_REQUIRE=chromium.
package chromium

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/internal/prereq"
)

// Find is the path of Chromium (any of its usual names), or ends the test through prereq.
func Find(t testing.TB) string {
	t.Helper()
	return prereq.Command(t, prereq.Chromium, "chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell")
}

// Trap is a proxy that answers nobody: it records the first line of every connection made to
// it (a CONNECT host:port or GET url) and closes it. The browser is pointed at it for every
// request, loopback included, so any fetch the page attempts lands here.
type Trap struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
	wg   sync.WaitGroup
}

// NewTrap listens on a loopback port until the test ends.
func NewTrap(t testing.TB) *Trap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trap{ln: ln}
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

// Connections are the first lines of the connections made to the trap so far.
func (tr *Trap) Connections() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.seen...)
}

// Run opens page headless with every request sent to the trap and no other way out, extra
// being what to do (--dump-dom, --screenshot=file), and returns its standard output.
func Run(t testing.TB, bin string, tr *Trap, page string, extra ...string) []byte {
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
		// can be turned off (the rest is measured by PageConnections' baseline).
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

// baselineHosts are the hosts Chromium itself contacts (component updates, account checks)
// when it opens an empty local page under the same flags, measured once per test binary.
var (
	baselineOnce  sync.Once
	baselineHosts map[string]bool
)

// PageConnections removes from conns the requests Chromium makes on its own (to the hosts of
// the baseline) and returns those only the page can have caused. A page fetching a font, a
// script or an image from a CDN names a host the baseline never contacts, so it is caught.
func PageConnections(t testing.TB, bin string, conns []string) []string {
	t.Helper()
	baselineOnce.Do(func() {
		page := filepath.Join(t.TempDir(), "empty.html")
		if err := os.WriteFile(page, []byte("<!DOCTYPE html><title>empty</title><p>empty"), 0o644); err != nil {
			t.Fatal(err)
		}
		tr := NewTrap(t)
		Run(t, bin, tr, page, "--dump-dom")
		// Chromium's own services, seen here on some runs and not others; never a page's.
		baselineHosts = map[string]bool{"update.googleapis.com": true, "accounts.google.com": true,
			"clients2.google.com": true, "redirector.gvt1.com": true, "safebrowsing.googleapis.com": true,
			"optimizationguide-pa.googleapis.com": true, "content-autofill.googleapis.com": true}
		for _, c := range tr.Connections() {
			baselineHosts[RequestHost(c)] = true
		}
	})
	var out []string
	for _, c := range conns {
		// A connection that sent no request line is Chromium warming its socket pool to the
		// proxy: it fetches nothing, whoever opened it.
		if c == "" {
			continue
		}
		if !baselineHosts[RequestHost(c)] {
			out = append(out, c)
		}
	}
	return out
}

// RequestHost is the host of a proxy request line: "CONNECT h:443 HTTP/1.1" or
// "GET http://h/path HTTP/1.1".
func RequestHost(line string) string {
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

// DecodePNG reads a screenshot.
func DecodePNG(t testing.TB, path string) image.Image {
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

// CountNear counts the pixels of r within tol (per channel) of c.
func CountNear(img image.Image, r image.Rectangle, c color.RGBA, tol int) int {
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
