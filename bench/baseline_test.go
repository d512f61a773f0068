package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// TestCopyBack checks both copy-back baselines against known rows: a side database holding
// seven more records for one of the two tenants than the live one must be copied whole (its
// count, not the live one's), the live tables must come out of copyBackLive exactly as they
// went in (rolled back), and copyBackEmpty must move the same rows and drop its schema.
func TestCopyBack(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	shape := pgtest.Shape{Tenants: 5, SitesPerTenant: 2, Products: 2, Users: 3, Apps: 2, Records: 20, AppKey: "app"}
	live, side := db.NewDatabase(t), db.NewDatabase(t)
	sites := pgtest.Seed(t, live, shape)
	pgtest.Seed(t, side, shape)
	ctx := context.Background()
	tenants := []int64{sites[0].TenantID, sites[len(sites)-1].TenantID}
	if _, err := side.Exec(ctx, `INSERT INTO records (id, tenant_id, site_id, key, value, updated_at)
		SELECT nextval('object_id'), $1, $2, 'seed-extra-' || g, 'x', now() FROM generate_series(1, 7) g`, sites[0].TenantID, sites[0].ID); err != nil {
		t.Fatal(err)
	}
	// Ground truth: the side's rows of the two tenants, counted table by table.
	var want int64
	for _, table := range saas.Tables {
		var n int64
		if err := side.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = ANY($1)", table, tenantColumn(table)), tenants).Scan(&n); err != nil {
			t.Fatal(err)
		}
		want += n
	}
	fingerprint := func() string {
		var out string
		for _, table := range saas.Tables {
			var n, sum int64
			if err := live.QueryRow(ctx, fmt.Sprintf("SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM %s t", table)).Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s %d %d; ", table, n, sum)
		}
		return out
	}
	before := fingerprint()
	conn, err := side.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	took, rows, err := copyBackLive(ctx, conn.Conn().PgConn(), live, tenants)
	if err != nil {
		t.Fatal(err)
	}
	if rows != want || took <= 0 {
		t.Errorf("into the live tables: %d rows in %s, want the side's %d (7 more than the live database has)", rows, took, want)
	}
	if after := fingerprint(); after != before {
		t.Errorf("the live tables changed: before %s, after %s", before, after)
	}

	took, rows, err = copyBackEmpty(ctx, conn.Conn().PgConn(), live, tenants)
	if err != nil {
		t.Fatal(err)
	}
	if rows != want || took <= 0 {
		t.Errorf("into empty tables: %d rows in %s, want %d", rows, took, want)
	}
	if n := schemas(t, live, "drdrill_benchcopy"); n != 0 {
		t.Errorf("the empty tables' schema is left behind")
	}
}

func schemas(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
