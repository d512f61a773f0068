package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// TestNoSecretInOutputs runs a drill that passes and one that fails (its only base backup is
// corrupt, so full-pitr cannot restore) and greps every file they wrote — drill.log,
// results.json, the ledger, cucumber.json, JUnit, summary.md, report.html, the history — for
// each run's database password, read from its db container while the drill ran.
func TestNoSecretInOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containers: not in -short mode")
	}
	docker, err := images.Connect(t.Context())
	if err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	out := t.TempDir()
	group := "secrets-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000"), ".", ""))

	// The passwords are the db containers' DRDRILL_PASSWORD, collected while the drills run.
	var mu sync.Mutex
	passwords := map[string]string{} // run ID → password
	watch, stopWatch := context.WithCancel(t.Context())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			cs, _ := docker.ListContainers(dc.ListContainersOptions{Context: watch, Filters: map[string][]string{
				"label": {stack.LabelService + "=db"}}})
			for _, c := range cs {
				run := c.Labels[stack.LabelRun]
				mu.Lock()
				_, seen := passwords[run]
				mu.Unlock()
				if seen || !strings.HasPrefix(run, group) {
					continue
				}
				ci, err := docker.InspectContainerWithContext(c.ID, watch)
				if err != nil {
					continue
				}
				for _, e := range ci.Config.Env {
					if pw, ok := strings.CutPrefix(e, "DRDRILL_PASSWORD="); ok && pw != "" {
						mu.Lock()
						passwords[run] = pw
						mu.Unlock()
					}
				}
			}
			select {
			case <-watch.Done():
				return
			case <-tick.C:
			}
		}
	}()
	o, runErr := Run(t.Context(), Options{Paths: []string{"testdata/secrets.feature"}, Out: out, CI: true,
		Group: group, HistoryDir: filepath.Join(out, "history")})
	stopWatch()
	<-watched

	if runErr == nil {
		t.Fatal("the run passed: the failing scenario must fail")
	}
	if len(o.Records) != 2 {
		t.Fatalf("%d records, want 2 (outputs in %s)", len(o.Records), out)
	}
	failed := 0
	for _, r := range o.Records {
		res, err := results.ReadFile(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		if res.Error != "" {
			failed++
		}
		// The faulty script ran against the marked database (a refusal would leave nothing to find).
		if res.Incident.AffectedTenants == 0 {
			t.Errorf("%s: the incident affected no tenant (exit %d): %s", res.Scenario, res.Incident.ExitCode, res.Incident.Log)
		}
	}
	if failed != 1 {
		t.Fatalf("%d drills with an error in results.json, want 1 (the corrupt-backup one)", failed)
	}
	if len(passwords) != 2 {
		t.Fatalf("saw the passwords of %d runs, want 2: %v", len(passwords), passwords)
	}
	files := 0
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for run, pw := range passwords {
			if strings.Contains(string(b), pw) {
				t.Errorf("%s holds the password of run %s", path, run)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Errorf("only %d output files: the drill wrote less than expected", files)
	}
	t.Logf("%d output files of 2 drills hold neither password", files)
}
