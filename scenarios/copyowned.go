package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/tenancy"
)

// ErrSchemaGone says that a tenant's whole schema is missing from the live database under the
// schema-per-tenant model: copyOwned puts rows back, not schemas.
var ErrSchemaGone = errors.New("tenant schema gone from the live database")

// copyOwned is copyTenants over any tenancy model m (as tenancy.Discover found it on the side
// database), with the same contract: every row the tenants own is copied from src (restored to
// T0) into dst (live), table by table in the model's order, in one transaction. Rows keep their
// IDs. A row missing live is inserted; a live row whose soft-delete column (m.SoftDelete, on the
// tables that have it) was set at or after t0 gets the side's value back; any other live row is
// left as it is, so nothing written after T0 is clobbered. Every foreign key holds at the commit:
// checked row by row, or once for the whole copy (references.go).
//
// Rows split two ways by their unit, as in copyTenants: rows under a unit gone from the live
// database are COPYed straight into the live table, when every hop of their route to the unit
// is a foreign key that lets no child outlive its parent (cascade, restrict, no action: none is
// a declared join or ON DELETE SET NULL); every other row goes through a temporary table and an
// upsert. Nullable references that close a cycle (m.Deferred) are inserted NULL and set once
// every table is in.
//
// Under the schema-per-tenant model each tenant's schema is copied the same way, tenants[i]
// standing for the schema of tenant "<id>"; the shared tenant table is left alone. A schema
// dropped whole is not recreated (ErrSchemaGone): CREATE TABLE … LIKE would copy neither its
// foreign keys, nor its sequences, triggers or grants, and a half-faithful schema that takes
// rows is worse than a clear "restore it in full" (full-pitr, or pg_dump --schema of the side db).
func copyOwned(ctx context.Context, src, dst *pgxpool.Pool, m *tenancy.Model, tenants []int64, t0 time.Time) (copyResult, error) {
	return copyOwnedUnits(ctx, src, dst, m, tenants, nil, t0)
}

