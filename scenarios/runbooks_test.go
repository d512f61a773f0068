package scenarios

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

// tiny is a profile small enough for a runbook test on two shared cores.
var tiny = fixtures.Profile{
	Name: "tiny", Tenants: 8, SitesPerTenant: 1.25, ProductsPerSite: 2, UsersPerSite: 3,
	AppsPerSite: 2, RecordsPerSite: 20, VictimTenants: 3, VictimSites: 4,
}

const tinySeed = 42

// drillData is a seeded stack with a base backup, ready for an incident.
type drillData struct {
	s        *stack.Stack
	backups  *Backups
	targets  fixtures.Targets
	scope    []int64
	survivor int64 // a site of a victim tenant that is not in the ID list
	survTen  int64
	by       int64 // a bystander tenant and one of its sites
	bySite   int64
	segment  string // a WAL segment a test's fault targets (wal-segment-missing)
}

// seedTiny starts a stack, seeds the tiny profile, gives one victim tenant an extra site the
// incident will not touch, and takes a base backup.
func seedTiny(t *testing.T, ctx context.Context, cfg stack.Config) *drillData {
	t.Helper()
	s := startStack(t, cfg)
	pool, err := pgxpool.New(ctx, s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := fixtures.Seed(ctx, pool, tiny, tinySeed, nil); err != nil {
		t.Fatalf("seed: %v", err)
	}
	g, err := fixtures.NewGenerator(tiny, tinySeed)
	if err != nil {
		t.Fatal(err)
	}
	d := &drillData{s: s, targets: g.Targets()}
	for i := range tiny.Tenants {
		d.scope = append(d.scope, g.TenantID(i))
	}
	for _, id := range d.scope {
		if !slices.Contains(d.targets.Tenants, id) {
			d.by = id
			break
		}
	}
	d.survTen = d.targets.Tenants[0]
	d.survivor = 900_000_001
	for _, sql := range []string{
		`INSERT INTO sites VALUES ($2, $1, 'survivor.example', now(), NULL)`,
		`INSERT INTO products VALUES ($2 + 1, $1, $2, 'jira', 5, now(), NULL)`,
		`INSERT INTO users VALUES ($2 + 2, $1, $2, 'survivor@example.com', 'Sur Vivor', now(), NULL)`,
	} {
		if _, err := pool.Exec(ctx, sql, d.survTen, d.survivor); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM sites WHERE tenant_id = $1`, d.by).Scan(&d.bySite); err != nil {
		t.Fatal(err)
	}
	d.backups = NewBackups(s, os.Stderr)
	if _, err := d.backups.Take(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// victimSite returns a listed site and its tenant.
func (d *drillData) victimSite() (site, tenant int64) {
	site = d.targets.SiteIDs[0]
	for ten, sites := range d.targets.SitesByTenant {
		if slices.Contains(sites, site) {
			return site, ten
		}
	}
	panic("listed site without a tenant")
}

// liveWrite writes a live record the way the app does and returns when it is committed.
func liveWrite(t *testing.T, ctx context.Context, dsn string, tenant, site int64, key string) {
	t.Helper()
	conn := connect(t, ctx, dsn)
	mustExec(t, ctx, conn, `INSERT INTO records VALUES (nextval('object_id'), $1, $2, $3, 'v', now())`, tenant, site, key)
	conn.Close(ctx)
}

// walWrite inserts a record like liveWrite and returns the WAL segment its insert was
// written to, read in the same transaction.
func walWrite(t *testing.T, ctx context.Context, dsn string, tenant, site int64, key string) string {
	t.Helper()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO records VALUES (nextval('object_id'), $1, $2, $3, 'v', now())`, tenant, site, key); err != nil {
		t.Fatal(err)
	}
	var seg string
	if err := tx.QueryRow(ctx, `SELECT pg_walfile_name(pg_current_wal_insert_lsn())`).Scan(&seg); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return seg
}

func hasRecord(t *testing.T, ctx context.Context, dsn string, site int64, key string) bool {
	t.Helper()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM records WHERE site_id = $1 AND key = $2`, site, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func manifest(t *testing.T, ctx context.Context, dsn string, scope []int64) fixtures.Manifest {
	t.Helper()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	m, err := fixtures.TakeManifest(ctx, conn, scope)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sqlIncident does what the faulty script does, with plain SQL, to the listed IDs.
func sqlIncident(t *testing.T, ctx context.Context, dsn, mode string, ids []int64) {
	t.Helper()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	stmts := []string{`DELETE FROM sites WHERE id = ANY($1)`}
	if mode == "purge-apps" { // what the script was meant to do, given app IDs
		stmts = []string{`DELETE FROM apps WHERE id = ANY($1)`}
	}
	if mode == "mark" {
		stmts = []string{
			`UPDATE sites SET deleted_at = now() WHERE id = ANY($1)`,
			`UPDATE products SET deleted_at = now() WHERE site_id = ANY($1)`,
			`UPDATE users SET deleted_at = now() WHERE site_id = ANY($1)`,
			`UPDATE apps SET deleted_at = now() WHERE site_id = ANY($1)`,
		}
	}
	for _, sql := range stmts {
		if _, err := tx.Exec(ctx, sql, ids); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRunbooksRestoreAffectedTenants runs each runbook after an incident done in SQL (so the
// test needs only the db) and checks, from the data: every affected tenant equals its
// pre-incident manifest, the blast radius was found from the data, writes before T0 survive,
// and a bystander's write after T0 is lost by full-pitr only (collateral) and kept otherwise.
// The same ground truth holds with pgBackRest as the backup tool, whose restores must show
// as runbook steps (pgbackrest restore, and pgbackrest verify for full-pitr only: tenant-restore's
// restore is its verification).
func TestRunbooksRestoreAffectedTenants(t *testing.T) {
	tests := []struct {
		runbook, mode  string
		collateralGone bool
		tool           stack.BackupTool // "": plain
		wantSteps      []string         // prefixes of step names the runbook must record
		noSteps        []string         // prefixes of step names it must not
	}{
		{"undo-mark", "mark", false, "", nil, nil},
		{"tenant-restore", "purge", false, "", nil, nil},
		{"tenant-restore", "purge-apps", false, "", nil, nil},
		{"full-pitr", "purge", true, "", nil, nil},
		{"undo-mark", "mark", false, stack.PgBackRest, nil, nil},
		{"tenant-restore", "purge", false, stack.PgBackRest, []string{"pgbackrest restore --set=", "copy tenants batch"}, []string{"verify base backup"}},
		{"full-pitr", "purge", true, stack.PgBackRest, []string{"verify base backup 2", "pgbackrest restore --set=", "start db and replay WAL to T0"}, nil},
	}
	for _, tt := range tests {
		name := tt.runbook + "/" + tt.mode
		if tt.tool != "" {
			name += "/" + string(tt.tool)
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second, BackupTool: tt.tool})
			dsn := d.s.DSN()
			before := manifest(t, ctx, dsn, d.scope)

			liveWrite(t, ctx, dsn, d.by, d.bySite, "live-before")
			victim, victimTenant := d.victimSite()
			liveWrite(t, ctx, dsn, victimTenant, victim, "live-before-victim")
			t0 := time.Now()
			ids, wantSites, purged := d.targets.SiteIDs, d.targets.SiteIDs, int64(len(d.targets.SiteIDs))*int64(1+tiny.ProductsPerSite+tiny.UsersPerSite+tiny.AppsPerSite+tiny.RecordsPerSite)+1
			if tt.mode == "purge-apps" {
				ids, wantSites, purged = d.targets.AppIDs, nil, int64(len(d.targets.AppIDs))
			}
			sqlIncident(t, ctx, dsn, tt.mode, ids)
			liveWrite(t, ctx, dsn, d.by, d.bySite, "live-after")
			liveWrite(t, ctx, dsn, d.survTen, d.survivor, "live-after-survivor")

			var restored []int64
			env := &Env{
				Stack: d.s, Backups: d.backups, T0: t0, Before: before, IDs: d.targets.SiteIDs,
				Params: Params{BatchSize: 2, Parallelism: 2}, Progress: os.Stderr,
				OnTenantsRestored: func(ts []int64, at time.Time) { restored = append(restored, ts...) },
			}
			rb, err := RunRunbook(ctx, tt.runbook, env)
			if err != nil {
				t.Fatalf("%s: %v", tt.runbook, err)
			}
			t.Logf("%s: %.0f ms, %d steps, copy %+v (%.0f rows/s)", tt.runbook, rb.DurationMS, len(rb.Steps), env.Copy, env.Copy.RowsPerSecond())
			for _, st := range rb.Steps {
				t.Logf("step %-70s %8.0f ms", st.Name, st.DurationMS)
			}
			for _, want := range tt.wantSteps {
				if !slices.ContainsFunc(rb.Steps, func(st results.Step) bool { return strings.HasPrefix(st.Name, want) && st.Error == "" }) {
					t.Errorf("no successful step starting %q", want)
				}
			}
			for _, no := range tt.noSteps {
				if slices.ContainsFunc(rb.Steps, func(st results.Step) bool { return strings.HasPrefix(st.Name, no) }) {
					t.Errorf("a step starting %q ran", no)
				}
			}
			if len(env.Findings) != 0 {
				t.Errorf("findings %q, want none", env.Findings)
			}

			if tt.runbook == "tenant-restore" {
				// Ground truth of the copy figures: every purged row written back (with a site,
				// the victim's live record written before T0), every row the affected tenants
				// had before (and that live record) read from the side db.
				if env.Copy.RowsWritten != purged {
					t.Errorf("rows written %d, want %d", env.Copy.RowsWritten, purged)
				}
				want := int64(1)
				for _, id := range d.targets.Tenants {
					for _, ts := range before.Tenants[id].Tables {
						want += ts.Rows
					}
				}
				if env.Copy.RowsRead != want {
					t.Errorf("rows read %d, want %d", env.Copy.RowsRead, want)
				}
			}
			if !slices.Equal(env.Blast.Tenants, d.targets.Tenants) {
				t.Errorf("blast radius tenants %v, want the victims %v", env.Blast.Tenants, d.targets.Tenants)
			}
			if !slices.Equal(env.Blast.Sites, wantSites) {
				t.Errorf("blast radius sites %v, want %v", env.Blast.Sites, wantSites)
			}
			slices.Sort(restored)
			if !slices.Equal(slices.Compact(restored), d.targets.Tenants) {
				t.Errorf("OnTenantsRestored got %v, want %v", restored, d.targets.Tenants)
			}
			if diff := before.Diff(manifest(t, ctx, dsn, d.scope)); len(diff) != 0 {
				t.Errorf("after %s, %d tenants differ from the pre-incident manifest: %+v", tt.runbook, len(diff), diff)
			}
			if !hasRecord(t, ctx, dsn, d.bySite, "live-before") {
				t.Errorf("bystander write before T0 lost")
			}
			if !hasRecord(t, ctx, dsn, victim, "live-before-victim") {
				t.Errorf("victim's write before T0 lost (RPO > 0 although the WAL was switched)")
			}
			if got := hasRecord(t, ctx, dsn, d.bySite, "live-after"); got == tt.collateralGone {
				t.Errorf("bystander write after T0 present = %v, want %v", got, !tt.collateralGone)
			}
			if got := hasRecord(t, ctx, dsn, d.survivor, "live-after-survivor"); got == tt.collateralGone {
				t.Errorf("write after T0 on a victim tenant's surviving site present = %v, want %v", got, !tt.collateralGone)
			}
		})
	}
}

// TestTenantRestoreCancelled cancels tenant-restore after its first batch: it must stop at once
// with the context's error, leave the first batch restored, and remove its side database.
func TestTenantRestoreCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second})
	before := manifest(t, ctx, d.s.DSN(), d.scope)
	t0 := time.Now()
	sqlIncident(t, ctx, d.s.DSN(), "purge", d.targets.SiteIDs)

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var batches int
	env := &Env{
		Stack: d.s, Backups: d.backups, T0: t0, Before: before,
		Params: Params{BatchSize: 1, Parallelism: 1},
		OnTenantsRestored: func([]int64, time.Time) {
			batches++
			stop()
		},
	}
	rb, err := RunRunbook(rctx, "tenant-restore", env)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if batches != 1 || env.Copy.Batches != 1 {
		t.Errorf("%d batches reported, %d copied; want 1 before the cancellation took effect", batches, env.Copy.Batches)
	}
	if rb.Error == "" {
		t.Errorf("results.Runbook has no error")
	}
	if id, err := d.s.ContainerID(SideAlias); err == nil {
		t.Errorf("side db %s still known to the stack after cancellation", id)
	}
	if n := sideContainers(t, d.s); n != 0 {
		t.Errorf("%d side db containers left after cancellation", n)
	}
	if diff := before.Diff(manifest(t, ctx, d.s.DSN(), d.scope)); len(diff) != len(d.targets.Tenants)-1 {
		t.Errorf("%d tenants still differ, want all but the first batch's one (%d)", len(diff), len(d.targets.Tenants)-1)
	}
}

// TestTenantRestoreWithoutWALSwitch is the ground truth of RPO > 0 for tenant-restore: with a
// long archive_timeout and no forced switch, the WAL holding T0 is not archived, so the side
// db cannot reach T0; the runbook restores the tenants as of the archive's end, says so, and
// the victim's write acknowledged before T0 (after the backup) is lost.
func TestTenantRestoreWithoutWALSwitch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := seedTiny(t, ctx, stack.Config{WithoutApp: true, ArchiveTimeout: time.Hour})
	dsn := d.s.DSN()
	before := manifest(t, ctx, dsn, d.scope)
	victim, victimTenant := d.victimSite()
	liveWrite(t, ctx, dsn, victimTenant, victim, "live-before-victim")
	t0 := time.Now()
	sqlIncident(t, ctx, dsn, "purge", d.targets.SiteIDs)
	liveWrite(t, ctx, dsn, d.by, d.bySite, "live-after")

	env := &Env{Stack: d.s, Backups: d.backups, T0: t0, Before: before, Params: Params{NoWALSwitch: true}, Progress: os.Stderr}
	if _, err := RunRunbook(ctx, "tenant-restore", env); err != nil {
		t.Fatal(err)
	}
	// The first finding says T0 was not reached; the next what was reached instead.
	if len(env.Findings) < 2 || !strings.Contains(env.Findings[0], ErrTargetNotReached.Error()) || !strings.Contains(env.Findings[1], "before T0") {
		t.Errorf("findings %q, want one saying T0 was not reached, then the point reached", env.Findings)
	}
	if diff := before.Diff(manifest(t, ctx, dsn, d.scope)); len(diff) != 0 {
		t.Errorf("%d tenants differ from the manifest: %+v", len(diff), diff)
	}
	if hasRecord(t, ctx, dsn, victim, "live-before-victim") {
		t.Errorf("victim's write before T0 restored although its WAL was never archived")
	}
	if !hasRecord(t, ctx, dsn, d.bySite, "live-after") {
		t.Errorf("bystander write after T0 lost by a tenant restore")
	}
}

// sideContainers counts the containers of s's run that are a side db (running or not).
func sideContainers(t *testing.T, s *stack.Stack) int {
	t.Helper()
	pool, err := newPool()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{
		"label": {stack.LabelRun + "=" + s.RunID(), stack.LabelService + "=" + SideAlias}}})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}
