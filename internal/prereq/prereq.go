// Package prereq decides what a test does when this machine lacks what the test needs (a Docker
// engine, the images, Chromium, xmllint): on a developer's machine it skips with the fix, but
// where the suite must really run it — CI=true, or DRDRILL_REQUIRE naming it, as `make test`
// sets — it fails, so a green run is never a run that skipped the real-container tests.
package prereq

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The names DRDRILL_REQUIRE takes (comma-separated), one per kind of thing a test can lack.
const (
	Docker   = "docker"   // an engine that answers, with drdrill's images built
	Chromium = "chromium" // a headless browser for the HTML report
	Xmllint  = "xmllint"  // the JUnit schema check
)

// Required reports whether a test that lacks what (one of the names above) must fail rather
// than skip: under CI=true everything is required; elsewhere what DRDRILL_REQUIRE lists.
func Required(what string) bool {
	return required(os.Getenv("CI"), os.Getenv("DRDRILL_REQUIRE"), what)
}

func required(ci, list, what string) bool {
	if ci == "true" || ci == "1" {
		return true
	}
	for _, w := range strings.Split(list, ",") {
		w = strings.TrimSpace(w)
		if w == what || w == "all" {
			return true
		}
	}
	return false
}

// Missing ends the test for lack of what: Fatal when it is required, Skip otherwise. The message
// should say what is missing and how to get it.
func Missing(t testing.TB, what, format string, args ...any) {
	t.Helper()
	if Required(what) {
		t.Fatalf("required by CI=true / DRDRILL_REQUIRE (%s): "+format, append([]any{what}, args...)...)
	}
	t.Skipf(format, args...)
}

// Command returns the path of the first of names found on PATH, or ends the test through
// Missing(what) with the Debian package that installs it.
func Command(t testing.TB, what, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(t, what, "%s not found: install Debian's %s (apt-get install -y %s; make deps-test does it)", strings.Join(names, " / "), pkg, pkg)
	return ""
}

// RealContainers skips a test that starts real containers when go test runs with -short:
// -short means the pure tests only, on any machine, Docker engine or not.
func RealContainers(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("real containers: not in -short mode")
	}
}
