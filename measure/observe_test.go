package measure

import (
	"context"
	"testing"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/internal/pgtest"
)

// TestDBObserver runs the observer's SQL on a real Postgres: what the customer can see is
// what counts, so records of soft-deleted sites and tenants are lost writes.
func TestDBObserver(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	db := pgtest.Start(t, pgtest.Options{})
	db.Migrate(t)
	pool := db.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO tenants (id, name, plan, created_at) VALUES (1, 'one', 'free', now()), (2, 'two', 'free', now())`)
	exec(`INSERT INTO sites (id, tenant_id, hostname, created_at) VALUES (10, 1, 'a', now()), (11, 1, 'b', now()), (20, 2, 'c', now())`)
	exec(`INSERT INTO records (id, tenant_id, site_id, key, value, updated_at) VALUES
		(100, 1, 10, 'seed-1', 's', now()), (101, 1, 10, 'live-w0-1', 'r-1', now()),
		(102, 1, 11, 'live-w0-2', 'r-2', now()), (103, 2, 20, 'live-w1-1', 'r-3', now())`)

	before, err := fixtures.TakeManifest(ctx, pool, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := DBObserver{DB: pool}.Observe(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs[1].Live) != 2 || len(obs[2].Live) != 1 {
		t.Fatalf("live records %+v", obs)
	}
	for _, id := range []int64{1, 2} {
		if ok, detail := JudgeData(before.Tenants[id], obs[id], nil); !ok {
			t.Errorf("tenant %d unchanged but judged %q", id, detail)
		}
	}

	// Soft-delete site 11 and tenant 2: their live records disappear from view, and the
	// manifest no longer matches.
	exec(`UPDATE sites SET deleted_at = now() WHERE id = 11`)
	exec(`UPDATE tenants SET deleted_at = now() WHERE id = 2`)
	obs, err = DBObserver{DB: pool}.Observe(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := JudgeData(before.Tenants[1], obs[1], nil); ok {
		t.Error("soft-deleted site judged OK")
	}
	live, err := LiveRecords(ctx, pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0].Key != "live-w0-1" || live[0].Value != "r-1" || live[0].Tenant != 1 || live[0].Site != 10 {
		t.Fatalf("visible live records %+v, want only live-w0-1 of site 10", live)
	}
	writes := []Write{
		{Seq: 1, Tenant: 1, Site: 10, Key: "live-w0-1", Value: "r-1", At: t0.Add(-3 * time.Second), Outcome: Acked},
		{Seq: 2, Tenant: 1, Site: 11, Key: "live-w0-2", Value: "r-2", At: t0.Add(-2 * time.Second), Outcome: Acked},
		{Seq: 3, Tenant: 2, Site: 20, Key: "live-w1-1", Value: "r-3", At: t0.Add(-1 * time.Second), Outcome: Acked},
	}
	loss := CheckWrites(writes, live, t0)
	if loss[1].Lost != 1 || loss[1].RPO != 2*time.Second || loss[2].Lost != 1 || loss[2].RPO != time.Second {
		t.Errorf("loss %+v, want one write lost per tenant", loss)
	}
}
