package tenancy

import (
	"strings"
	"testing"
)

// The tables of the notes schema as Discover finds them, written out by hand.
var (
	notesBlocks = Table{
		Schema: "public", Name: "blocks",
		Path: []Edge{
			{Table: "blocks", Columns: []string{"page_id"}, RefTable: "pages", RefColumns: []string{"id"}},
			{Table: "pages", Columns: []string{"workspace_id"}, RefTable: "workspaces", RefColumns: []string{"id"}},
		},
		TenantColumn: "org_id",
		UnderUnit:    true,
		UnitPath:     []Edge{{Table: "blocks", Columns: []string{"page_id"}, RefTable: "pages", RefColumns: []string{"id"}}},
		UnitColumn:   "workspace_id",
	}
	notesOrgs       = Table{Schema: "public", Name: "orgs", Direct: "id", TenantColumn: "id"}
	notesWorkspaces = Table{Schema: "public", Name: "workspaces", Direct: "org_id", TenantColumn: "org_id", UnderUnit: true, UnitColumn: "id"}
	composite       = Table{
		Schema: "app", Name: "line items",
		Path: []Edge{{Table: "line items", Columns: []string{"tenant", "order_id"}, RefTable: "orders", RefColumns: []string{"tenant", "id"}}},
		// a route by a composite key to the anchor, however short
		TenantColumn: "tenant",
	}
	perTenant = Table{Schema: "tenant_7", Name: "tasks", UnderUnit: true, UnitColumn: "project_id"}
)

