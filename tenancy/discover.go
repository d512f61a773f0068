package tenancy

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Discover reads the catalog of the database behind q and returns the tenancy model of its
// schema as d declares it: which tables the tenants own and how each row reaches its tenant
// and its unit, in an order parents first; which tables are shared; the references the catalog
// suggests but does not declare. It reads pg_catalog only (a few queries, whatever the number
// of tables), never the tables' rows.
//
// A table is owned when it carries the tenant key in a column of its own (a column that
// references the tenant key, or one named d.UnitTenantColumn), or references an owned table
// by a foreign key or a declared join, through any number of hops; each table keeps its
// shortest route, its own column first. The errors wrap the sentinels of this package and name
// the table, column or schema at fault.
func Discover(ctx context.Context, q Querier, d Declared) (*Model, error) {
	if d.Schema == "" {
		d.Schema = "public"
	}
	var db string
	if err := q.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return nil, fmt.Errorf("tenancy: %w", err)
	}
	var m *Model
	var err error
	switch d.Model {
	case "", ForeignKeys:
		var cat *catalog
		if cat, err = readCatalog(ctx, q, d.Schema); err != nil {
			return nil, fmt.Errorf("tenancy: %w", err)
		}
		m, err = buildForeignKeys(cat, d)
	case SchemaPerTenant:
		m, err = discoverSchemas(ctx, q, d)
	default:
		return nil, fmt.Errorf("tenancy: model %q: %w (use %s or %s)", d.Model, ErrModel, ForeignKeys, SchemaPerTenant)
	}
	if err != nil {
		return nil, err
	}
	m.Database = db
	return m, nil
}

// buildForeignKeys is the walk of Discover over a catalog already read: a pure function.
func buildForeignKeys(cat *catalog, d Declared) (*Model, error) {
	tenant, err := checkTenant(cat, d)
	if err != nil {
		return nil, err
	}
	d.TenantKey = tenant.key
	g, err := newGraph(cat, d.Joins)
	if err != nil {
		return nil, err
	}
	if cyc := g.joinCycle(); cyc != nil {
		return nil, fmt.Errorf("tenancy: %s: %w: remove or correct one of these joins", edgeList(cyc), ErrJoinCycle)
	}
	if d.UnitTable != "" {
		if d.UnitKey, err = checkUnit(cat, d); err != nil {
			return nil, err
		}
	}

	// The anchors: the tenant table, and every table with a column of its own that holds the
	// tenant key (referencing it, or named as the unit's tenant column and of the key's type).
	keyCol, _ := cat.tables[d.TenantTable].Column(d.TenantKey)
	anchors := map[string]string{d.TenantTable: d.TenantKey}
	for _, name := range cat.names() {
		if name == d.TenantTable {
			continue
		}
		for _, e := range g.byFrom[name] {
			if e.RefTable == d.TenantTable && slices.Equal(e.RefColumns, []string{d.TenantKey}) && len(e.Columns) == 1 {
				anchors[name] = e.Columns[0]
				break
			}
		}
		if _, ok := anchors[name]; ok || d.UnitTenantColumn == "" {
			continue
		}
		if c, ok := cat.tables[name].Column(d.UnitTenantColumn); ok && c.Type == keyCol.Type {
			anchors[name] = c.Name
		}
	}
	owned := g.routes(anchors)

	m := &Model{
		Kind: ForeignKeys, Schema: cat.schema,
		TenantTable: d.TenantTable, TenantKey: d.TenantKey,
		UnitTable: d.UnitTable, UnitKey: d.UnitKey, UnitTenantColumn: d.UnitTenantColumn,
		Joins: g.joins, Reasons: map[string]string{},
	}
	if d.UnitTable != "" {
		if _, ok := owned[d.UnitTable]; !ok {
			why := "no foreign key or declared join leads from it to " + d.TenantTable
			if d.UnitTenantColumn != "" {
				why += ", and it has no column " + d.UnitTenantColumn
			}
			return nil, fmt.Errorf("tenancy: unit table %s: %w %s: %s; declare a join from %s (tenancy.joins) or name another unit",
				d.UnitTable, ErrUnitNotOwned, d.TenantTable, why, d.UnitTable)
		}
	}
	if err := m.finish(g, owned, d, anchors); err != nil {
		return nil, err
	}
	return m, nil
}

