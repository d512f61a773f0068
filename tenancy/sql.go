package tenancy

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The SQL builders are pure: a Table (as Discover found it, or made by hand) in, one statement
// out, its identifiers quoted. A parameter such as "$1" stands for an array of keys (bigint[],
// uuid[], text[] — the tenant or unit key's type). The table is aliased t and the tables of its
// route p1, p2, …; every hop of a route follows a reference to a key, so a row of t comes out
// once (a declared join should name a unique column for that to hold).

// QualifiedName is the table's name as SQL: "schema"."table".
func (t Table) QualifiedName() string {
	if t.Schema == "" {
		return pgx.Identifier{t.Name}.Sanitize()
	}
	return pgx.Identifier{t.Schema, t.Name}.Sanitize()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// route returns the FROM clause of t joined along path, and the expression of col on the last
// table of the path (on t when the path is empty).
func (t Table) route(path []Edge, col string) (from, key string) {
	joins, key := t.joins(path, col, "p")
	return "FROM " + t.QualifiedName() + " t" + joins, key
}

// joins returns the JOINs that follow path from t, the tables aliased prefix1, prefix2, …, and
// the expression of col on the last table of the path (on t when the path is empty).
func (t Table) joins(path []Edge, col, prefix string) (joins, key string) {
	var b strings.Builder
	alias := "t"
	for i, e := range path {
		next := fmt.Sprintf("%s%d", prefix, i+1)
		ref := Table{Schema: t.Schema, Name: e.RefTable}
		fmt.Fprintf(&b, " JOIN %s %s ON ", ref.QualifiedName(), next)
		for j := range e.Columns {
			if j > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "%s.%s = %s.%s", alias, ident(e.Columns[j]), next, ident(e.RefColumns[j]))
		}
		alias = next
	}
	return b.String(), alias + "." + ident(col)
}

// wholeSchema says that the table's schema is its tenant (SchemaPerTenant): no route to follow.
func (t Table) wholeSchema() bool { return t.TenantColumn == "" && len(t.Path) == 0 }

// SelectOwned returns the rows of the table owned by the tenants whose keys are in the array
// parameter tenantsParam:
//
//	SELECT t.* FROM "public"."blocks" t JOIN "public"."pages" p1 ON t."page_id" = p1."id"
//	JOIN "public"."workspaces" p2 ON p1."workspace_id" = p2."id" WHERE p2."org_id" = ANY($1)
//
// Under SchemaPerTenant (a table of Model.InTenant) it returns every row of the table in that
// tenant's schema and tenantsParam is not used.
func (t Table) SelectOwned(tenantsParam string) string { return t.SelectOwnedAs("t.*", tenantsParam) }

// SelectOwnedAs is SelectOwned with the select list cols over the table's rows as t (system
// columns such as t.xmin included); the query ends with its WHERE condition (none for a
// whole schema), so that a caller may add " AND …" conditions and a GROUP BY.
func (t Table) SelectOwnedAs(cols, tenantsParam string) string {
	if t.wholeSchema() {
		return "SELECT " + cols + " FROM " + t.QualifiedName() + " t"
	}
	from, key := t.route(t.Path, t.TenantColumn)
	return fmt.Sprintf("SELECT %s %s WHERE %s = ANY(%s)", cols, from, key, tenantsParam)
}

// SelectUnderUnits returns the rows of the table under the units whose keys are in the array
// parameter unitsParam (the unit rows themselves for the unit table), or "" when the table is
// not under the unit.
func (t Table) SelectUnderUnits(unitsParam string) string {
	if !t.UnderUnit {
		return ""
	}
	from, key := t.route(t.UnitPath, t.UnitColumn)
	return fmt.Sprintf("SELECT t.* %s WHERE %s = ANY(%s)", from, key, unitsParam)
}

// CountByTenant returns the number of rows of the table per tenant, as rows (tenant, n) in
// tenant order: of the tenants in the array parameter tenantsParam, or of all tenants when it is
// empty. Tenants without rows are absent. Under SchemaPerTenant it is "": use
// Model.CountBySchema.
func (t Table) CountByTenant(tenantsParam string) string {
	if t.wholeSchema() {
		return ""
	}
	from, key := t.route(t.Path, t.TenantColumn)
	where := ""
	if tenantsParam != "" {
		where = fmt.Sprintf(" WHERE %s = ANY(%s)", key, tenantsParam)
	}
	return fmt.Sprintf("SELECT %s AS tenant, count(*) AS n %s%s GROUP BY 1 ORDER BY 1", key, from, where)
}

