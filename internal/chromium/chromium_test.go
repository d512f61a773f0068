package chromium

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTrapCatches proves the network check can fail: a page that loads one remote image is
// caught by the trap under the same flags.
func TestTrapCatches(t *testing.T) {
	bin := Find(t)
	page := filepath.Join(t.TempDir(), "leaky.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><img src="http://cdn.example.com/logo.png">`), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := NewTrap(t)
	Run(t, bin, tr, page, "--dump-dom")
	conns := PageConnections(t, bin, tr.Connections())
	// Chromium may retry a request whose connection the trap closed: one or more, all the page's.
	if len(conns) == 0 {
		t.Errorf("no request attributed to the page, want its request to cdn.example.com")
	}
	for _, c := range conns {
		if RequestHost(c) != "cdn.example.com" {
			t.Errorf("request %q attributed to the page, want only cdn.example.com", c)
		}
	}
}

func TestRequestHost(t *testing.T) {
	for line, want := range map[string]string{
		"CONNECT fonts.googleapis.com:443 HTTP/1.1": "fonts.googleapis.com",
		"GET http://cdn.example.com/x.png HTTP/1.1": "cdn.example.com",
		"GET http://127.0.0.1:8080/ HTTP/1.1":       "127.0.0.1",
		"garbage":                                   "garbage",
	} {
		if got := RequestHost(line); got != want {
			t.Errorf("RequestHost(%q) = %q, want %q", line, got, want)
		}
	}
}