type tenantRef struct{ key string }

// checkTenant finds the tenant table and key; the key defaults to a single-column primary key.
func checkTenant(cat *catalog, d Declared) (tenantRef, error) {
	if d.TenantTable == "" {
		return tenantRef{}, fmt.Errorf("tenancy: no tenant table declared (tenancy.tenant.table): %w", ErrTenantTable)
	}
	t := cat.tables[d.TenantTable]
	if t == nil {
		return tenantRef{}, fmt.Errorf("tenancy: tenant table %s not in schema %s (tables: %s): %w",
			d.TenantTable, cat.schema, strings.Join(cat.names(), ", "), ErrTenantTable)
	}
	key := d.TenantKey
	if key == "" {
		if len(t.PrimaryKey) != 1 {
			return tenantRef{}, fmt.Errorf("tenancy: tenant table %s has no single-column primary key: declare tenancy.tenant.key: %w",
				d.TenantTable, ErrTenantKey)
		}
		key = t.PrimaryKey[0]
	}
	if _, ok := t.Column(key); !ok {
		return tenantRef{}, fmt.Errorf("tenancy: tenant key %s.%s not found (columns: %s): %w", d.TenantTable, key, columnNames(t), ErrTenantKey)
	}
	return tenantRef{key: key}, nil
}

// checkUnit finds the unit table, its key (default: a single-column primary key) and its
// declared tenant column.
func checkUnit(cat *catalog, d Declared) (string, error) {
	t := cat.tables[d.UnitTable]
	if t == nil {
		return "", fmt.Errorf("tenancy: unit table %s not in schema %s: %w", d.UnitTable, cat.schema, ErrUnitTable)
	}
	key := d.UnitKey
	if key == "" {
		if len(t.PrimaryKey) != 1 {
			return "", fmt.Errorf("tenancy: unit table %s has no single-column primary key: declare tenancy.unit.key: %w", d.UnitTable, ErrUnitTable)
		}
		key = t.PrimaryKey[0]
	}
	for _, c := range []string{key, d.UnitTenantColumn} {
		if _, ok := t.Column(c); c != "" && !ok && !(c == d.UnitTenantColumn && d.Model == SchemaPerTenant) {
			return "", fmt.Errorf("tenancy: unit column %s.%s not found (columns: %s): %w", d.UnitTable, c, columnNames(t), ErrUnitTable)
		}
	}
	return key, nil
}

// finish fills in the model from the routes of the owned tables: order, unit routes, shared
// tables, hints, soft delete and notes. anchors are the tables with a tenant column of their
// own (nil under SchemaPerTenant).
func (m *Model) finish(g *graph, owned map[string]route, d Declared, anchors map[string]string) error {
	ordered, deferred, err := order(m.TenantTable, sortedKeys(owned), g)
	if err != nil {
		return err
	}
	m.Deferred = deferred
	var units map[string]route
	if m.UnitTable != "" {
		units = g.unitRoutes(m.UnitTable, m.UnitKey)
	}
	schema := g.cat.schema
	if m.Kind == SchemaPerTenant {
		schema = ""
	}
	for _, name := range ordered {
		t := *g.cat.tables[name]
		t.Schema = schema
		r := owned[name]
		t.Path, t.TenantColumn = r.path, r.col
		if _, ok := anchors[name]; ok {
			t.Direct = anchors[name]
		}
		if u, ok := units[name]; ok {
			t.UnderUnit, t.UnitPath, t.UnitColumn = true, u.path, u.col
		}
		// The unit's own tenant column, when the declaration left it to be found.
		if name == m.UnitTable && m.UnitTenantColumn == "" && t.Direct != "" {
			m.UnitTenantColumn = t.Direct
		}
		for _, e := range g.byFrom[name] {
			if e.RefTable == name {
				t.SelfRefs = append(t.SelfRefs, e)
				m.Notes = append(m.Notes, fmt.Sprintf("%s references itself (%s): a tree; restore it parents first or with the constraint deferred", name, e))
			}
		}
		m.Tables = append(m.Tables, t)
	}
	for _, e := range deferred {
		m.Notes = append(m.Notes, fmt.Sprintf("%s closes a cycle; it is nullable, so the order ignores it: restore it NULL, then set it", e))
	}
	for _, name := range g.cat.names() {
		if _, ok := owned[name]; !ok {
			m.Shared = append(m.Shared, name)
			m.Reasons[name] = m.sharedReason(g, name, owned)
		}
	}
	m.Hints = hints(g, anchors)
	m.Notes = append(m.Notes, g.cat.outside...)
	return m.softDelete(g.cat, d.SoftDelete)
}