// SumByTenant returns, per tenant, the number of rows of the table and an order-independent
// checksum of them, as rows (tenant, n, checksum text) — of the tenants in the array parameter
// tenantsParam, or of all tenants when it is empty — leaving out rows for which the SQL
// condition except holds (on alias t; "" keeps every row). Each row is hashed whole by
// hash_record_extended (PostgreSQL 14+: the binary value of every column, so session settings
// do not matter) and the hashes summed. With all, a fourth column all_rows counts every row,
// those left out included (a manifest remembers it to tell later which tenants changed: see
// VersionsByTenant). Under SchemaPerTenant it is "".
func (t Table) SumByTenant(tenantsParam, except string, all bool) string {
	if t.wholeSchema() {
		return ""
	}
	from, key := t.route(t.Path, t.TenantColumn)
	var where []string
	if tenantsParam != "" {
		where = append(where, fmt.Sprintf("%s = ANY(%s)", key, tenantsParam))
	}
	kept, allRows := "", ""
	if except != "" && all {
		kept = " FILTER (WHERE NOT (" + except + "))"
	} else if except != "" {
		where = append(where, "NOT ("+except+")")
	}
	if all {
		allRows = ", count(*) AS all_rows"
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	return fmt.Sprintf("SELECT %s AS tenant, count(*)%s AS n, coalesce(sum(hash_record_extended(t, 0))%s, 0)::text AS checksum%s %s%s GROUP BY 1",
		key, kept, kept, allRows, from, w)
}

// VersionsByTenant sums up the table's row versions per tenant by the SQL condition newer (on
// alias t: typically on t.xmin, the transaction that wrote the row version) and except, as rows
// (tenant, n, newer): n rows in all, and newer, the NewerSum of the newer ones — those left out
// by except counted, the others counted and hashed as SumByTenant hashes them. Every row is
// counted, only the newer ones are hashed, and newer is evaluated once per row. Under
// SchemaPerTenant it is "".
func (t Table) VersionsByTenant(newer, except string) string {
	if t.wholeSchema() {
		return ""
	}
	from, key := t.route(t.Path, t.TenantColumn)
	kept := ""
	if except != "" {
		kept = "NOT (" + except + ")"
	}
	return fmt.Sprintf("SELECT %s AS tenant, count(*) AS n, %s AS newer %s GROUP BY 1", key, NewerSum(newer, kept, "hash_record_extended(t, 0)"), from)
}

// newerSumShift packs NewerSum's three figures into one sum: the hashes above 2^64, the rows
// left out between 2^32 and 2^64, the kept rows below 2^32.
const newerSumShift = 32

// NewerSum is the SQL aggregate that sums a group's row versions for which newer holds: each
// adds hash·2^64 + 1 when kept holds ("" keeps every row) and 2^32 when not, so that one
// expression per row, newer evaluated once, gives how many newer rows were kept, their
// checksum (the sum of hash, hash a bigint SQL expression) and how many were left out, as
// numeric text ("0" when none is newer). ParseNewerSum takes it apart; the group must hold
// fewer than 2^32 rows.
func NewerSum(newer, kept, hash string) string {
	one := fmt.Sprintf("%s::numeric * %s + 1", hash, new(big.Int).Lsh(big.NewInt(1), 2*newerSumShift))
	if kept != "" {
		one = fmt.Sprintf("CASE WHEN %s THEN %s ELSE %d END", kept, one, int64(1)<<newerSumShift)
	}
	return fmt.Sprintf("coalesce(sum(CASE WHEN %s THEN %s END), 0)::text", newer, one)
}

// ParseNewerSum takes a NewerSum apart: the newer rows kept, their checksum (a decimal sum of
// hashes, as SumByTenant's) and the newer rows left out.
func ParseNewerSum(sum string) (kept int64, checksum string, leftOut int64, err error) {
	s, ok := new(big.Int).SetString(sum, 10)
	if !ok {
		return 0, "", 0, fmt.Errorf("newer row versions: %q is not an integer", sum)
	}
	// Euclidean: the hashes' sum may be negative, the two counts below it never are.
	hashes, low := new(big.Int).DivMod(s, new(big.Int).Lsh(big.NewInt(1), 2*newerSumShift), new(big.Int))
	counts := low.Uint64()
	return int64(counts & (1<<newerSumShift - 1)), hashes.String(), int64(counts >> newerSumShift), nil
}

// SelectKeyed returns the rows of a table under the unit with their tenant and unit keys
// first, as (drdrill_tenant, drdrill_unit, t.*: names no table has): of the tenants in the array parameter tenantsParam, or of
// all when it is empty. The tenant's route and the unit's are joined side by side (aliases
// p1… and u1…). "" when the table is not under the unit or its schema is its tenant.
func (t Table) SelectKeyed(tenantsParam string) string {
	if !t.UnderUnit || t.wholeSchema() {
		return ""
	}
	pj, tenant := t.joins(t.Path, t.TenantColumn, "p")
	uj, unit := t.joins(t.UnitPath, t.UnitColumn, "u")
	q := fmt.Sprintf("SELECT %s AS drdrill_tenant, %s AS drdrill_unit, t.* FROM %s t%s%s", tenant, unit, t.QualifiedName(), pj, uj)
	if tenantsParam != "" {
		q += fmt.Sprintf(" WHERE %s = ANY(%s)", tenant, tenantsParam)
	}
	return q
}

// CountByUnit returns the number of rows of the table per unit of the array parameter
// unitsParam, as rows (unit, n) in unit order, or "" when the table is not under the unit.
func (t Table) CountByUnit(unitsParam string) string {
	if !t.UnderUnit {
		return ""
	}
	from, key := t.route(t.UnitPath, t.UnitColumn)
	return fmt.Sprintf("SELECT %s AS unit, count(*) AS n %s WHERE %s = ANY(%s) GROUP BY 1 ORDER BY 1", key, from, key, unitsParam)
}

// QualifiedName is the SQL name of table for tenant: in the tenant's schema under
// SchemaPerTenant, in the model's schema (tenant unused) under ForeignKeys.
func (m *Model) QualifiedName(table, tenant string) string {
	if m.Kind == SchemaPerTenant {
		return pgx.Identifier{m.TenantSchema(tenant), table}.Sanitize()
	}
	return pgx.Identifier{m.Schema, table}.Sanitize()
}

// CountBySchema returns, under SchemaPerTenant, the number of rows of table in the schema of
// each of tenants, as rows (tenant text, n), one per tenant.
func (m *Model) CountBySchema(table string, tenants []string) string {
	parts := make([]string, len(tenants))
	for i, tn := range tenants {
		parts[i] = fmt.Sprintf("SELECT %s::text AS tenant, count(*) AS n FROM %s", literal(tn), m.QualifiedName(table, tn))
	}
	return strings.Join(parts, " UNION ALL ")
}

// literal quotes s as an SQL string constant.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
