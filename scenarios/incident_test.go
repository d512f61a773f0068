package scenarios

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// testAppImage is the saasd image (service + faulty script) built from this checkout under a
// throwaway tag, so these tests run the script as it is now and race nobody for the real tag.
const testAppImage = "drdrill-test/scenarios-saasd:dev"

var buildOnce struct {
	sync.Once
	err error
}

func appImage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Docker")
	}
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildOnce.err = images.Ensure(ctx, images.Options{SourceDir: "..", AppTag: testAppImage, Only: []string{testAppImage}, Progress: os.Stderr})
	})
	if buildOnce.err != nil {
		t.Fatalf("build %s: %v", testAppImage, buildOnce.err)
	}
	return testAppImage
}

// lastCommit is the commit time of the database's latest transaction (track_commit_timestamp).
func lastCommit(t *testing.T, ctx context.Context, dsn string) time.Time {
	t.Helper()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	var at time.Time
	if err := conn.QueryRow(ctx, `SELECT timestamp FROM pg_last_committed_xact()`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// TestIncident runs the real faulty script against a seeded stack. The ground truth is the
// fixtures' victim list: purge with site IDs removes exactly those sites (and so exactly their
// tenants differ), after T0; a guardrail refuses with exit 3 and changes nothing.
func TestIncident(t *testing.T) {
	img := appImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// One stack for all cases: the refusing and bad-input cases change nothing, mark is undone
	// by SQL, and purge runs last. Commit timestamps let the test see when the deletes committed.
	d := seedTiny(t, ctx, stack.Config{WithoutApp: true, DBImage: images.Postgres, Settings: map[string]string{"track_commit_timestamp": "on"}})
	dsn := d.s.DSN()
	before := manifest(t, ctx, dsn, d.scope)
	unchanged := func(t *testing.T) {
		t.Helper()
		if diff := before.Diff(manifest(t, ctx, dsn, d.scope)); len(diff) != 0 {
			t.Errorf("%d tenants changed, want none: %+v", len(diff), diff)
		}
	}

	t.Run("check-kind refuses site IDs", func(t *testing.T) {
		res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "purge", IDs: d.targets.SiteIDs, Guardrails: legacycleanup.Guardrails{CheckKind: true}, Image: img})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != legacycleanup.ExitRefused || !res.Refused {
			t.Errorf("exit %d refused %v, want 3 and refused; log:\n%s", res.ExitCode, res.Refused, res.Log)
		}
		unchanged(t)
	})
	t.Run("max-scope refuses", func(t *testing.T) {
		res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "purge", IDs: d.targets.SiteIDs, Guardrails: legacycleanup.Guardrails{MaxScope: len(d.targets.SiteIDs) - 1}, Image: img})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Refused {
			t.Errorf("exit %d, want refused; log:\n%s", res.ExitCode, res.Log)
		}
		unchanged(t)
	})
	t.Run("empty ID file is bad input", func(t *testing.T) {
		res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "purge", IDFile: []byte{}, Image: img})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != legacycleanup.ExitBadInput || res.Refused || res.Log == "" {
			t.Errorf("exit %d refused %v log %q, want 2 with a message", res.ExitCode, res.Refused, res.Log)
		}
		unchanged(t)
	})
	t.Run("mark with site IDs", func(t *testing.T) {
		res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "mark", IDs: d.targets.SiteIDs, Image: img})
		if err != nil || res.ExitCode != legacycleanup.ExitDone {
			t.Fatalf("exit %d, %v; log:\n%s", res.ExitCode, err, res.Log)
		}
		conn := connect(t, ctx, dsn)
		defer conn.Close(ctx)
		var first, last time.Time
		var sites []int64
		rows, _ := conn.Query(ctx, `SELECT id, deleted_at FROM sites WHERE deleted_at IS NOT NULL ORDER BY id`)
		for rows.Next() {
			var id int64
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				t.Fatal(err)
			}
			sites = append(sites, id)
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sites, d.targets.SiteIDs) {
			t.Errorf("marked sites %v, want the listed ones %v", sites, d.targets.SiteIDs)
		}
		if !res.T0.Before(first) || last.After(res.T0.Add(res.Duration)) {
			t.Errorf("marks from %v to %v are not within T0 %v + %v", first, last, res.T0, res.Duration)
		}
		br := blastRadius(before, manifest(t, ctx, dsn, d.scope))
		if !slices.Equal(br.Tenants, d.targets.Tenants) || !slices.Equal(br.Sites, d.targets.SiteIDs) {
			t.Errorf("blast radius %v / %v, want %v / %v", br.Tenants, br.Sites, d.targets.Tenants, d.targets.SiteIDs)
		}
		// Every seeded site has the profile's users: the affected users are exactly those of the
		// listed sites.
		if want := int64(len(d.targets.SiteIDs) * tiny.UsersPerSite); br.Users != want {
			t.Errorf("blast radius counts %d users, the listed sites have %d", br.Users, want)
		}
		for _, tbl := range markedTables {
			mustExec(t, ctx, conn, `UPDATE `+tbl+` SET deleted_at = NULL WHERE deleted_at >= $1`, res.T0)
		}
		unchanged(t)
	})
	t.Run("purge with site IDs", func(t *testing.T) {
		res, err := RunIncident(ctx, d.s, IncidentSpec{Mode: "purge", IDs: d.targets.SiteIDs, Batch: 1, Image: img})
		if err != nil || res.ExitCode != legacycleanup.ExitDone || res.Refused {
			t.Fatalf("exit %d refused %v, %v; log:\n%s", res.ExitCode, res.Refused, err, res.Log)
		}
		committed := lastCommit(t, ctx, dsn)
		if !res.T0.Before(committed) || committed.After(res.T0.Add(res.Duration)) {
			t.Errorf("last delete committed at %v, not within T0 %v + %v", committed, res.T0, res.Duration)
		}
		after := manifest(t, ctx, dsn, d.scope)
		var gone []int64
		for _, diff := range before.Diff(after) {
			gone = append(gone, diff.SitesMissing...)
		}
		slices.Sort(gone)
		if !slices.Equal(gone, d.targets.SiteIDs) {
			t.Errorf("sites gone %v, want exactly the listed ones %v", gone, d.targets.SiteIDs)
		}
		br := blastRadius(before, after)
		if !slices.Equal(br.Tenants, d.targets.Tenants) {
			t.Errorf("affected tenants %v, want %v", br.Tenants, d.targets.Tenants)
		}
		t.Logf("purge of %d sites: T0 %s, %v, log tail:\n%s", len(d.targets.SiteIDs), res.T0.Format(time.RFC3339Nano), res.Duration, res.Log)

		// undo-mark has nothing to clear after a purge: it must say so, not succeed.
		called := false
		env := &Env{Stack: d.s, Backups: d.backups, T0: res.T0, Before: before, OnTenantsRestored: func([]int64, time.Time) { called = true }}
		_, err = RunRunbook(ctx, "undo-mark", env)
		if !errors.Is(err, ErrNotRestored) || called {
			t.Errorf("undo-mark after a purge: %v (callback %v), want ErrNotRestored and no callback", err, called)
		}
		t.Logf("undo-mark after purge: %v", err)
	})
}
