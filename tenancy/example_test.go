package tenancy_test

import (
	"fmt"

	"github.com/drdrill/drdrill/tenancy"
)

// A table that reaches its tenant through two references, as Discover finds blocks in a schema
// where only workspaces carry the tenant key.
func ExampleTable_SelectOwned() {
	blocks := tenancy.Table{
		Schema: "public", Name: "blocks",
		Path: []tenancy.Edge{
			{Table: "blocks", Columns: []string{"page_id"}, RefTable: "pages", RefColumns: []string{"id"}},
			{Table: "pages", Columns: []string{"workspace_id"}, RefTable: "workspaces", RefColumns: []string{"id"}},
		},
		TenantColumn: "org_id",
	}
	fmt.Println(blocks.SelectOwned("$1"))
	// Output:
	// SELECT t.* FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id" JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" WHERE p2."org_id" = ANY($1)
}
