package tenancy

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.yaml.in/yaml/v3"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

var update = flag.Bool("update", false, "rewrite the golden stack files in testdata/")

// The notes schema: only the root carries the tenant key. comments.page_ref has no foreign key
// (the app keeps it), comments.author_id neither and names no table; plans is a lookup table.
const notesSQL = `
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL, plan_id bigint REFERENCES plans(id),
	created_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz);
CREATE TABLE workspaces (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	name text NOT NULL, deleted_at timestamptz);
CREATE TABLE pages (id bigint PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
	title text NOT NULL);
CREATE TABLE blocks (id bigint PRIMARY KEY, page_id bigint NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
	parent_id bigint REFERENCES blocks(id), body text NOT NULL);
CREATE TABLE comments (id bigint PRIMARY KEY, page_ref bigint NOT NULL, author_id bigint, body text NOT NULL);`

// notesRows: 3 orgs; 2 workspaces an org, 2 pages a workspace, 3 blocks a page (the last two
// children of the first), 2 comments a page. IDs encode their org: org*1e6 + ….
const notesRows = `
INSERT INTO plans VALUES (1, 'free'), (2, 'team');
INSERT INTO orgs (id, name, plan_id) SELECT o, 'org ' || o, 1 + o % 2 FROM generate_series(1, 3) o;
INSERT INTO workspaces SELECT o*1000000 + w, o, 'ws' FROM generate_series(1, 3) o, generate_series(1, 2) w;
INSERT INTO pages SELECT w.id*10 + p, w.id, 'page' FROM workspaces w, generate_series(1, 2) p;
INSERT INTO blocks SELECT p.id*10 + 1, p.id, NULL, 'root' FROM pages p;
INSERT INTO blocks SELECT p.id*10 + b, p.id, p.id*10 + 1, 'child' FROM pages p, generate_series(2, 3) b;
INSERT INTO comments SELECT p.id*10 + c, p.id, NULL, 'hi' FROM pages p, generate_series(1, 2) c;`

var notesDeclared = Declared{
	TenantTable: "orgs", TenantKey: "id",
	UnitTable: "workspaces", UnitKey: "id", UnitTenantColumn: "org_id",
}

var notesJoin = Join{Table: "comments", Column: "page_ref", RefTable: "pages", RefColumn: "id"}

// TestDiscoverPostgres runs every case that needs a real server on one container, each in a
// database of its own.
func TestDiscoverPostgres(t *testing.T) {
	prereq.RealContainers(t)
	db := pgtest.Start(t, pgtest.Options{})
	t.Run("reference", func(t *testing.T) { testReference(t, newDatabase(t, db, "")) })
	t.Run("notes", func(t *testing.T) { testNotes(t, newDatabase(t, db, notesSQL+notesRows)) })
	t.Run("schema-per-tenant", func(t *testing.T) { testSchemaPerTenant(t, newDatabase(t, db, "")) })
	t.Run("errors", func(t *testing.T) { testErrors(t, newDatabase(t, db, notesSQL)) })
}

var dbSeq atomic.Int64

