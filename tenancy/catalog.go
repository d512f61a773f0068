package tenancy

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Querier is what discovery needs: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// catalog is what pg_catalog says about the tables of one schema: plain data, so that the
// walk over it is a pure function.
type catalog struct {
	schema string
	tables map[string]*Table // Name, Columns and PrimaryKey filled in
	fks    []Edge            // between tables of the schema
	// outside are foreign keys from a table of the schema to a table of another schema.
	outside []string
}

func (c *catalog) names() []string {
	out := make([]string, 0, len(c.tables))
	for n := range c.tables {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Ordinary and partitioned tables, not the partitions themselves (their rows are the parent's).
const columnsSQL = `
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum`

// Primary and foreign keys with their columns in key order; conparentid = 0 leaves out the
// copies Postgres makes on partitions.
const constraintsSQL = `
SELECT con.conname, con.contype::text, c.relname,
	ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i),
	coalesce(rn.nspname::text, ''), coalesce(rc.relname::text, ''),
	ARRAY(SELECT a.attname::text FROM unnest(coalesce(con.confkey, '{}')) WITH ORDINALITY k(num, i)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = $1 AND con.contype IN ('p', 'f') AND con.conparentid = 0 AND NOT c.relispartition
ORDER BY c.relname, con.conname`

// readCatalog reads the tables, columns, primary keys and foreign keys of schema.
func readCatalog(ctx context.Context, q Querier, schema string) (*catalog, error) {
	cat := &catalog{schema: schema, tables: map[string]*Table{}}
	rows, err := q.Query(ctx, columnsSQL, schema)
	if err != nil {
		return nil, fmt.Errorf("read columns of schema %s: %w", schema, err)
	}
	var table string
	var col Column
	_, err = pgx.ForEachRow(rows, []any{&table, &col.Name, &col.Type, &col.Nullable}, func() error {
		t := cat.tables[table]
		if t == nil {
			t = &Table{Name: table}
			cat.tables[table] = t
		}
		t.Columns = append(t.Columns, col)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read columns of schema %s: %w", schema, err)
	}

	rows, err = q.Query(ctx, constraintsSQL, schema)
	if err != nil {
		return nil, fmt.Errorf("read keys of schema %s: %w", schema, err)
	}
	var name, typ, refSchema, refTable string
	var cols, refCols []string
	_, err = pgx.ForEachRow(rows, []any{&name, &typ, &table, &cols, &refSchema, &refTable, &refCols}, func() error {
		t := cat.tables[table]
		if t == nil {
			return nil
		}
		switch {
		case typ == "p":
			t.PrimaryKey = slices.Clone(cols)
		case refSchema != schema:
			cat.outside = append(cat.outside, fmt.Sprintf("%s.%s references %s.%s (%s), outside schema %s: not followed",
				table, colList(cols), refSchema, refTable, name, schema))
		default:
			cat.fks = append(cat.fks, Edge{Table: table, Columns: slices.Clone(cols), RefTable: refTable,
				RefColumns: slices.Clone(refCols), Constraint: name})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read keys of schema %s: %w", schema, err)
	}
	return cat, nil
}
