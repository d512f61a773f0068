package scenarios

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/stacks/reference/saas"
	"github.com/drdrill/drdrill/tenancy"
)

// ownedRefRows: 5 tenants × 3 sites, and under every site 3 products, 3 users, 2 apps and 4
// records; IDs from one shared space (tenants 1–5, sites 101–503, the others 1xxxx–4xxxx).
const ownedRefRows = `
INSERT INTO tenants SELECT t, 'tenant ' || t, 'free', '2026-01-01Z', NULL FROM generate_series(1, 5) t;
INSERT INTO sites SELECT 100*t + s, t, 'site-' || t || '-' || s, '2026-01-01Z', NULL FROM generate_series(1, 5) t, generate_series(1, 3) s;
INSERT INTO products SELECT 10000 + id*10 + k, tenant_id, id, 'kind', 5, '2026-01-01Z', NULL FROM sites, generate_series(1, 3) k;
INSERT INTO users SELECT 20000 + id*10 + k, tenant_id, id, 'u' || k || '@' || hostname, 'User', '2026-01-01Z', NULL FROM sites, generate_series(1, 3) k;
INSERT INTO apps SELECT 30000 + id*10 + k, tenant_id, id, 'app-' || k, 'App', '1.0', '2026-01-01Z', NULL FROM sites, generate_series(1, 2) k;
INSERT INTO records SELECT 40000 + id*10 + k, tenant_id, id, 'seed-' || k, md5(id::text || k), '2026-01-01Z' FROM sites, generate_series(1, 4) k;`

// ownedRefIncident, after T0: tenant 1 loses two of its sites for good, a site of tenant 2 and
// its products are marked deleted, and tenant 2 writes a new record and changes another (both
// must survive the restore).
const ownedRefIncident = `
DELETE FROM sites WHERE id IN (101, 102);
UPDATE sites SET deleted_at = now() WHERE id = 201;
UPDATE products SET deleted_at = now() WHERE site_id = 201;
INSERT INTO records VALUES (99999, 2, 202, 'live-1', 'after t0', '2026-06-01Z');
UPDATE records SET value = 'changed after t0' WHERE id = 42031;`

// ownedNotesSQL: only orgs carry the tenant key. comments.page_ref has no foreign key (a
// declared join); workspaces.home_page_id closes a cycle with pages.workspace_id, nullable, so
// the model defers it.
const ownedNotesSQL = `
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL, deleted_at timestamptz);
CREATE TABLE workspaces (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs(id),
	name text NOT NULL, deleted_at timestamptz, home_page_id bigint);
CREATE TABLE pages (id bigint PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
	title text NOT NULL);
ALTER TABLE workspaces ADD FOREIGN KEY (home_page_id) REFERENCES pages(id);
CREATE TABLE blocks (id bigint PRIMARY KEY, page_id bigint NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
	parent_id bigint REFERENCES blocks(id) ON DELETE CASCADE, body text NOT NULL);
CREATE TABLE comments (id bigint PRIMARY KEY, page_ref bigint NOT NULL, body text NOT NULL);
INSERT INTO orgs SELECT o, 'org ' || o, NULL FROM generate_series(1, 3) o;
INSERT INTO workspaces SELECT o*100 + w, o, 'ws', NULL, NULL FROM generate_series(1, 3) o, generate_series(1, 2) w;
INSERT INTO pages SELECT w.id*10 + p, w.id, 'page' FROM workspaces w, generate_series(1, 2) p;
UPDATE workspaces SET home_page_id = id*10 + 1;
INSERT INTO blocks SELECT p.id*10 + 1, p.id, NULL, 'root' FROM pages p;
INSERT INTO blocks SELECT p.id*10 + b, p.id, p.id*10 + 1, 'child' FROM pages p, generate_series(2, 3) b;
INSERT INTO comments SELECT 100000 + p.id*10 + c, p.id, 'hi' FROM pages p, generate_series(1, 2) c;`

var ownedNotesDeclared = tenancy.Declared{
	TenantTable: "orgs", TenantKey: "id",
	UnitTable: "workspaces", UnitKey: "id", UnitTenantColumn: "org_id",
	Joins: []tenancy.Join{{Table: "comments", Column: "page_ref", RefTable: "pages", RefColumn: "id"}},
}