// newDatabase creates a database on the server, runs ddl in it and returns a pool on it.
func newDatabase(t *testing.T, db *pgtest.DB, ddl string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("tenancy_%d", dbSeq.Add(1))
	if _, err := db.Pool(t).Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	pool, err := pgxpool.New(ctx, strings.Replace(db.DSN(), "/postgres?", "/"+name+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if ddl != "" {
		if _, err := pool.Exec(ctx, ddl); err != nil {
			t.Fatalf("%v\n%s", err, ddl)
		}
	}
	return pool
}

func exec(t *testing.T, q *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := q.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

func tableNames(ts []Table) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// parentsFirst checks that every reference between owned tables goes to an earlier table.
func parentsFirst(t *testing.T, m *Model) {
	t.Helper()
	pos := map[string]int{}
	for i, tb := range m.Tables {
		pos[tb.Name] = i
	}
	for _, tb := range m.Tables {
		for _, e := range tb.Path {
			if pos[e.Table] <= pos[e.RefTable] {
				t.Errorf("%s comes before %s, which it references (%s)", e.Table, e.RefTable, e)
			}
		}
	}
}

func testReference(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()
	if err := saas.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	d := Declared{Model: ForeignKeys, TenantTable: "tenants", TenantKey: "id", UnitTable: "sites", UnitKey: "id", UnitTenantColumn: "tenant_id"}
	m, err := Discover(ctx, pool, d)
	if err != nil {
		t.Fatal(err)
	}
	if got := tableNames(m.Tables); len(got) != len(saas.Tables) || got[0] != "tenants" || got[1] != "sites" {
		t.Errorf("order %v, want tenants, sites, then the other tables of %v", got, saas.Tables)
	}
	parentsFirst(t, m)
	if len(m.Shared) != 0 || len(m.Hints) != 0 {
		t.Errorf("shared %v, hints %v: want none", m.Shared, m.Hints)
	}
	if m.SoftDelete != "deleted_at" {
		t.Errorf("soft delete %q, want deleted_at", m.SoftDelete)
	}
	for _, tb := range m.Tables {
		wantDirect, wantUnder := "tenant_id", tb.Name != "tenants"
		if tb.Name == "tenants" {
			wantDirect = "id"
		}
		if tb.Direct != wantDirect || len(tb.Path) != 0 || tb.UnderUnit != wantUnder {
			t.Errorf("%s: direct %q path [%s] under unit %v, want direct %q, no path, under unit %v",
				tb.Name, tb.Direct, paths(tb.Path), tb.UnderUnit, wantDirect, wantUnder)
		}
		if wantUnder && tb.Name != "sites" && (tb.UnitColumn != "site_id" || len(tb.UnitPath) != 0) {
			t.Errorf("%s: unit route [%s] %s, want its site_id", tb.Name, paths(tb.UnitPath), tb.UnitColumn)
		}
	}

	// The builders agree with the reference schema's own tenant_id on seeded rows.
	sites := pgtest.Seed(t, pool, pgtest.Shape{Tenants: 4, SitesPerTenant: 2, Products: 2, Users: 3, Apps: 2, Records: 5, AppKey: "x"})
	chosen := []int64{sites[0].TenantID, sites[len(sites)-1].TenantID}
	for _, tb := range m.Tables {
		var got, want int64
		mustScan(t, pool, "SELECT count(*) FROM ("+tb.SelectOwned("$1")+") s", []any{chosen}, &got)
		mustScan(t, pool, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = ANY($1)", tb.Name, tb.Direct), []any{chosen}, &want)
		if got != want || got == 0 {
			t.Errorf("%s: SelectOwned gave %d rows, want %d", tb.Name, got, want)
		}
	}
	golden(t, "reference.yaml", m, "postgres://drdrill@db:5432/drdrill")
}

func mustScan(t *testing.T, q Querier, sql string, args []any, dest ...any) {
	t.Helper()
	if err := q.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

func testNotes(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()

	without, err := Discover(ctx, pool, notesDeclared)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"comments", "plans"}; !slices.Equal(without.Shared, want) {
		t.Errorf("without the join: shared %v, want %v", without.Shared, want)
	}
	if !strings.Contains(without.Reasons["plans"], "lookup table referenced by orgs.plan_id") {
		t.Errorf("plans: reason %q, want it called a lookup table of orgs.plan_id", without.Reasons["plans"])
	}
	wantHints := []Join{{"comments", "page_ref", "pages", "id"}, {"comments", "author_id", "", ""}}
	if !slices.Equal(without.Hints, wantHints) {
		t.Errorf("hints %v, want %v", without.Hints, wantHints)
	}

	d := notesDeclared
	d.Joins = []Join{notesJoin}
	m, err := Discover(ctx, pool, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"orgs", "workspaces", "pages", "blocks", "comments"}; !slices.Equal(tableNames(m.Tables), want) {
		t.Errorf("order %v, want %v", tableNames(m.Tables), want)
	}
	if want := []string{"plans"}; !slices.Equal(m.Shared, want) {
		t.Errorf("shared %v, want %v", m.Shared, want)
	}
	if m.SoftDelete != "deleted_at" || m.Database == "" {
		t.Errorf("soft delete %q, database %q", m.SoftDelete, m.Database)
	}
	routes := []struct {
		table, path, col, unitPath, unitCol string
		under                               bool
	}{
		{"orgs", "", "id", "", "", false},
		{"workspaces", "", "org_id", "", "id", true},
		{"pages", "pages.workspace_id -> workspaces.id", "org_id", "", "workspace_id", true},
		{"blocks", "blocks.page_id -> pages.id, pages.workspace_id -> workspaces.id", "org_id", "blocks.page_id -> pages.id", "workspace_id", true},
		{"comments", "comments.page_ref -> pages.id, pages.workspace_id -> workspaces.id", "org_id", "comments.page_ref -> pages.id", "workspace_id", true},
	}
	for _, r := range routes {
		tb, _ := m.Table(r.table)
		if paths(tb.Path) != r.path || tb.TenantColumn != r.col || tb.UnderUnit != r.under ||
			paths(tb.UnitPath) != r.unitPath || tb.UnitColumn != r.unitCol {
			t.Errorf("%s: route [%s] %s, unit %v [%s] %s; want [%s] %s, unit %v [%s] %s", r.table,
				paths(tb.Path), tb.TenantColumn, tb.UnderUnit, paths(tb.UnitPath), tb.UnitColumn,
				r.path, r.col, r.under, r.unitPath, r.unitCol)
		}
	}
	if b, _ := m.Table("blocks"); len(b.SelfRefs) != 1 || b.SelfRefs[0].String() != "blocks.parent_id -> blocks.id" {
		t.Errorf("blocks: self-references %v, want parent_id", b.SelfRefs)
	}

	// The SQL returns exactly the rows of the chosen tenants: IDs encode their org.
	perOrg := map[string]int64{"orgs": 1, "workspaces": 2, "pages": 4, "blocks": 12, "comments": 8}
	scale := map[string]int64{"orgs": 1, "workspaces": 1e6, "pages": 1e7, "blocks": 1e8, "comments": 1e8}
	chosen := []int64{1, 3}
	for _, tb := range m.Tables {
		rows, err := pool.Query(ctx, "SELECT id FROM ("+tb.SelectOwned("$1")+") s ORDER BY id", chosen)
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(ids)) != perOrg[tb.Name]*int64(len(chosen)) {
			t.Errorf("%s: %d rows of orgs %v, want %d", tb.Name, len(ids), chosen, perOrg[tb.Name]*int64(len(chosen)))
		}
		for _, id := range ids {
			if org := id / scale[tb.Name]; !slices.Contains(chosen, org) {
				t.Errorf("%s: row %d of org %d among the rows of orgs %v", tb.Name, id, org, chosen)
			}
		}
		counts := map[int64]int64{}
		rows, err = pool.Query(ctx, tb.CountByTenant(""))
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		var tenant, n int64
		if _, err := pgx.ForEachRow(rows, []any{&tenant, &n}, func() error { counts[tenant] = n; return nil }); err != nil {
			t.Fatal(err)
		}
		if want := (map[int64]int64{1: perOrg[tb.Name], 2: perOrg[tb.Name], 3: perOrg[tb.Name]}); !mapsEqual(counts, want) {
			t.Errorf("%s: counts by tenant %v, want %v", tb.Name, counts, want)
		}
		if tb.UnderUnit {
			var got int64
			mustScan(t, pool, "SELECT count(*) FROM ("+tb.SelectUnderUnits("$1")+") s", []any{[]int64{2000001}}, &got)
			if want := perOrg[tb.Name] / 2; got != want {
				t.Errorf("%s: %d rows under workspace 2000001, want %d", tb.Name, got, want)
			}
		}
	}
	golden(t, "notes.yaml", m, "postgres://app@db.example.com:5432/notes")
	golden(t, "notes-without-joins.yaml", without, "postgres://app@db.example.com:5432/notes")
}

func mapsEqual(a, b map[int64]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func testSchemaPerTenant(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()
	exec(t, pool, `CREATE TABLE public.tenants (id bigint PRIMARY KEY, name text NOT NULL)`)
	for i := 1; i <= 3; i++ {
		exec(t, pool, fmt.Sprintf(`
CREATE SCHEMA tenant_%[1]d;
CREATE TABLE tenant_%[1]d.projects (id bigint PRIMARY KEY, name text NOT NULL, deleted_at timestamptz);
CREATE TABLE tenant_%[1]d.tasks (id bigint PRIMARY KEY, project_id bigint NOT NULL REFERENCES tenant_%[1]d.projects(id), title text NOT NULL);
CREATE TABLE tenant_%[1]d.labels (id bigint PRIMARY KEY, task_id bigint REFERENCES tenant_%[1]d.tasks(id), name text NOT NULL);
INSERT INTO public.tenants VALUES (%[1]d, 'tenant %[1]d');
INSERT INTO tenant_%[1]d.projects SELECT p, 'p', NULL FROM generate_series(1, %[1]d) p;
INSERT INTO tenant_%[1]d.tasks SELECT p*10 + k, p, 't' FROM generate_series(1, %[1]d) p, generate_series(1, 4) k;`, i))
	}
	d := Declared{Model: SchemaPerTenant, SchemaPattern: "tenant_{tenant}", TenantTable: "tenants", UnitTable: "projects", UnitKey: "id"}
	m, err := Discover(ctx, pool, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tenant_1", "tenant_2", "tenant_3"}; !slices.Equal(m.Schemas, want) || m.Template != "tenant_1" {
		t.Errorf("schemas %v template %s, want %v, tenant_1", m.Schemas, m.Template, want)
	}
	if want := []string{"projects", "tasks", "labels"}; !slices.Equal(tableNames(m.Tables), want) {
		t.Errorf("order %v, want %v", tableNames(m.Tables), want)
	}
	if m.TenantKey != "id" || m.SoftDelete != "deleted_at" {
		t.Errorf("tenant key %q, soft delete %q", m.TenantKey, m.SoftDelete)
	}
	if got := m.QualifiedName("tasks", "2"); got != `"tenant_2"."tasks"` {
		t.Errorf("qualified name %s", got)
	}
	tasks, _ := m.InTenant("tasks", "3")
	var n int64
	mustScan(t, pool, "SELECT count(*) FROM ("+tasks.SelectOwned("$1")+") s", nil, &n) // the schema is the tenant
	if n != 12 {
		t.Errorf("tasks of tenant 3: %d, want 12", n)
	}
	mustScan(t, pool, "SELECT count(*) FROM ("+tasks.SelectUnderUnits("$1")+") s", []any{[]int64{2}}, &n)
	if n != 4 {
		t.Errorf("tasks of tenant 3's project 2: %d, want 4", n)
	}
	rows, err := pool.Query(ctx, m.CountBySchema("tasks", m.Tenants))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	var tenant string
	if _, err := pgx.ForEachRow(rows, []any{&tenant, &n}, func() error { counts[tenant] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	if counts["1"] != 4 || counts["2"] != 8 || counts["3"] != 12 {
		t.Errorf("tasks by schema %v", counts)
	}
	golden(t, "schema-per-tenant.yaml", m, "postgres://app@db:5432/projects")

	// A tenant schema that lost a table and grew another is named, with both.
	exec(t, pool, `CREATE SCHEMA tenant_10;
CREATE TABLE tenant_10.projects (id bigint PRIMARY KEY, name text NOT NULL, deleted_at timestamptz);
CREATE TABLE tenant_10.tasks (id bigint PRIMARY KEY, project_id bigint NOT NULL, title text NOT NULL);
CREATE TABLE tenant_10.audit (id bigint PRIMARY KEY)`)
	_, err = Discover(ctx, pool, d)
	if !errors.Is(err, ErrSchemaDiffers) || !strings.Contains(err.Error(), "schema tenant_10 lacks labels and has extra audit") {
		t.Errorf("error %v, want tenant_10 reported lacking labels with extra audit (%v)", err, ErrSchemaDiffers)
	}

	d.SchemaPattern = "client_{tenant}"
	if _, err := Discover(ctx, pool, d); !errors.Is(err, ErrNoSchemas) {
		t.Errorf("error %v, want %v", err, ErrNoSchemas)
	}
}

func testErrors(t *testing.T, pool *pgxpool.Pool) {
	// Schema cyc: a and b reference each other NOT NULL; c hangs below them.
	exec(t, pool, `CREATE SCHEMA cyc;
CREATE TABLE cyc.orgs (id bigint PRIMARY KEY);
CREATE TABLE cyc.a (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES cyc.orgs(id), b_id bigint NOT NULL);
CREATE TABLE cyc.b (id bigint PRIMARY KEY, a_id bigint NOT NULL REFERENCES cyc.a(id));
ALTER TABLE cyc.a ADD FOREIGN KEY (b_id) REFERENCES cyc.b(id);
CREATE TABLE cyc.c (id bigint PRIMARY KEY, b_id bigint NOT NULL REFERENCES cyc.b(id));`)
	with := func(f func(*Declared)) Declared {
		d := notesDeclared
		d.Joins = []Join{notesJoin}
		f(&d)
		return d
	}
	cases := []struct {
		name string
		d    Declared
		err  error
		says []string
	}{
		{"declared join to a missing column",
			with(func(d *Declared) { d.Joins = []Join{{"comments", "page_ref", "pages", "uuid"}} }),
			ErrJoin, []string{"comments.page_ref -> pages.uuid", "column uuid not found in table pages"}},
		{"declared join to a missing table",
			with(func(d *Declared) { d.Joins = []Join{{"comments", "page_ref", "documents", "id"}} }),
			ErrJoin, []string{"table documents not found in schema public"}},
		{"cycle of declared joins",
			with(func(d *Declared) {
				d.Joins = []Join{{"comments", "page_ref", "blocks", "id"}, {"blocks", "body", "comments", "id"}}
			}),
			ErrJoinCycle, []string{"blocks.body -> comments.id (declared), comments.page_ref -> blocks.id (declared)"}},
		{"unit not owned",
			with(func(d *Declared) { d.UnitTable, d.UnitTenantColumn = "plans", "" }),
			ErrUnitNotOwned, []string{"unit table plans"}},
		{"missing unit table",
			with(func(d *Declared) { d.UnitTable = "spaces" }),
			ErrUnitTable, []string{"unit table spaces not in schema public"}},
		{"missing tenant table",
			with(func(d *Declared) { d.TenantTable = "accounts" }),
			ErrTenantTable, []string{"tenant table accounts not in schema public"}},
		{"missing tenant key",
			with(func(d *Declared) { d.TenantKey = "uuid" }),
			ErrTenantKey, []string{"tenant key orgs.uuid not found"}},
		{"missing soft-delete column",
			with(func(d *Declared) { d.SoftDelete = "archived" }),
			ErrSoftDelete, []string{"workspaces.archived"}},
		{"unknown model",
			with(func(d *Declared) { d.Model = "row-level" }),
			ErrModel, []string{`"row-level"`}},
		{"a table reachable only through a cycle",
			Declared{Schema: "cyc", TenantTable: "orgs"},
			ErrCycle, []string{"a.b_id -> b.id, b.a_id -> a.id", "c reachable only through it"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Discover(context.Background(), pool, c.d)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			t.Log(err) // what a user reads
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// golden renders m and compares it with testdata/name (rewritten with -update); the output
// must also be YAML that reads back with the model's tenancy.
func golden(t *testing.T, name string, m *Model, dsn string) {
	t.Helper()
	// The databases of this test are numbered in the order they are made; the files name theirs.
	named := *m
	named.Database = strings.TrimSuffix(name, ".yaml")
	m = &named
	var buf bytes.Buffer
	if err := Render(&buf, m, dsn); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Tenancy    struct {
			Model  string            `yaml:"model"`
			Tenant map[string]string `yaml:"tenant"`
			Unit   map[string]string `yaml:"unit"`
			Joins  []map[string]string
		} `yaml:"tenancy"`
	}
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%s: not YAML: %v\n%s", name, err, buf.String())
	}
	if doc.APIVersion != "drdrill/v1" || doc.Kind != "Stack" || doc.Tenancy.Model != m.Kind ||
		doc.Tenancy.Tenant["table"] != m.TenantTable || doc.Tenancy.Unit["table"] != m.UnitTable || len(doc.Tenancy.Joins) != len(m.Joins) {
		t.Errorf("%s: reads back as %+v", name, doc)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tenancy -update to write it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test ./tenancy -update rewrites it):\n%s", path, buf.String())
	}
}