// sharedReason says why no tenant owns a table.
func (m *Model) sharedReason(g *graph, name string, owned map[string]route) string {
	var users []string
	for _, e := range g.byRef[name] {
		if _, ok := owned[e.Table]; ok && e.Table != name {
			users = append(users, e.Table+"."+colList(e.Columns))
		}
	}
	to := m.TenantTable
	if to == "" {
		to = "a tenant schema"
	}
	reason := "no foreign key or declared join leads from it to " + to
	if m.UnitTenantColumn != "" && m.Kind == ForeignKeys {
		reason += fmt.Sprintf(", and it has no %s column", m.UnitTenantColumn)
	}
	if len(users) > 0 {
		reason = "a lookup table referenced by " + strings.Join(users, ", ") + "; " + reason
	}
	return reason
}

// softDelete checks the declared soft-delete column, which the unit table must have (the
// tenant table when there is no unit; the tenant table may have it too), or looks for one: a
// nullable timestamptz named like deleted_at on both the tenant and the unit tables (those
// that exist).
func (m *Model) softDelete(cat *catalog, declared string) error {
	var tables []*Table
	for _, n := range []string{m.UnitTable, m.TenantTable} {
		if t := cat.tables[n]; t != nil {
			tables = append(tables, t)
		}
	}
	if declared != "" {
		if len(tables) > 0 {
			if _, ok := tables[0].Column(declared); !ok {
				t := tables[0]
				return fmt.Errorf("tenancy: soft-delete column %s.%s not found (columns: %s): %w", t.Name, declared, columnNames(t), ErrSoftDelete)
			}
		}
		m.SoftDelete = declared
		return nil
	}
	if len(tables) == 0 {
		return nil
	}
	for _, c := range tables[0].Columns {
		if !softDeleteLike(c) {
			continue
		}
		all := true
		for _, t := range tables[1:] {
			other, ok := t.Column(c.Name)
			all = all && ok && softDeleteLike(other)
		}
		if all {
			m.SoftDelete = c.Name
			return nil
		}
	}
	return nil
}

func softDeleteLike(c Column) bool {
	if !c.Nullable || c.Type != "timestamp with time zone" {
		return false
	}
	return strings.Contains(c.Name, "deleted") || slices.Contains([]string{"archived_at", "removed_at", "trashed_at", "discarded_at"}, c.Name)
}

// hints are the columns that look like references (ending _id or _ref) but are neither a
// foreign key, a declared join nor a tenant column, with the table their name suggests.
func hints(g *graph, anchors map[string]string) []Join {
	var out []Join
	for _, name := range g.cat.names() {
		t := g.cat.tables[name]
		for _, c := range t.Columns {
			base, ok := strings.CutSuffix(c.Name, "_id")
			if !ok {
				base, ok = strings.CutSuffix(c.Name, "_ref")
			}
			if !ok || base == "" || anchors[name] == c.Name {
				continue
			}
			if slices.ContainsFunc(g.byFrom[name], func(e Edge) bool { return slices.Contains(e.Columns, c.Name) }) {
				continue
			}
			h := Join{Table: name, Column: c.Name}
			for _, cand := range []string{base + "s", base + "es", strings.TrimSuffix(base, "y") + "ies", base} {
				if rt := g.cat.tables[cand]; rt != nil && len(rt.PrimaryKey) == 1 {
					h.RefTable, h.RefColumn = cand, rt.PrimaryKey[0]
					break
				}
			}
			out = append(out, h)
		}
	}
	return out
}