// copyOwnedUnits is copyOwned narrowed to some of the tenants' units: of the tables under a
// unit only the rows under units (their keys, as text) are copied; the tenants' other rows are
// copied as by copyOwned (live wins). Nil units copies every unit. The per-deletion restore
// copies each unit from the side database as it was just before its own deletion with it.
func copyOwnedUnits(ctx context.Context, src, dst *pgxpool.Pool, m *tenancy.Model, tenants []int64, units []string, t0 time.Time) (copyResult, error) {
	var res copyResult
	if units != nil && m.Kind == tenancy.SchemaPerTenant {
		return res, errors.New("a copy of some units only needs the foreign-keys model")
	}
	sc, tx, err := beginCopy(ctx, src, dst)
	if err != nil {
		return res, err
	}
	defer endCopy(ctx, sc, tx)
	c := &ownedCopy{m: m, src: sc.Conn().PgConn(), tx: tx, t0: t0}
	if units != nil {
		if c.units, err = c.unitArray(units); err != nil {
			return res, err
		}
	}

	if m.Kind == tenancy.SchemaPerTenant {
		for _, id := range tenants {
			tn := strconv.FormatInt(id, 10)
			if err := c.schema(ctx, tn); err != nil {
				return c.res, fmt.Errorf("tenant %s: %w", tn, err)
			}
		}
	} else {
		in := ownedTenants(m, tenants)
		fks, once, err := c.skipRowChecks(ctx)
		if err != nil {
			return c.res, err
		}
		if err := c.scope(ctx, m.Tables, m.Schema, in); err != nil {
			return c.res, fmt.Errorf("tenants %v: %w", tenants, err)
		}
		if once {
			if err := c.checkReferences(ctx, fks, in); err != nil {
				return c.res, fmt.Errorf("tenants %v: %w", tenants, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return c.res, fmt.Errorf("commit: %w", err)
	}
	c.res.committed = time.Now()
	return c.res, nil
}

// ownedCopy is one copyOwned transaction under way.
type ownedCopy struct {
	m   *tenancy.Model
	src *pgconn.PgConn
	tx  pgx.Tx
	t0  time.Time
	tmp int // temporary tables made so far: their names
	res copyResult
	// units, if not "", is the SQL array of the unit keys to copy (copyOwnedUnits).
	units string
	fks   map[string][]fkRef // foreignKeys, by schema
}

// ownedTenants is the SQL array of tenant keys that SelectOwned takes, typed as the model's key.
func ownedTenants(m *tenancy.Model, tenants []int64) string {
	keyType := "bigint"
	if tt, ok := m.Table(m.TenantTable); ok {
		if col, ok := tt.Column(m.TenantKey); ok {
			keyType = col.Type
		}
	}
	return fmt.Sprintf("'%s'::%s[]", int64Array(tenants), keyType)
}

// unitArray renders unit keys as an SQL array of the unit key's type.
func (c *ownedCopy) unitArray(keys []string) (string, error) {
	unit, ok := c.m.Table(c.m.UnitTable)
	if !ok {
		return "", fmt.Errorf("units %v: the model has no unit table", keys)
	}
	key, ok := unit.Column(c.m.UnitKey)
	if !ok {
		return "", fmt.Errorf("unit table %s has no column %s", unit.QualifiedName(), c.m.UnitKey)
	}
	return textArray(keys) + "::" + key.Type + "[]", nil
}

// deferredSet is a table's deferred references, to set once every table is in: the side's rows
// in tmp, the keys of those inserted in done.
type deferredSet struct {
	table     tenancy.Table
	cols      []string
	tmp, done string
}

// schema copies tenant's schema (SchemaPerTenant).
func (c *ownedCopy) schema(ctx context.Context, tenant string) error {
	name := c.m.TenantSchema(tenant)
	var exists bool
	if err := c.tx.QueryRow(ctx, `SELECT to_regnamespace($1) IS NOT NULL`, pgx.Identifier{name}.Sanitize()).Scan(&exists); err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	if !exists {
		return fmt.Errorf("schema %s: %w: it needs a full restore (full-pitr), or recreating from the side db (pg_dump --schema %s) before its rows can be copied", name, ErrSchemaGone, name)
	}
	tables := make([]tenancy.Table, len(c.m.Tables))
	for i, t := range c.m.Tables {
		tables[i], _ = c.m.InTenant(t.Name, tenant)
	}
	return c.scope(ctx, tables, name, "NULL")
}

// scope copies tables, all in schema, of the tenants whose keys the SQL array in holds.
func (c *ownedCopy) scope(ctx context.Context, tables []tenancy.Table, schema, in string) error {
	byName := map[string]tenancy.Table{}
	for _, t := range tables {
		byName[t.Name] = t
	}
	split, err := c.liveUnits(ctx, byName, in)
	if err != nil {
		return err
	}
	fks, err := c.foreignKeys(ctx, schema)
	if err != nil {
		return err
	}
	actions := deleteActions(fks)
	var later []deferredSet
	for _, tb := range tables {
		d, err := c.table(ctx, tb, byName, actions, split, in)
		if err != nil {
			return fmt.Errorf("table %s: %w", tb.QualifiedName(), err)
		}
		if d != nil {
			later = append(later, *d)
		}
	}
	for _, d := range later {
		if err := c.setDeferred(ctx, d); err != nil {
			return fmt.Errorf("table %s: set %s: %w", d.table.QualifiedName(), strings.Join(d.cols, ", "), err)
		}
	}
	return nil
}

// liveUnits returns the SQL array of the keys of the tenants' units still live, locked FOR KEY
// SHARE so that none can vanish under the rows about to be upserted beneath it; "" when the
// model has no unit.
func (c *ownedCopy) liveUnits(ctx context.Context, byName map[string]tenancy.Table, in string) (string, error) {
	unit, ok := byName[c.m.UnitTable]
	if c.m.UnitTable == "" || !ok {
		return "", nil
	}
	q := fmt.Sprintf(`SELECT s.%s::text FROM (%s) s ORDER BY 1 FOR KEY SHARE`, ident(c.m.UnitKey), unit.SelectOwned(in))
	rows, err := c.tx.Query(ctx, q)
	if err != nil {
		return "", fmt.Errorf("live units in %s: %w", unit.QualifiedName(), err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("live units in %s: %w", unit.QualifiedName(), err)
	}
	return c.unitArray(keys)
}

// table copies the owned rows of one table; it returns the deferred references left to set.
func (c *ownedCopy) table(ctx context.Context, tb tenancy.Table, byName map[string]tenancy.Table, fks map[string]byte, live, in string) (*deferredSet, error) {
	owned := tb.SelectOwned(in)
	if c.units != "" && tb.UnderUnit {
		from, key := unitRoute(tb, owned, false)
		owned = fmt.Sprintf("SELECT o.* FROM %s WHERE %s = ANY(%s)", from, key, c.units)
	}
	var deferred []string
	for _, e := range c.m.Deferred {
		if e.Table == tb.Name {
			deferred = append(deferred, e.Columns...)
		}
	}
	kept := "SELECT o.* FROM (" + owned + ") o"
	if live != "" && tb.UnderUnit && len(deferred) == 0 && c.childrenGoWithUnit(tb, fks) {
		nullable := unitNullable(tb, byName)
		from, key := unitRoute(tb, owned, false)
		n, err := c.pipe(ctx, fmt.Sprintf(`SELECT o.* FROM %s WHERE %s <> ALL(%s)`, from, key, live), tb.QualifiedName())
		if err != nil {
			return nil, err
		}
		c.res.read += n
		c.res.written += n
		if strings.HasPrefix(live, textArray(nil)) && !nullable {
			return nil, nil // no unit of the tenants is live (an empty array): every row went straight in
		}
		from, key = unitRoute(tb, owned, nullable)
		cond := fmt.Sprintf("%s = ANY(%s)", key, live)
		if nullable {
			cond = key + " IS NULL OR " + cond
		}
		kept = fmt.Sprintf("SELECT o.* FROM %s WHERE %s", from, cond)
	}

	if len(tb.PrimaryKey) == 0 {
		return nil, errors.New("no primary key: a live row cannot be told from a missing one; add one, or restore the table in full")
	}
	c.tmp++
	tmp := ident(fmt.Sprintf("drdrill_restore_%d", c.tmp))
	if _, err := c.tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (LIKE %s) ON COMMIT DROP`, tmp, tb.QualifiedName())); err != nil {
		return nil, fmt.Errorf("create temp table: %w", err)
	}
	n, err := c.pipe(ctx, kept, tmp)
	if err != nil {
		return nil, err
	}
	c.res.read += n
	if n == 0 {
		return nil, nil
	}
	pk := identList(tb.PrimaryKey)
	_, soft := tb.Column(c.m.SoftDelete)
	soft = soft && c.m.SoftDelete != ""
	if len(deferred) == 0 {
		// One pass, as copyTenants: the arbiter index finds each live row, whose soft-delete
		// mark alone may change. Without a mark to undo, a clash on any unique key leaves the
		// live row (the newer truth) in place.
		q := fmt.Sprintf(`INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT * FROM %s ON CONFLICT DO NOTHING`, tb.QualifiedName(), tmp)
		var args []any
		if soft {
			sd := ident(c.m.SoftDelete)
			q = fmt.Sprintf(`INSERT INTO %s AS t OVERRIDING SYSTEM VALUE SELECT * FROM %s ON CONFLICT (%s) DO UPDATE SET %s = EXCLUDED.%s WHERE t.%s >= $1`,
				tb.QualifiedName(), tmp, pk, sd, sd, sd)
			args = []any{c.t0}
		}
		tag, err := c.tx.Exec(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		c.res.written += tag.RowsAffected()
		return nil, nil
	}

	// Deferred references go in NULL; the keys of the rows inserted (not those live already,
	// which keep their own values) are kept to set them at the end.
	done := ident(fmt.Sprintf("drdrill_restore_%d_done", c.tmp))
	if _, err := c.tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`, done, pk, tmp)); err != nil {
		return nil, fmt.Errorf("create temp table: %w", err)
	}
	cols := make([]string, len(tb.Columns))
	for i, col := range tb.Columns {
		cols[i] = ident(col.Name)
		if slices.Contains(deferred, col.Name) {
			cols[i] = "NULL"
		}
	}
	q := fmt.Sprintf(`WITH ins AS (INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT %s FROM %s ON CONFLICT DO NOTHING RETURNING %s) INSERT INTO %s SELECT * FROM ins`,
		tb.QualifiedName(), strings.Join(cols, ", "), tmp, pk, done)
	tag, err := c.tx.Exec(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	c.res.written += tag.RowsAffected()
	if soft {
		sd := ident(c.m.SoftDelete)
		q := fmt.Sprintf(`UPDATE %s t SET %s = s.%s FROM %s s WHERE %s AND t.%s >= $1`, tb.QualifiedName(), sd, sd, tmp, pkMatch(tb.PrimaryKey, "t", "s"), sd)
		tag, err := c.tx.Exec(ctx, q, c.t0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		c.res.written += tag.RowsAffected()
	}
	return &deferredSet{table: tb, cols: deferred, tmp: tmp, done: done}, nil
}

// setDeferred sets the deferred references of the rows a table got back.
func (c *ownedCopy) setDeferred(ctx context.Context, d deferredSet) error {
	set := make([]string, len(d.cols))
	for i, col := range d.cols {
		set[i] = fmt.Sprintf("%s = s.%s", ident(col), ident(col))
	}
	q := fmt.Sprintf(`UPDATE %s t SET %s FROM %s s JOIN %s i USING (%s) WHERE %s`, d.table.QualifiedName(), strings.Join(set, ", "),
		d.tmp, d.done, identList(d.table.PrimaryKey), pkMatch(d.table.PrimaryKey, "t", "s"))
	if _, err := c.tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// pipe COPYs the rows of query on the side db into table (or temporary table) into on the live
// one.
func (c *ownedCopy) pipe(ctx context.Context, query, into string) (int64, error) {
	return PipeCopy(ctx, c.src, c.tx.Conn().PgConn(),
		fmt.Sprintf(`COPY (%s) TO STDOUT (FORMAT binary)`, query), fmt.Sprintf(`COPY %s FROM STDIN (FORMAT binary)`, into))
}

// childrenGoWithUnit says whether a live unit's deletion took the table's rows under it along,
// or forbade it: every hop of the route to the unit is a foreign key that cascades, restricts
// or takes no action (fks, from deleteActions). A declared join or an ON DELETE SET NULL leaves
// rows live under a gone unit, which a straight COPY would collide with.
func (c *ownedCopy) childrenGoWithUnit(tb tenancy.Table, fks map[string]byte) bool {
	type hop struct {
		table string
		cols  []string
		ref   string
	}
	var hops []hop
	last := tb.Name
	for _, e := range tb.UnitPath {
		hops = append(hops, hop{e.Table, e.Columns, e.RefTable})
		last = e.RefTable
	}
	if last != c.m.UnitTable {
		hops = append(hops, hop{last, []string{tb.UnitColumn}, c.m.UnitTable})
	}
	for _, h := range hops {
		switch fks[fkKey(h.table, h.cols, h.ref)] {
		case 'c', 'r', 'a':
		default:
			return false
		}
	}
	return true
}

// unitNullable says whether a row of the table can be under no unit: a nullable column on its
// route to the unit.
func unitNullable(tb tenancy.Table, byName map[string]tenancy.Table) bool {
	at := tb
	for _, e := range tb.UnitPath {
		for _, col := range e.Columns {
			if cl, ok := at.Column(col); !ok || cl.Nullable {
				return true
			}
		}
		at = byName[e.RefTable]
	}
	cl, ok := at.Column(tb.UnitColumn)
	return !ok || cl.Nullable
}

// unitRoute returns the FROM clause of the rows of the query owned (as o) joined along the
// table's route to its unit, outer joins when outer, and the expression of the unit's key.
func unitRoute(tb tenancy.Table, owned string, outer bool) (from, key string) {
	join := " JOIN "
	if outer {
		join = " LEFT JOIN "
	}
	var b strings.Builder
	b.WriteString("(" + owned + ") o")
	alias := "o"
	for i, e := range tb.UnitPath {
		next := fmt.Sprintf("u%d", i+1)
		b.WriteString(join + tenancy.Table{Schema: tb.Schema, Name: e.RefTable}.QualifiedName() + " " + next + " ON ")
		for j := range e.Columns {
			if j > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "%s.%s = %s.%s", alias, ident(e.Columns[j]), next, ident(e.RefColumns[j]))
		}
		alias = next
	}
	return b.String(), alias + "." + ident(tb.UnitColumn)
}

const foreignKeysSQL = `
SELECT c.conname::text, cl.relname::text, rf.relname::text, c.confrelid::regclass::text,
	rf.relnamespace = cl.relnamespace, c.confdeltype::text, c.confmatchtype = 'f',
	array_agg(a.attname::text ORDER BY k.ord), array_agg(ra.attname::text ORDER BY k.ord)
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class cl ON cl.oid = c.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_catalog.pg_class rf ON rf.oid = c.confrelid
CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY k(attnum, refnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
JOIN pg_catalog.pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum
WHERE c.contype = 'f' AND n.nspname = $1
GROUP BY c.oid, c.conname, cl.relname, rf.relname, rf.relnamespace, cl.relnamespace, c.confrelid, c.confdeltype, c.confmatchtype
ORDER BY cl.relname, c.conname`

// fkRef is one live foreign key of a table in a copy's schema.
type fkRef struct {
	name       string   // constraint name
	table      string   // the child table
	ref        string   // the parent table's name
	parent     string   // the parent table, qualified as SQL needs it
	sameSchema bool     // the parent is in the child's schema
	action     byte     // ON DELETE: c(ascade), r(estrict), a (no action), n (set null), d (set default)
	matchFull  bool     // MATCH FULL: a partly NULL key is a violation, not a skip
	cols, refs []string // child columns and the parent's columns, in order
}

// foreignKeys reads the live foreign keys of the tables in schema, once per copy transaction.
func (c *ownedCopy) foreignKeys(ctx context.Context, schema string) ([]fkRef, error) {
	if fks, ok := c.fks[schema]; ok {
		return fks, nil
	}
	rows, err := c.tx.Query(ctx, foreignKeysSQL, schema)
	if err != nil {
		return nil, fmt.Errorf("foreign keys of schema %s: %w", schema, err)
	}
	var fks []fkRef
	var f fkRef
	var action string
	if _, err := pgx.ForEachRow(rows, []any{&f.name, &f.table, &f.ref, &f.parent, &f.sameSchema, &action, &f.matchFull, &f.cols, &f.refs}, func() error {
		f.action = action[0]
		fks = append(fks, f)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("foreign keys of schema %s: %w", schema, err)
	}
	if c.fks == nil {
		c.fks = map[string][]fkRef{}
	}
	c.fks[schema] = fks
	return fks, nil
}

// deleteActions are the ON DELETE actions of the foreign keys within one schema, by fkKey.
func deleteActions(fks []fkRef) map[string]byte {
	out := map[string]byte{}
	for _, f := range fks {
		if f.sameSchema {
			out[fkKey(f.table, f.cols, f.ref)] = f.action
		}
	}
	return out
}

func fkKey(table string, cols []string, ref string) string {
	return table + "(" + strings.Join(cols, ",") + ")->" + ref
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

func identList(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = ident(c)
	}
	return strings.Join(out, ", ")
}

// pkMatch is the condition that rows a and b have the same primary key.
func pkMatch(pk []string, a, b string) string {
	parts := make([]string, len(pk))
	for i, c := range pk {
		parts[i] = fmt.Sprintf("%s.%s = %s.%s", a, ident(c), b, ident(c))
	}
	return strings.Join(parts, " AND ")
}

// textArray renders keys as a Postgres array literal inside an SQL string constant, every
// element quoted: COPY takes no parameters, and a unit key may be text or a uuid.
func textArray(keys []string) string {
	var b strings.Builder
	b.WriteString("'{")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		k = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `''`).Replace(k)
		b.WriteString(`"` + k + `"`)
	}
	b.WriteString("}'")
	return b.String()
}
