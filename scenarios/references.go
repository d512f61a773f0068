package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drdrill/drdrill/tenancy"
)

// ErrOrphanRow says that a copy would have put back a row whose parent (the row its foreign key
// references) is neither live nor among the rows copied: the transaction is rolled back.
var ErrOrphanRow = errors.New("a restored row references a row that is not there")

// A copy back inserts hundreds of thousands of rows into tables whose foreign keys Postgres checks
// row by row, with a trigger that looks the parent up and locks it: on a 2-core machine that was
// most of the copy's cost (the raw COPY of the same rows into tables without foreign keys took a
// third of the time). So a copy whose tables carry no trigger or rule of their own inserts with
// session_replication_role = replica, which skips those per-row triggers, and then checks every
// foreign key of the tables it wrote once, set-wise, before it commits: the distinct keys the
// tenants' rows reference are counted, and their parents locked FOR KEY SHARE, as the triggers
// would have locked them, so that none can vanish before the commit. A key without a parent
// fails the copy with ErrOrphanRow naming the constraint and the key. A table with triggers or
// rules of its own (an audit trail, say) keeps the ordinary path: replica mode would skip them.

// ownTriggersSQL counts the triggers and rules that the tables' owners made (not the internal
// triggers of foreign keys): replica mode would skip them.
const ownTriggersSQL = `
SELECT (SELECT count(*) FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND n.nspname = $1 AND c.relname = ANY($2))
	+ (SELECT count(*) FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE r.rulename <> '_RETURN' AND n.nspname = $1 AND c.relname = ANY($2)),
	current_setting('is_superuser') = 'on'`

// skipRowChecks switches the copy's transaction to replica mode when that is safe (see above):
// the foreign-keys model, tables without triggers or rules of their own, no MATCH FULL key,
// and a superuser session. once says so; fks are then the model tables' foreign keys, to check
// before the commit.
func (c *ownedCopy) skipRowChecks(ctx context.Context) (fks []fkRef, once bool, err error) {
	if c.m.Kind == tenancy.SchemaPerTenant {
		return nil, false, nil
	}
	names := make([]string, len(c.m.Tables))
	for i, t := range c.m.Tables {
		names[i] = t.Name
	}
	var own int64
	var super bool
	if err := c.tx.QueryRow(ctx, ownTriggersSQL, c.m.Schema, names).Scan(&own, &super); err != nil {
		return nil, false, fmt.Errorf("triggers of the restored tables: %w", err)
	}
	if own > 0 || !super {
		return nil, false, nil
	}
	all, err := c.foreignKeys(ctx, c.m.Schema)
	if err != nil {
		return nil, false, err
	}
	for _, fk := range all {
		if !slices.Contains(names, fk.table) {
			continue
		}
		if fk.matchFull && len(fk.cols) > 1 {
			return nil, false, nil
		}
		fks = append(fks, fk)
	}
	if _, err := c.tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		return nil, false, fmt.Errorf("skip per-row checks: %w", err)
	}
	return fks, true, nil
}

// checkReferences checks, once the copy's rows are in, that every key the tenants' rows (in,
// as SelectOwned takes it) reference has its parent, and locks those parents FOR KEY SHARE;
// it ends replica mode first, so the rest of the transaction is checked as usual.
func (c *ownedCopy) checkReferences(ctx context.Context, fks []fkRef, in string) error {
	if _, err := c.tx.Exec(ctx, "SET LOCAL session_replication_role = DEFAULT"); err != nil {
		return fmt.Errorf("end replica mode: %w", err)
	}
	for _, fk := range fks {
		tb, ok := c.m.Table(fk.table)
		if !ok {
			continue
		}
		keys := keysSQL(fk, tb.SelectOwned(in))
		var want, got int64
		q := fmt.Sprintf(`WITH k AS (%s), l AS (SELECT 1 FROM %s p WHERE (%s) IN (SELECT * FROM k) FOR KEY SHARE OF p)
SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM l)`, keys, fk.parent, prefixed("p", fk.refs))
		if err := c.tx.QueryRow(ctx, q).Scan(&want, &got); err != nil {
			return fmt.Errorf("check foreign key %s: %w", fk.name, err)
		}
		if got == want {
			continue
		}
		var key string
		orphan := fmt.Sprintf(`SELECT row(k.*)::text FROM (%s) k WHERE NOT EXISTS (SELECT 1 FROM %s p WHERE (%s) = (%s)) LIMIT 1`,
			keys, fk.parent, prefixed("p", fk.refs), prefixed("k", fk.cols))
		if err := c.tx.QueryRow(ctx, orphan).Scan(&key); err != nil {
			return fmt.Errorf("check foreign key %s: %d of %d keys without a parent: %w", fk.name, want-got, want, err)
		}
		return fmt.Errorf("%w: foreign key %s: %s (%s)=%s has no row in %s (%d such keys)", ErrOrphanRow,
			fk.name, fk.table, strings.Join(fk.cols, ", "), key, fk.parent, want-got)
	}
	return nil
}

// keysSQL selects the distinct non-NULL keys of fk over the rows of owned (MATCH SIMPLE: a key
// with a NULL references nothing).
func keysSQL(fk fkRef, owned string) string {
	notNull := make([]string, len(fk.cols))
	for i, col := range fk.cols {
		notNull[i] = "o." + ident(col) + " IS NOT NULL"
	}
	return fmt.Sprintf(`SELECT DISTINCT %s FROM (%s) o WHERE %s`, prefixed("o", fk.cols), owned, strings.Join(notNull, " AND "))
}

// prefixed lists columns as alias."col", comma-separated.
func prefixed(alias string, cols []string) string {
	out := make([]string, len(cols))
	for i, col := range cols {
		out[i] = alias + "." + ident(col)
	}
	return strings.Join(out, ", ")
}