// ownedSchemasSQL: a schema per tenant, tenant_1 … tenant_3, each with 3 projects of 4 tasks.
func ownedSchemasSQL() string {
	var b strings.Builder
	b.WriteString("CREATE TABLE public.tenants (id bigint PRIMARY KEY, name text NOT NULL);\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, `CREATE SCHEMA tenant_%[1]d;
CREATE TABLE tenant_%[1]d.projects (id bigint PRIMARY KEY, name text NOT NULL, deleted_at timestamptz);
CREATE TABLE tenant_%[1]d.tasks (id bigint PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES tenant_%[1]d.projects(id) ON DELETE CASCADE, title text NOT NULL);
INSERT INTO public.tenants VALUES (%[1]d, 'tenant %[1]d');
INSERT INTO tenant_%[1]d.projects SELECT p, 'project ' || p, NULL FROM generate_series(1, 3) p;
INSERT INTO tenant_%[1]d.tasks SELECT p*10 + k, p, 'task ' || k FROM generate_series(1, 3) p, generate_series(1, 4) k;
`, i)
	}
	return b.String()
}

var ownedSchemasDeclared = tenancy.Declared{
	Model: tenancy.SchemaPerTenant, SchemaPattern: "tenant_{tenant}", TenantTable: "tenants",
	UnitTable: "projects", UnitKey: "id",
}

// TestCopyOwned runs every case on one server, each in databases of its own: the side one
// (as restored to T0) and the live one (after the incident).
func TestCopyOwned(t *testing.T) {
	prereq.RealContainers(t)
	db := pgtest.Start(t, pgtest.Options{})
	t.Run("reference", func(t *testing.T) { testOwnedReference(t, db) })
	t.Run("notes", func(t *testing.T) { testOwnedNotes(t, db) })
	t.Run("schema-per-tenant", func(t *testing.T) { testOwnedSchemas(t, db) })
	t.Run("errors", func(t *testing.T) { testOwnedErrors(t, db) })
	t.Run("own triggers kept", func(t *testing.T) { testOwnedTriggersKept(t, db) })
}

// testOwnedReference restores tenants 1 and 2 of the reference schema with copyTenants and with
// copyOwned, each into a live database of its own, and wants the same end state from both.
func testOwnedReference(t *testing.T, db *pgtest.DB) {
	ctx := context.Background()
	side := ownedDB(t, db, "")
	if err := saas.Migrate(ctx, side); err != nil {
		t.Fatal(err)
	}
	ownedExec(t, side, ownedRefRows)
	m, err := tenancy.Discover(ctx, side, tenancy.Declared{TenantTable: "tenants", TenantKey: "id",
		UnitTable: "sites", UnitKey: "id", UnitTenantColumn: "tenant_id"})
	if err != nil {
		t.Fatal(err)
	}
	tables := qualifiedNames(m, nil)
	want := ownedSums(t, side, tables)
	tenants := []int64{1, 2}

	cases := []struct {
		name string
		copy func(ctx context.Context, src, dst *pgxpool.Pool, t0 time.Time) (copyResult, error)
	}{
		{"copyTenants", func(ctx context.Context, src, dst *pgxpool.Pool, t0 time.Time) (copyResult, error) {
			return copyTenants(ctx, src, dst, tenants, t0)
		}},
		{"copyOwned", func(ctx context.Context, src, dst *pgxpool.Pool, t0 time.Time) (copyResult, error) {
			return copyOwned(ctx, src, dst, m, tenants, t0)
		}},
	}
	ends := map[string]map[string]string{}
	results := map[string]copyResult{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			live := ownedDB(t, db, "")
			if err := saas.Migrate(ctx, live); err != nil {
				t.Fatal(err)
			}
			ownedExec(t, live, ownedRefRows)
			t0 := serverNow(t, live)
			ownedExec(t, live, ownedRefIncident)

			res, err := c.copy(ctx, side, live, t0)
			if err != nil {
				t.Fatal(err)
			}
			results[c.name] = res
			ends[c.name] = ownedSums(t, live, tables)
			var value string
			if err := live.QueryRow(ctx, `SELECT string_agg(value, ',' ORDER BY id) FROM records WHERE id IN (42031, 99999)`).Scan(&value); err != nil {
				t.Fatal(err)
			}
			if value != "changed after t0,after t0" {
				t.Errorf("records written after T0 read %q, want both kept: changed after t0,after t0", value)
			}
			// Without the writes after T0, live is the side db again: tenants 1 and 2 whole,
			// tenants 3–5 untouched.
			ownedExec(t, live, `DELETE FROM records WHERE id = 99999; UPDATE records SET value = md5('2031') WHERE id = 42031`)
			wantSums(t, live, want)
		})
	}
	if a, b := ends["copyTenants"], ends["copyOwned"]; a != nil && b != nil && !maps.Equal(a, b) {
		t.Errorf("end states differ:\ncopyTenants %v\ncopyOwned   %v", a, b)
	}
	if a, b := results["copyTenants"], results["copyOwned"]; a.read != b.read || a.written != b.written {
		t.Errorf("copyTenants read %d wrote %d rows, copyOwned read %d wrote %d", a.read, a.written, b.read, b.written)
	}
}

// testOwnedNotes purges a workspace (its comments by hand: no foreign key), deletes a block and
// marks another workspace deleted, then restores orgs 1 and 2.
func testOwnedNotes(t *testing.T, db *pgtest.DB) {
	ctx := context.Background()
	side, live := ownedDB(t, db, ownedNotesSQL), ownedDB(t, db, ownedNotesSQL)
	m, err := tenancy.Discover(ctx, side, ownedNotesDeclared)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tableNames(m), []string{"orgs", "workspaces", "pages", "blocks", "comments"}; !slices.Equal(got, want) {
		t.Fatalf("model order %v, want %v", got, want)
	}
	if len(m.Deferred) != 1 || m.Deferred[0].Table != "workspaces" {
		t.Fatalf("deferred %v, want workspaces.home_page_id", m.Deferred)
	}
	tables := qualifiedNames(m, nil)
	want := ownedSums(t, side, tables)
	t0 := serverNow(t, live)
	ownedExec(t, live, `
DELETE FROM comments WHERE page_ref IN (SELECT id FROM pages WHERE workspace_id = 101);
DELETE FROM workspaces WHERE id = 101;
DELETE FROM blocks WHERE id = 20113;
UPDATE workspaces SET deleted_at = now() WHERE id = 201;`)
	before := ownedSums(t, live, tables)

	res, err := copyOwned(ctx, side, live, m, []int64{1, 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	wantSums(t, live, want)
	var lost int64
	for _, tb := range tables {
		lost += rowCount(want[tb]) - rowCount(before[tb])
	}
	if lost != 14 || res.written != lost+1 {
		t.Errorf("wrote %d rows, want the %d lost (14 expected) and one mark undone", res.written, lost)
	}
}

// testOwnedSchemas restores tenants 1 and 2 of a schema-per-tenant database: tenant 2 lost
// every task, tenant 1 a project (and its tasks, by cascade) and the mark of another.
func testOwnedSchemas(t *testing.T, db *pgtest.DB) {
	ctx := context.Background()
	side, live := ownedDB(t, db, ownedSchemasSQL()), ownedDB(t, db, ownedSchemasSQL())
	m, err := tenancy.Discover(ctx, side, ownedSchemasDeclared)
	if err != nil {
		t.Fatal(err)
	}
	tables := qualifiedNames(m, m.Tenants)
	want := ownedSums(t, side, tables)
	t0 := serverNow(t, live)
	ownedExec(t, live, `
TRUNCATE tenant_2.tasks;
DELETE FROM tenant_1.projects WHERE id = 1;
UPDATE tenant_1.projects SET deleted_at = now() WHERE id = 2;`)

	res, err := copyOwned(ctx, side, live, m, []int64{1, 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	wantSums(t, live, want)
	if res.written != 12+1+4+1 {
		t.Errorf("wrote %d rows, want 18: 12 tasks of tenant 2, a project and its 4 tasks of tenant 1, one mark undone", res.written)
	}
}

// ownedKindsSQL is the notes schema with pages referencing a shared table no tenant owns.
const ownedKindsSQL = ownedNotesSQL + `
CREATE TABLE kinds (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO kinds VALUES (1, 'doc'), (2, 'wiki');
ALTER TABLE pages ADD COLUMN kind_id bigint REFERENCES kinds(id);
UPDATE pages SET kind_id = 1 + id % 2;`

// ownedKindGone deletes workspace 101 (its pages of kind 1 and 2 with it), then kind 1
// everywhere live: the side's pages of kind 1 have no parent to come back to.
const ownedKindGone = `DELETE FROM workspaces WHERE id = 101;
UPDATE pages SET kind_id = 2 WHERE kind_id = 1; DELETE FROM kinds WHERE id = 1;`

// ownedAuditSQL gives pages a trigger of its own: an audit row per insert.
const ownedAuditSQL = `
CREATE TABLE audit (page_id bigint NOT NULL);
CREATE FUNCTION audit_page() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END$$;
CREATE TRIGGER pages_audit AFTER INSERT ON pages FOR EACH ROW EXECUTE FUNCTION audit_page();`

// testOwnedTriggersKept restores a workspace into a live database whose pages table has a
// trigger of its own: the copy must take the per-row path, so the trigger sees every page put
// back (replica mode would have skipped it silently).
func testOwnedTriggersKept(t *testing.T, db *pgtest.DB) {
	ctx := context.Background()
	side, live := ownedDB(t, db, ownedKindsSQL), ownedDB(t, db, ownedKindsSQL+ownedAuditSQL)
	m, err := tenancy.Discover(ctx, side, ownedNotesDeclared)
	if err != nil {
		t.Fatal(err)
	}
	want := ownedSums(t, side, qualifiedNames(m, nil))
	t0 := serverNow(t, live)
	ownedExec(t, live, `DELETE FROM workspaces WHERE id = 101`)
	if _, err := copyOwned(ctx, side, live, m, []int64{1}, t0); err != nil {
		t.Fatal(err)
	}
	wantSums(t, live, want)
	var audited int64
	if err := live.QueryRow(ctx, `SELECT count(*) FROM audit WHERE page_id IN (1011, 1012)`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("the trigger saw %d of the 2 pages put back", audited)
	}
}

// testOwnedErrors breaks the live database and wants the error to name what is at fault, and
// nothing written.
func testOwnedErrors(t *testing.T, db *pgtest.DB) {
	ctx := context.Background()
	cases := []struct {
		name     string
		sql      string
		declared tenancy.Declared
		tenants  []int64
		breakSQL string
		err      error
		says     []string
		// unchanged are tables the copy would have written to, had it gone through.
		unchanged []string
	}{
		{"a model table missing live", ownedNotesSQL, ownedNotesDeclared, []int64{1},
			`DROP TABLE comments; DELETE FROM workspaces WHERE id = 101`, nil,
			[]string{"tenants [1]", `table "public"."comments"`, "does not exist"},
			[]string{`"public"."workspaces"`, `"public"."pages"`, `"public"."blocks"`}},
		{"a table missing from a tenant schema", ownedSchemasSQL(), ownedSchemasDeclared, []int64{1, 2},
			`DROP TABLE tenant_2.tasks; DELETE FROM tenant_1.projects WHERE id = 1`, nil,
			[]string{"tenant 2", `table "tenant_2"."tasks"`, "does not exist"},
			[]string{`"tenant_1"."projects"`, `"tenant_1"."tasks"`}},
		{"a shared parent gone live (per-row checks skipped, checked once)", ownedKindsSQL, ownedNotesDeclared, []int64{1},
			ownedKindGone, ErrOrphanRow,
			[]string{"tenants [1]", "pages_kind_id_fkey", "pages (kind_id)=(1)", "no row in kinds"},
			[]string{`"public"."workspaces"`, `"public"."pages"`, `"public"."blocks"`}},
		{"a shared parent gone live, own trigger on a table (checked row by row)", ownedKindsSQL + ownedAuditSQL, ownedNotesDeclared, []int64{1},
			ownedKindGone, nil,
			[]string{"tenants [1]", "pages_kind_id_fkey", "(SQLSTATE 23503)"},
			[]string{`"public"."workspaces"`, `"public"."pages"`, `"public"."blocks"`, "audit"}},
		{"a tenant schema dropped", ownedSchemasSQL(), ownedSchemasDeclared, []int64{1, 3},
			`DROP SCHEMA tenant_3 CASCADE; DELETE FROM tenant_1.projects WHERE id = 1`, ErrSchemaGone,
			[]string{"tenant 3", "schema tenant_3", "full restore"},
			[]string{`"tenant_1"."projects"`, `"tenant_1"."tasks"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			side, live := ownedDB(t, db, c.sql), ownedDB(t, db, c.sql)
			m, err := tenancy.Discover(ctx, side, c.declared)
			if err != nil {
				t.Fatal(err)
			}
			ownedExec(t, live, c.breakSQL)
			before := ownedSums(t, live, c.unchanged)

			_, err = copyOwned(ctx, side, live, m, c.tenants, serverNow(t, live))
			if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
				t.Fatalf("error %v, want one (%v)", err, c.err)
			}
			t.Log(err) // what a user reads
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			wantSums(t, live, before) // one transaction: nothing came back
		})
	}
}

