package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// TestSameGroupAtOnce starts two `drdrill run` with the same --group at the same moment (the
// shard jobs of one CI run share it): each must get its own run IDs, remove only its own
// resources, and finish with a correct verdict.
func TestSameGroupAtOnce(t *testing.T) {
	needDocker(t)
	// Both drills at once: this test takes the two slots of the drill semaphore.
	drills <- struct{}{}
	drills <- struct{}{}
	defer func() { <-drills; <-drills }()

	group := newGroup("samegroup")
	a, b := startDrill(t, group), startDrill(t, group)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, c := range []*child{a, b} {
		wg.Go(func() { codes[i] = c.wait(t, 8*time.Minute) })
	}
	wg.Wait()
	runs := map[string]bool{}
	for i, c := range []*child{a, b} {
		if codes[i] != 0 {
			t.Errorf("drill %d: exit %d, want 0:\n%s", i+1, codes[i], c.output())
			continue
		}
		paths, _ := filepath.Glob(filepath.Join(c.outDir, "*", "results.json"))
		if len(paths) != 1 {
			t.Fatalf("drill %d: results %v, want one", i+1, paths)
		}
		r, err := results.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != results.StatusOK || r.Error != "" || r.Group != group || r.Summary.AffectedTenants == 0 {
			t.Errorf("drill %d: verdict %q error %q group %q affected %d, want ok, none, %s, > 0", i+1, r.Verdict, r.Error, r.Group, r.Summary.AffectedTenants, group)
		}
		runs[r.RunID] = true
	}
	if len(runs) != 2 {
		t.Errorf("run IDs %v: the two processes shared one", runs)
	}
	if n, err := groupRemaining(t.Context(), group); err != nil || n != 0 {
		t.Errorf("group %s: %d resources remain (err %v)", group, n, err)
	}
}

// TestKeepLeavesAFailedStack: `drdrill run --keep` on a drill that fails leaves its stack
// running and prints how to reach it; the printed psql command works with no password on its
// command line, the app answers, the default `drdrill clean` leaves the kept run, and
// `drdrill clean --run ID` removes it with its password file.
func TestKeepLeavesAFailedStack(t *testing.T) {
	needDocker(t)
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql (postgresql-client-15) is needed to check the printed command: %v", err)
	}
	drills <- struct{}{}
	defer func() { <-drills }()

	c := startDrill(t, newGroup("keep"), "--keep", "testdata/keep-fail.feature")
	if code := c.wait(t, 5*time.Minute); code != 1 {
		t.Fatalf("exit %d, want 1 (the drill fails):\n%s", code, c.output())
	}
	out := c.output()
	m := regexp.MustCompile(`(?m)^  database: (PGPASSFILE=(\S+) (psql .*))$`).FindStringSubmatch(out)
	app := regexp.MustCompile(`(?m)^  app:      (\S+)$`).FindStringSubmatch(out)
	rm := regexp.MustCompile(`(?m)^  remove:   drdrill clean --run (\S+)$`).FindStringSubmatch(out)
	if !strings.Contains(out, "kept for inspection:") || m == nil || app == nil || rm == nil {
		t.Fatalf("no kept-stack notice with database, app and remove lines:\n%s", out)
	}
	run, passFile := rm[1], m[2]
	if st, err := os.Stat(passFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("password file %s: %v (mode %v), want 0600", passFile, err, st)
	}
	pw, _ := os.ReadFile(passFile)
	if fields := strings.Split(strings.TrimSpace(string(pw)), ":"); len(fields) != 5 || strings.Contains(m[3], fields[4]) {
		t.Errorf("the printed command holds the password, or the file is not a pgpass line: %q", m[1])
	}
	psql := exec.Command("sh", "-c", m[1]+" -tAc 'SELECT count(*) FROM tenants'")
	psql.Env = append(os.Environ(), "PGPASSWORD=") // only the file may answer
	got, err := psql.CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "20" {
		t.Errorf("%s: %v: %s, want 20 tenants", m[1], err, got)
	}
	resp, err := http.Get(app[1] + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("app %s/healthz: %v %v", app[1], err, resp)
	} else {
		resp.Body.Close()
	}

	code, cout, cerr := drdrill(t, nil, "clean")
	if code != 0 || !strings.Contains(cout, "run "+run+" kept for inspection") {
		t.Errorf("drdrill clean: exit %d, want the kept run left:\n%s%s", code, cout, cerr)
	}
	if n, _ := stack.Remaining(t.Context(), run); n < 6 {
		t.Fatalf("the default clean removed the kept run: %d resources left", n)
	}
	code, cout, cerr = drdrill(t, nil, "clean", "-run", run)
	if code != 0 {
		t.Fatalf("drdrill clean -run %s: exit %d\n%s%s", run, code, cout, cerr)
	}
	if n, err := stack.Remaining(t.Context(), run); err != nil || n != 0 {
		t.Errorf("run %s: %d resources remain after clean -run (err %v)", run, n, err)
	}
	if _, err := os.Stat(passFile); !os.IsNotExist(err) {
		t.Errorf("password file %s still there: %v", passFile, err)
	}
}
