package tenancy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// hand builds a catalog of schema s from table specs "name(col, col?, …)" — a trailing ? makes
// the column nullable, every column is bigint, the first is the primary key — and foreign keys
// "table.col>ref.col".
func hand(tables []string, fks ...string) *catalog {
	c := &catalog{schema: "s", tables: map[string]*Table{}}
	for _, spec := range tables {
		name, cols, _ := strings.Cut(strings.TrimSuffix(spec, ")"), "(")
		t := &Table{Name: name}
		for i, col := range strings.Split(cols, ",") {
			col = strings.TrimSpace(col)
			n, null := strings.CutSuffix(col, "?")
			t.Columns = append(t.Columns, Column{Name: n, Type: "bigint", Nullable: null})
			if i == 0 {
				t.PrimaryKey = []string{n}
			}
		}
		c.tables[name] = t
	}
	for _, fk := range fks {
		from, to, _ := strings.Cut(fk, ">")
		ft, fc, _ := strings.Cut(from, ".")
		tt, tc, _ := strings.Cut(to, ".")
		c.fks = append(c.fks, Edge{Table: ft, Columns: []string{fc}, RefTable: tt, RefColumns: []string{tc}, Constraint: ft + "_" + fc + "_fkey"})
	}
	return c
}

func paths(es []Edge) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func TestBuildForeignKeys(t *testing.T) {
	cases := []struct {
		name     string
		cat      *catalog
		declared Declared
		order    []string
		shared   []string
		paths    map[string]string // table → "path | tenant column"
		deferred string
		err      error
		errText  []string
	}{
		{
			name: "own tenant column beats a route",
			cat: hand([]string{"tenants(id)", "sites(id, tenant_id)", "apps(id, tenant_id, site_id)"},
				"sites.tenant_id>tenants.id", "apps.site_id>sites.id"),
			declared: Declared{TenantTable: "tenants", UnitTable: "sites", UnitTenantColumn: "tenant_id"},
			order:    []string{"tenants", "sites", "apps"},
			paths:    map[string]string{"apps": " | tenant_id", "sites": " | tenant_id", "tenants": " | id"},
		},
		{
			name: "the shortest of two routes",
			cat: hand([]string{"orgs(id)", "teams(id, org_id)", "projects(id, team_id)", "tasks(id, project_id, team_id)"},
				"teams.org_id>orgs.id", "projects.team_id>teams.id", "tasks.project_id>projects.id", "tasks.team_id>teams.id"),
			declared: Declared{TenantTable: "orgs"},
			order:    []string{"orgs", "teams", "projects", "tasks"},
			paths:    map[string]string{"tasks": "tasks.team_id -> teams.id | org_id"},
		},
		{
			name: "a nullable reference closing a cycle is deferred",
			cat: hand([]string{"orgs(id, owner_id?)", "users(id, org_id)"},
				"users.org_id>orgs.id", "orgs.owner_id>users.id"),
			declared: Declared{TenantTable: "orgs"},
			order:    []string{"orgs", "users"},
			deferred: "orgs.owner_id -> users.id",
		},
		{
			name: "a lookup table is shared",
			cat: hand([]string{"orgs(id, plan_id)", "plans(id)", "docs(id, org_id, kind_id)", "kinds(id)"},
				"orgs.plan_id>plans.id", "docs.org_id>orgs.id", "docs.kind_id>kinds.id"),
			declared: Declared{TenantTable: "orgs"},
			order:    []string{"orgs", "docs"},
			shared:   []string{"kinds", "plans"},
		},
		{
			name: "a cycle of NOT NULL references",
			cat: hand([]string{"orgs(id)", "a(id, org_id, b_id)", "b(id, a_id)", "c(id, b_id)"},
				"a.org_id>orgs.id", "a.b_id>b.id", "b.a_id>a.id", "c.b_id>b.id"),
			declared: Declared{TenantTable: "orgs"},
			err:      ErrCycle,
			errText:  []string{"a.b_id -> b.id, b.a_id -> a.id", "c reachable only through it"},
		},
		{
			name:     "a cycle of declared joins",
			cat:      hand([]string{"orgs(id)", "a(id, org_id, b_ref)", "b(id, a_ref)"}, "a.org_id>orgs.id"),
			declared: Declared{TenantTable: "orgs", Joins: []Join{{"a", "b_ref", "b", "id"}, {"b", "a_ref", "a", "id"}}},
			err:      ErrJoinCycle,
			errText:  []string{"a.b_ref -> b.id (declared), b.a_ref -> a.id (declared)"},
		},
		{
			name:     "a declared self-join is a tree",
			cat:      hand([]string{"orgs(id)", "folders(id, org_id, parent_ref?)"}, "folders.org_id>orgs.id"),
			declared: Declared{TenantTable: "orgs", Joins: []Join{{"folders", "parent_ref", "folders", "id"}}},
			order:    []string{"orgs", "folders"},
		},
		{
			name:     "unit not owned",
			cat:      hand([]string{"orgs(id)", "spaces(id)"}),
			declared: Declared{TenantTable: "orgs", UnitTable: "spaces"},
			err:      ErrUnitNotOwned,
			errText:  []string{"unit table spaces"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := buildForeignKeys(c.cat, c.declared)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				for _, s := range c.errText {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, tb := range m.Tables {
				order = append(order, tb.Name)
			}
			if !slices.Equal(order, c.order) {
				t.Errorf("order %v, want %v", order, c.order)
			}
			if !slices.Equal(m.Shared, c.shared) {
				t.Errorf("shared %v, want %v", m.Shared, c.shared)
			}
			for name, want := range c.paths {
				tb, _ := m.Table(name)
				if got := paths(tb.Path) + " | " + tb.TenantColumn; got != want {
					t.Errorf("%s: route %q, want %q", name, got, want)
				}
			}
			if got := paths(m.Deferred); got != c.deferred {
				t.Errorf("deferred %q, want %q", got, c.deferred)
			}
		})
	}
}

func TestSchemaPattern(t *testing.T) {
	re, err := patternRegexp("tenant_{tenant}")
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]string{"tenant_1": "1", "tenant_acme": "acme", "tenant_": "", "public": "", "xtenant_1": ""} {
		got := ""
		if m := re.FindStringSubmatch(s); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: tenant %q, want %q", s, got, want)
		}
	}
	for _, bad := range []string{"tenant", "{tenant}_{tenant}"} {
		if _, err := patternRegexp(bad); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	ts := []string{"10", "b", "2", "a", "1"}
	slices.SortFunc(ts, tenantOrder)
	if want := []string{"1", "2", "10", "a", "b"}; !slices.Equal(ts, want) {
		t.Errorf("tenant order %v, want %v", ts, want)
	}
}