// BenchmarkCopyOwnedVsReference times copyTenants ("reference") and copyOwned ("generic")
// restoring the same 40 tenants, each of which lost one of its 3 sites, into fresh copies of one
// live database; "generic" reports its time over the reference's as generic/reference.
func BenchmarkCopyOwnedVsReference(b *testing.B) {
	prereq.RealContainers(b)
	ctx := context.Background()
	db := pgtest.Start(b, pgtest.Options{})
	admin := db.Pool(b)
	create := func(name, template string) {
		b.Helper()
		q := "CREATE DATABASE " + name
		if template != "" {
			q += " TEMPLATE " + template
		}
		if _, err := admin.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	open := func(name string) *pgxpool.Pool {
		b.Helper()
		p, err := pgxpool.New(ctx, databaseDSN(db, name))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}

	// 200 tenants × 3 sites × 100 rows (5 products, 20 users, 5 apps, 70 records).
	create("bench_seed", "")
	seed := open("bench_seed")
	for _, q := range []string{saas.SchemaSQL,
		`INSERT INTO tenants SELECT t, 'tenant ' || t, 'free', now(), NULL FROM generate_series(1, 200) t`,
		`INSERT INTO sites SELECT 1000*t + s, t, 'site-' || t || '-' || s, now(), NULL FROM generate_series(1, 200) t, generate_series(1, 3) s`,
		`INSERT INTO products SELECT 1e8 + id*100 + k, tenant_id, id, 'kind', 5, now(), NULL FROM sites, generate_series(1, 5) k`,
		`INSERT INTO users SELECT 2e8 + id*100 + k, tenant_id, id, 'u' || k || '@' || hostname, 'User', now(), NULL FROM sites, generate_series(1, 20) k`,
		`INSERT INTO apps SELECT 3e8 + id*100 + k, tenant_id, id, 'app-' || k, 'App', '1.0', now(), NULL FROM sites, generate_series(1, 5) k`,
		`INSERT INTO records SELECT 4e8 + id*100 + k, tenant_id, id, 'seed-' || k, md5(id::text || k), now() FROM sites, generate_series(1, 70) k`,
		saas.ConstraintsSQL, `VACUUM ANALYZE`,
	} {
		if _, err := seed.Exec(ctx, q); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
	seed.Close()
	create("bench_side", "bench_seed")
	create("bench_live", "bench_seed")
	side := open("bench_side")
	b.Cleanup(side.Close)
	// The incident: every fifth tenant loses its first site.
	live := open("bench_live")
	var tenants []int64
	for t := int64(5); t <= 200; t += 5 {
		tenants = append(tenants, t)
	}
	if _, err := live.Exec(ctx, `DELETE FROM sites WHERE tenant_id = ANY($1) AND id % 1000 = 1`, tenants); err != nil {
		b.Fatal(err)
	}
	live.Close()
	m, err := tenancy.Discover(ctx, side, tenancy.Declared{TenantTable: "tenants", TenantKey: "id",
		UnitTable: "sites", UnitKey: "id", UnitTenantColumn: "tenant_id"})
	if err != nil {
		b.Fatal(err)
	}

	perOp := map[string]float64{}
	var copies atomic.Int64
	for _, v := range []struct {
		name string
		copy func(ctx context.Context, dst *pgxpool.Pool) (copyResult, error)
	}{
		{"reference", func(ctx context.Context, dst *pgxpool.Pool) (copyResult, error) {
			return copyTenants(ctx, side, dst, tenants, time.Now())
		}},
		{"generic", func(ctx context.Context, dst *pgxpool.Pool) (copyResult, error) {
			return copyOwned(ctx, side, dst, m, tenants, time.Now())
		}},
	} {
		b.Run(v.name, func(b *testing.B) {
			var rows int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				name := fmt.Sprintf("bench_copy_%d", copies.Add(1))
				create(name, "bench_live")
				dst := open(name)
				if err := dst.Ping(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := v.copy(ctx, dst)
				b.StopTimer()
				dst.Close()
				if err != nil {
					b.Fatal(err)
				}
				rows = res.read
				if _, err := admin.Exec(ctx, "DROP DATABASE "+name); err != nil {
					b.Fatal(err)
				}
			}
			perOp[v.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(rows), "rows/op")
			if ref := perOp["reference"]; v.name == "generic" && ref > 0 {
				b.ReportMetric(perOp["generic"]/ref, "generic/reference")
			}
		})
	}
}

var ownedSeq atomic.Int64

// databaseDSN is the URL of database name on db's server.
func databaseDSN(db *pgtest.DB, name string) string {
	return strings.Replace(db.DSN(), "/postgres?", "/"+name+"?", 1)
}

// ownedDB creates a database on the server, runs sql in it and returns a pool on it.
func ownedDB(t testing.TB, db *pgtest.DB, sql string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("owned_%d", ownedSeq.Add(1))
	admin := db.Pool(t)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	admin.Close()
	pool, err := pgxpool.New(ctx, databaseDSN(db, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if sql != "" {
		ownedExec(t, pool, sql)
	}
	return pool
}

func ownedExec(t testing.TB, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

// serverNow is the server's clock: T0, just before the incident's statements.
func serverNow(t testing.TB, pool *pgxpool.Pool) time.Time {
	t.Helper()
	var now time.Time
	if err := pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

func tableNames(m *tenancy.Model) []string {
	var out []string
	for _, tb := range m.Tables {
		out = append(out, tb.Name)
	}
	return out
}

// qualifiedNames are the SQL names of the model's tables: in every schema of tenants under
// SchemaPerTenant.
func qualifiedNames(m *tenancy.Model, tenants []string) []string {
	var out []string
	for _, tb := range m.Tables {
		if m.Kind != tenancy.SchemaPerTenant {
			out = append(out, tb.QualifiedName())
			continue
		}
		for _, tn := range tenants {
			out = append(out, m.QualifiedName(tb.Name, tn))
		}
	}
	return out
}

// ownedSums returns "rows:md5 of the rows" for every table.
func ownedSums(t testing.TB, pool *pgxpool.Pool, tables []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range tables {
		var n int64
		var sum string
		q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(s::text, ',' ORDER BY s::text)), '') FROM %s s`, tb)
		if err := pool.QueryRow(context.Background(), q).Scan(&n, &sum); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		out[tb] = fmt.Sprintf("%d:%s", n, sum)
	}
	return out
}

// wantSums checks every table of want against the database: same rows, same content.
func wantSums(t testing.TB, pool *pgxpool.Pool, want map[string]string) {
	t.Helper()
	got := ownedSums(t, pool, slices.Sorted(maps.Keys(want)))
	for _, tb := range slices.Sorted(maps.Keys(want)) {
		if got[tb] != want[tb] {
			t.Errorf("%s: %s rows, want %s (rows:checksum)", tb, got[tb], want[tb])
		}
	}
}

func rowCount(sum string) int64 {
	var n int64
	fmt.Sscanf(sum, "%d:", &n)
	return n
}
