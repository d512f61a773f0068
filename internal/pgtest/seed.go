package pgtest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stacks/reference/saas"
)

var dbSeq atomic.Int64

// NewDatabase creates a fresh database with the saas schema on the server and returns a pool on
// it, closed when the test ends: tests of one package share a container, not data.
func (d *DB) NewDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, dbSeq.Add(1))
	admin := d.Pool(t)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	admin.Close()
	pool, err := pgxpool.New(ctx, strings.Replace(d.DSN(), "/postgres?", "/"+name+"?", 1))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := saas.Migrate(ctx, pool); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return pool
}

// Shape sizes a small seeded data set. The first app of every site is an installation of
// AppKey (the deprecated app); the others are "other-<n>".
type Shape struct {
	Tenants, SitesPerTenant, Products, Users, Apps, Records int
	AppKey                                                  string
}

// SeededSite is one seeded site and the ids of its apps, the AppKey one first.
type SeededSite struct {
	ID, TenantID int64
	AppIDs       []int64
}

// Seed fills an empty database with the shape and returns its sites in id order.
func Seed(t testing.TB, pool *pgxpool.Pool, s Shape) []SeededSite {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO tenants (id, name, plan, created_at)
			SELECT nextval('object_id'), 'tenant ' || g, 'free', now() FROM generate_series(1, $1::int) g`, []any{s.Tenants}},
		{`INSERT INTO sites (id, tenant_id, hostname, created_at)
			SELECT nextval('object_id'), t.id, 'site-' || t.id || '-' || g || '.example.com', now()
			FROM tenants t, generate_series(1, $1::int) g ORDER BY t.id, g`, []any{s.SitesPerTenant}},
		{`INSERT INTO products (id, tenant_id, site_id, kind, seats, created_at)
			SELECT nextval('object_id'), s.tenant_id, s.id, 'product-' || g, 10, now() FROM sites s, generate_series(1, $1::int) g`, []any{s.Products}},
		{`INSERT INTO users (id, tenant_id, site_id, email, name, created_at)
			SELECT nextval('object_id'), s.tenant_id, s.id, 'u' || g || '@' || s.hostname, 'User ' || g, now()
			FROM sites s, generate_series(1, $1::int) g`, []any{s.Users}},
		{`INSERT INTO apps (id, tenant_id, site_id, app_key, name, version, installed_at)
			SELECT nextval('object_id'), s.tenant_id, s.id, CASE WHEN g = 1 THEN $2::text ELSE 'other-' || g END, 'App ' || g, '1.0', now()
			FROM sites s, generate_series(1, $1::int) g ORDER BY s.id, g`, []any{s.Apps, s.AppKey}},
		{`INSERT INTO records (id, tenant_id, site_id, key, value, updated_at)
			SELECT nextval('object_id'), s.tenant_id, s.id, 'seed-' || g, md5(s.id::text || g), now()
			FROM sites s, generate_series(1, $1::int) g`, []any{s.Records}},
	}
	for _, st := range stmts {
		if _, err := pool.Exec(ctx, st.q, st.args...); err != nil {
			t.Fatalf("pgtest: seed: %v\n%s", err, st.q)
		}
	}
	rows, err := pool.Query(ctx, `SELECT s.id, s.tenant_id, coalesce(array_agg(a.id ORDER BY a.id) FILTER (WHERE a.id IS NOT NULL), '{}')
		FROM sites s LEFT JOIN apps a ON a.site_id = s.id GROUP BY s.id ORDER BY s.id`)
	if err != nil {
		t.Fatalf("pgtest: seed: %v", err)
	}
	defer rows.Close()
	var out []SeededSite
	for rows.Next() {
		var ss SeededSite
		if err := rows.Scan(&ss.ID, &ss.TenantID, &ss.AppIDs); err != nil {
			t.Fatalf("pgtest: seed: %v", err)
		}
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("pgtest: seed: %v", err)
	}
	return out
}
