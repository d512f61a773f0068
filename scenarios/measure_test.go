package scenarios

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/stack"
)

// TestMeasureRestores times tenant-restore and full-pitr on a mid-size database (about half a
// million rows; 10 % of the tenants purged). It checks the restores like the other tests and
// logs the figures. Set DRDRILL_MEASURE=1 to run it: it takes a minute of both cores.
func TestMeasureRestores(t *testing.T) {
	if os.Getenv("DRDRILL_MEASURE") == "" {
		t.Skip("set DRDRILL_MEASURE=1 to measure restore times")
	}
	p := fixtures.Profile{Name: "measure", Tenants: 400, SitesPerTenant: 1.14, ProductsPerSite: 3, UsersPerSite: 20,
		AppsPerSite: 2, RecordsPerSite: 1000, VictimTenants: 40, VictimSites: 46}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := startStack(t, stack.Config{WithoutApp: true, ArchiveTimeout: 5 * time.Second})
	pool, err := pgxpool.New(ctx, s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	st, err := fixtures.Seed(ctx, pool, p, 7, nil)
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}
	g, _ := fixtures.NewGenerator(p, 7)
	targets := g.Targets()
	var scope []int64
	for i := range p.Tenants {
		scope = append(scope, g.TenantID(i))
	}
	backups := NewBackups(s, nil)
	bk, err := backups.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, size, _ := s.Exec(ctx, stack.DB, []string{"du", "-sh", bk.Dir})
	t.Logf("seeded %d rows in %v; base backup %s in %v (%s)", st.TotalRows, st.Duration.Round(time.Millisecond), bk.Name, bk.Finished.Sub(bk.Started).Round(time.Millisecond), size)
	before := manifest(t, ctx, s.DSN(), scope)

	for _, rbName := range []string{"tenant-restore", "full-pitr"} {
		t0 := time.Now()
		sqlIncident(t, ctx, s.DSN(), "purge", targets.SiteIDs)
		env := &Env{Stack: s, Backups: backups, T0: t0, Before: before, Params: Params{BatchSize: 10, Parallelism: 2}}
		rb, err := RunRunbook(ctx, rbName, env)
		if err != nil {
			t.Fatal(err)
		}
		if diff := before.Diff(manifest(t, ctx, s.DSN(), scope)); len(diff) != 0 {
			t.Fatalf("%s: %d tenants differ", rbName, len(diff))
		}
		t.Logf("%s: %d tenants, total %.2fs", rbName, len(env.Blast.Tenants), rb.DurationMS/1000)
		for _, step := range rb.Steps {
			t.Logf("  %-45s %7.2fs", step.Name, step.DurationMS/1000)
		}
		if rbName == "tenant-restore" {
			t.Logf("  copy: %d batches, %d rows read, %d written in %v: %.0f rows/s read", env.Copy.Batches, env.Copy.RowsRead, env.Copy.RowsWritten, env.Copy.Duration.Round(time.Millisecond), env.Copy.RowsPerSecond())
		}
	}
}
