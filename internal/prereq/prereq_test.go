package prereq

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
	cases := []struct {
		ci, list, what string
		want           bool
	}{
		{"", "", Docker, false},
		{"true", "", Docker, true},
		{"true", "", Chromium, true},
		{"false", "", Docker, false},
		{"", "docker,chromium", Chromium, true},
		{"", "docker, chromium", Chromium, true},
		{"", "docker", Chromium, false},
		{"", "dockers", Docker, false},
		{"", "all", Xmllint, true},
	}
	for _, c := range cases {
		if got := required(c.ci, c.list, c.what); got != c.want {
			t.Errorf("required(CI=%q, DRDRILL_REQUIRE=%q, %q) = %v, want %v", c.ci, c.list, c.what, got, c.want)
		}
	}
}

// TestMissing runs a test that lacks docker in a child process of this test binary: with
// CI=true it must fail (a green CI ran it), without it must skip.
func TestMissing(t *testing.T) {
	if os.Getenv("PREREQ_CHILD") == "1" {
		Missing(t, Docker, "no Docker engine: %s", "child")
		return
	}
	cases := []struct {
		name     string
		env      []string
		fail     bool
		wantText string
	}{
		{"required under CI", []string{"CI=true", "DRDRILL_REQUIRE="}, true, "required by CI=true / DRDRILL_REQUIRE (docker): no Docker engine: child"},
		{"required by list", []string{"CI=", "DRDRILL_REQUIRE=docker"}, true, "(docker): no Docker engine"},
		{"skipped elsewhere", []string{"CI=", "DRDRILL_REQUIRE=chromium"}, false, "SKIP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
			cmd.Env = append(append(os.Environ(), "PREREQ_CHILD=1"), c.env...)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != c.fail {
				t.Fatalf("child failed = %v, want %v:\n%s", failed, c.fail, out)
			}
			if !strings.Contains(string(out), c.wantText) {
				t.Errorf("child output lacks %q:\n%s", c.wantText, out)
			}
		})
	}
}
