package tenancy

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// patternRegexp turns "tenant_{tenant}" into ^tenant_(.+)$.
func patternRegexp(pattern string) (*regexp.Regexp, error) {
	before, after, ok := strings.Cut(pattern, PatternTenant)
	if !ok || strings.Contains(after, PatternTenant) {
		return nil, fmt.Errorf("tenancy: schema pattern %q must hold %s exactly once, e.g. tenant_%s", pattern, PatternTenant, PatternTenant)
	}
	return regexp.MustCompile("^" + regexp.QuoteMeta(before) + "(.+)" + regexp.QuoteMeta(after) + "$"), nil
}

// tenantOrder sorts numeric tenants as numbers (tenant_2 before tenant_10), others as text.
func tenantOrder(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Or(boolCmp(errA != nil, errB != nil), cmp.Compare(a, b))
}

const schemaTablesSQL = `
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition`

// discoverSchemas is Discover under SchemaPerTenant: the tenant schemas are those matching the
// pattern; the first (by tenant) is the template whose catalog is walked, and every other must
// have the same tables.
func discoverSchemas(ctx context.Context, q Querier, d Declared) (*Model, error) {
	re, err := patternRegexp(d.SchemaPattern)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, "SELECT nspname::text FROM pg_catalog.pg_namespace")
	if err != nil {
		return nil, fmt.Errorf("tenancy: list schemas: %w", err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("tenancy: list schemas: %w", err)
	}
	bySchema := map[string]string{}
	var tenants []string
	for _, s := range all {
		if mm := re.FindStringSubmatch(s); mm != nil {
			bySchema[mm[1]] = s
			tenants = append(tenants, mm[1])
		}
	}
	if len(tenants) == 0 {
		return nil, fmt.Errorf("tenancy: schema pattern %q: %w: create the tenant schemas first, or correct the pattern", d.SchemaPattern, ErrNoSchemas)
	}
	slices.SortFunc(tenants, tenantOrder)
	schemas := make([]string, len(tenants))
	for i, t := range tenants {
		schemas[i] = bySchema[t]
	}

	rows, err = q.Query(ctx, schemaTablesSQL, schemas)
	if err != nil {
		return nil, fmt.Errorf("tenancy: list tables of the tenant schemas: %w", err)
	}
	sets := map[string][]string{}
	var s, t string
	if _, err := pgx.ForEachRow(rows, []any{&s, &t}, func() error {
		sets[s] = append(sets[s], t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("tenancy: list tables of the tenant schemas: %w", err)
	}
	if err := sameTables(schemas, sets); err != nil {
		return nil, err
	}

	cat, err := readCatalog(ctx, q, schemas[0])
	if err != nil {
		return nil, fmt.Errorf("tenancy: %w", err)
	}
	m := &Model{
		Kind: SchemaPerTenant, Schema: d.Schema, SchemaPattern: d.SchemaPattern,
		Schemas: schemas, Tenants: tenants, Template: schemas[0], Reasons: map[string]string{},
		UnitTable: d.UnitTable,
	}
	if d.TenantTable != "" {
		home, err := readCatalog(ctx, q, d.Schema)
		if err != nil {
			return nil, fmt.Errorf("tenancy: %w", err)
		}
		tenant, err := checkTenant(home, d)
		if err != nil {
			return nil, err
		}
		m.TenantTable, m.TenantKey = d.TenantTable, tenant.key
	}
	return buildSchemas(cat, d, m)
}

// sameTables reports every tenant schema whose tables differ from the first one's.
func sameTables(schemas []string, sets map[string][]string) error {
	want := sets[schemas[0]]
	slices.Sort(want)
	var diffs []string
	for _, s := range schemas[1:] {
		got := sets[s]
		slices.Sort(got)
		var missing, extra []string
		for _, t := range want {
			if !slices.Contains(got, t) {
				missing = append(missing, t)
			}
		}
		for _, t := range got {
			if !slices.Contains(want, t) {
				extra = append(extra, t)
			}
		}
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "lacks "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			parts = append(parts, "has extra "+strings.Join(extra, ", "))
		}
		if len(parts) > 0 {
			diffs = append(diffs, fmt.Sprintf("schema %s %s", s, strings.Join(parts, " and ")))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("tenancy: %s (against the template schema %s): %w: migrate them to one set of tables",
			strings.Join(diffs, "; "), schemas[0], ErrSchemaDiffers)
	}
	return nil
}

// buildSchemas is the walk under SchemaPerTenant over the template's catalog: every table of a
// tenant schema is that tenant's; the unit, when declared, must be one of them.
func buildSchemas(cat *catalog, d Declared, m *Model) (*Model, error) {
	g, err := newGraph(cat, d.Joins)
	if err != nil {
		return nil, err
	}
	if cyc := g.joinCycle(); cyc != nil {
		return nil, fmt.Errorf("tenancy: %s: %w: remove or correct one of these joins", edgeList(cyc), ErrJoinCycle)
	}
	if d.UnitTable != "" {
		if cat.tables[d.UnitTable] == nil {
			return nil, fmt.Errorf("tenancy: unit table %s not in tenant schema %s (tables: %s): %w",
				d.UnitTable, cat.schema, strings.Join(cat.names(), ", "), ErrUnitTable)
		}
		if m.UnitKey, err = checkUnit(cat, d); err != nil {
			return nil, err
		}
	}
	owned := map[string]route{}
	for _, n := range cat.names() {
		owned[n] = route{}
	}
	if err := m.finish(g, owned, d, nil); err != nil {
		return nil, err
	}
	return m, nil
}