func TestSQLBuilders(t *testing.T) {
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"owned through two hops", notesBlocks.SelectOwned("$1"),
			`SELECT t.* FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" WHERE p2."org_id" = ANY($1)`},
		{"owned, direct", notesWorkspaces.SelectOwned("$2"),
			`SELECT t.* FROM "public"."workspaces" t WHERE t."org_id" = ANY($2)`},
		{"owned, the tenant table", notesOrgs.SelectOwned("$1"),
			`SELECT t.* FROM "public"."orgs" t WHERE t."id" = ANY($1)`},
		{"owned, composite key, quoted name", composite.SelectOwned("$1"),
			`SELECT t.* FROM "app"."line items" t JOIN "app"."orders" p1 ON t."tenant" = p1."tenant" AND t."order_id" = p1."id" WHERE p1."tenant" = ANY($1)`},
		{"owned, schema per tenant", perTenant.SelectOwned("$1"),
			`SELECT t.* FROM "tenant_7"."tasks" t`},
		{"under units, one hop left", notesBlocks.SelectUnderUnits("$1"),
			`SELECT t.* FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" WHERE p1."workspace_id" = ANY($1)`},
		{"under units, the unit table", notesWorkspaces.SelectUnderUnits("$1"),
			`SELECT t.* FROM "public"."workspaces" t WHERE t."id" = ANY($1)`},
		{"under units, not under the unit", notesOrgs.SelectUnderUnits("$1"), ``},
		{"under units, schema per tenant", perTenant.SelectUnderUnits("$1"),
			`SELECT t.* FROM "tenant_7"."tasks" t WHERE t."project_id" = ANY($1)`},
		{"count by tenant, some", notesBlocks.CountByTenant("$1"),
			`SELECT p2."org_id" AS tenant, count(*) AS n FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" WHERE p2."org_id" = ANY($1) GROUP BY 1 ORDER BY 1`},
		{"count by tenant, all", notesWorkspaces.CountByTenant(""),
			`SELECT t."org_id" AS tenant, count(*) AS n FROM "public"."workspaces" t GROUP BY 1 ORDER BY 1`},
		{"count by tenant, schema per tenant", perTenant.CountByTenant(""), ``},
		{"count by unit", notesBlocks.CountByUnit("$1"),
			`SELECT p1."workspace_id" AS unit, count(*) AS n FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" WHERE p1."workspace_id" = ANY($1) GROUP BY 1 ORDER BY 1`},
		{"sum by tenant, some, except live rows", notesBlocks.SumByTenant("$1", `t."slug" LIKE 'live-%'`, false),
			`SELECT p2."org_id" AS tenant, count(*) AS n, coalesce(sum(hash_record_extended(t, 0)), 0)::text AS checksum FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" WHERE p2."org_id" = ANY($1) AND NOT (t."slug" LIKE 'live-%') GROUP BY 1`},
		{"sum by tenant, all", notesOrgs.SumByTenant("", "", false),
			`SELECT t."id" AS tenant, count(*) AS n, coalesce(sum(hash_record_extended(t, 0)), 0)::text AS checksum FROM "public"."orgs" t GROUP BY 1`},
		{"sum by tenant, schema per tenant", perTenant.SumByTenant("", "", false), ``},
		{"sum by tenant, every row counted too", notesBlocks.SumByTenant("", `t."slug" LIKE 'live-%'`, true),
			`SELECT p2."org_id" AS tenant, count(*) FILTER (WHERE NOT (t."slug" LIKE 'live-%')) AS n, coalesce(sum(hash_record_extended(t, 0)) FILTER (WHERE NOT (t."slug" LIKE 'live-%')), 0)::text AS checksum, count(*) AS all_rows FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" GROUP BY 1`},
		{"versions by tenant", notesBlocks.VersionsByTenant("t.xmin = ANY('{7,8}'::xid[])", `t."slug" LIKE 'live-%'`),
			`SELECT p2."org_id" AS tenant, count(*) AS n, coalesce(sum(CASE WHEN t.xmin = ANY('{7,8}'::xid[]) THEN CASE WHEN NOT (t."slug" LIKE 'live-%') THEN hash_record_extended(t, 0)::numeric * 18446744073709551616 + 1 ELSE 4294967296 END END), 0)::text AS newer FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" GROUP BY 1`},
		{"versions by tenant, every row kept", notesOrgs.VersionsByTenant("t.xmin = '9'", ""),
			`SELECT t."id" AS tenant, count(*) AS n, coalesce(sum(CASE WHEN t.xmin = '9' THEN hash_record_extended(t, 0)::numeric * 18446744073709551616 + 1 END), 0)::text AS newer FROM "public"."orgs" t GROUP BY 1`},
		{"versions by tenant, schema per tenant", perTenant.VersionsByTenant("true", ""), ``},
		{"keyed, two routes side by side", notesBlocks.SelectKeyed("$1"),
			`SELECT p2."org_id" AS drdrill_tenant, u1."workspace_id" AS drdrill_unit, t.* FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" JOIN "public"."pages" u1 ON t."page_id" = u1."id" WHERE p2."org_id" = ANY($1)`},
		{"keyed, the unit table, all", notesWorkspaces.SelectKeyed(""),
			`SELECT t."org_id" AS drdrill_tenant, t."id" AS drdrill_unit, t.* FROM "public"."workspaces" t`},
		{"keyed, not under the unit", notesOrgs.SelectKeyed(""), ``},
		{"qualified name, schema per tenant", (&Model{Kind: SchemaPerTenant, SchemaPattern: "tenant_{tenant}"}).QualifiedName("tasks", "7"),
			`"tenant_7"."tasks"`},
		{"qualified name, foreign keys", (&Model{Kind: ForeignKeys, Schema: "public"}).QualifiedName("tasks", "7"),
			`"public"."tasks"`},
		{"count by schema", (&Model{Kind: SchemaPerTenant, SchemaPattern: "t_{tenant}"}).CountBySchema("tasks", []string{"1", "o'k"}),
			`SELECT '1'::text AS tenant, count(*) AS n FROM "t_1"."tasks" UNION ALL SELECT 'o''k'::text AS tenant, count(*) AS n FROM "t_o'k"."tasks"`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

// TestParseNewerSum takes apart sums Postgres would return for NewerSum, written out by hand:
// hash·2^64 + 1 per kept row, 2^32 per row left out.
func TestParseNewerSum(t *testing.T) {
	for _, c := range []struct {
		sum            string
		kept, leftOut  int64
		checksum, fail string
	}{
		{sum: "0", checksum: "0"},
		{sum: "92233720368547758081", kept: 1, checksum: "5"},               // one kept row, hash 5
		{sum: "-36893488134534201342", kept: 2, leftOut: 3, checksum: "-2"}, // hashes -3 and 1, three left out
		{sum: "17179869184", leftOut: 4, checksum: "0"},                     // left-out rows alone
		{sum: "-510423550381407695195061911113292578817", kept: 1<<32 - 1, leftOut: 7, checksum: "-27670116110564327424"}, // three hashes of -2^63
		{sum: "12.5", fail: "not an integer"},
	} {
		kept, checksum, leftOut, err := ParseNewerSum(c.sum)
		if c.fail != "" {
			if err == nil || !strings.Contains(err.Error(), c.fail) {
				t.Errorf("%s: error %v, want %q", c.sum, err, c.fail)
			}
			continue
		}
		if err != nil || kept != c.kept || checksum != c.checksum || leftOut != c.leftOut {
			t.Errorf("%s: kept %d, checksum %s, left out %d, %v; want %d, %s, %d", c.sum, kept, checksum, leftOut, err, c.kept, c.checksum, c.leftOut)
		}
	}
}
