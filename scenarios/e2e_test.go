package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

func put(t *testing.T, ctx context.Context, url, value string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewBufferString(fmt.Sprintf(`{"value":%q}`, value)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, ctx context.Context, url string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRealIncidentAndRunbookWithApp is the whole chain with the app in front: the real script
// purges the victims' sites (they answer 503), a runbook brings them back (200, data equal to
// the manifest), and a bystander's write acknowledged by the app after T0 is kept by
// tenant-restore and lost by full-pitr, after which the app has reconnected by itself.
func TestRealIncidentAndRunbookWithApp(t *testing.T) {
	img := appImage(t)
	for _, tt := range []struct {
		runbook        string
		collateralGone bool
	}{
		{"tenant-restore", false},
		{"full-pitr", true},
	} {
		t.Run(tt.runbook, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			d := seedTiny(t, ctx, stack.Config{DBImage: images.Postgres, AppImage: img, ArchiveTimeout: time.Second})
			app := d.s.AppURL()
			before := manifest(t, ctx, d.s.DSN(), d.scope)
			victim := d.targets.SiteIDs[0]
			if code := get(t, ctx, fmt.Sprintf("%s/v1/sites/%d/health", app, victim)); code != http.StatusOK {
				t.Fatalf("victim site health before the incident: %d", code)
			}

			res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "purge", IDs: d.targets.SiteIDs, Image: img})
			if err != nil || res.ExitCode != legacycleanup.ExitDone {
				t.Fatalf("incident exit %d, %v:\n%s", res.ExitCode, err, res.Log)
			}
			if code := get(t, ctx, fmt.Sprintf("%s/v1/sites/%d/health", app, victim)); code == http.StatusOK {
				t.Fatalf("victim site still healthy after the purge")
			}
			after := fmt.Sprintf("%s/v1/sites/%d/records/live-after-t0", app, d.bySite)
			if code := put(t, ctx, after, "bystander"); code != http.StatusCreated {
				t.Fatalf("bystander write after T0: %d", code)
			}

			env := &Env{Stack: d.s, Backups: d.backups, T0: res.T0, Before: before, IDs: d.targets.SiteIDs, Progress: os.Stderr}
			rb, err := RunRunbook(ctx, tt.runbook, env)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.0f ms", tt.runbook, rb.DurationMS)
			for _, site := range d.targets.SiteIDs {
				if code := get(t, ctx, fmt.Sprintf("%s/v1/sites/%d/health", app, site)); code != http.StatusOK {
					t.Errorf("site %d health after %s: %d", site, tt.runbook, code)
				}
			}
			if diff := before.Diff(manifest(t, ctx, d.s.DSN(), d.scope)); len(diff) != 0 {
				t.Errorf("%d tenants differ from the manifest: %+v", len(diff), diff)
			}
			code := get(t, ctx, after)
			if gone := code == http.StatusNotFound; gone != tt.collateralGone {
				t.Errorf("bystander write after T0: GET %d, want gone=%v", code, tt.collateralGone)
			}
			// The app reconnected by itself: it acknowledges a new write.
			if code := put(t, ctx, fmt.Sprintf("%s/v1/sites/%d/records/live-after-restore", app, d.bySite), "x"); code != http.StatusCreated {
				t.Errorf("write after %s: %d", tt.runbook, code)
			}
		})
	}
}
