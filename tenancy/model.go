package tenancy

import (
	"errors"
	"fmt"
	"strings"
)

// The tenancy models a stack file names.
const (
	// ForeignKeys: every tenant shares the tables; a row belongs to a tenant through a tenant
	// column on its table or a chain of references to a table that has one.
	ForeignKeys = "foreign-keys"
	// SchemaPerTenant: every tenant has a schema of its own, all with the same tables.
	SchemaPerTenant = "schema-per-tenant"
)

// PatternTenant is the placeholder of Declared.SchemaPattern that stands for the tenant.
const PatternTenant = "{tenant}"

// Sentinel errors of Discover; each is wrapped with the table, column or schema at fault.
var (
	ErrTenantTable   = errors.New("tenant table not found")
	ErrTenantKey     = errors.New("tenant key column not found")
	ErrUnitTable     = errors.New("unit table or column not found")
	ErrUnitNotOwned  = errors.New("unit table not owned by the tenant")
	ErrJoin          = errors.New("declared join names a missing table or column")
	ErrJoinCycle     = errors.New("declared joins form a cycle")
	ErrCycle         = errors.New("references form a cycle")
	ErrSoftDelete    = errors.New("soft-delete column not found")
	ErrNoSchemas     = errors.New("no schema matches the pattern")
	ErrSchemaDiffers = errors.New("tenant schemas differ")
	ErrModel         = errors.New("unknown tenancy model")
)

// Join is a relation the database does not declare with a foreign key: Table.Column holds
// values of RefTable.RefColumn. It is the `joins` entry of a stack file.
type Join struct {
	Table, Column       string
	RefTable, RefColumn string
}

func (j Join) String() string {
	return fmt.Sprintf("%s.%s -> %s.%s", j.Table, j.Column, j.RefTable, j.RefColumn)
}

// Declared is what a stack file's `tenancy` section says, as plain values: the input of
// Discover. Empty fields take the defaults given with them.
type Declared struct {
	// Model is ForeignKeys (the default) or SchemaPerTenant.
	Model string
	// Schema is the schema searched for the tables of the ForeignKeys model ("public"), and for
	// the tenant table of the SchemaPerTenant model when one is named.
	Schema string
	// TenantTable and TenantKey name the tenant and its key (TenantKey: the table's
	// single-column primary key). TenantTable is optional under SchemaPerTenant.
	TenantTable, TenantKey string
	// UnitTable, UnitKey and UnitTenantColumn name the unit a fault deletes (a site, a
	// workspace) and its column holding the tenant key; UnitTable empty means no unit. A column
	// named UnitTenantColumn on any table counts as a direct tenant column.
	UnitTable, UnitKey, UnitTenantColumn string
	// SoftDelete is the column that marks a row deleted; empty lets Discover look for one.
	SoftDelete string
	// UpdatedAt is the column every write of the application moves, on the tables that have
	// it; empty: none is declared (tenant-repair needs one).
	UpdatedAt string
	// SchemaPattern names the tenant schemas under SchemaPerTenant, e.g. "tenant_{tenant}".
	SchemaPattern string
	// Joins are the relations with no foreign key.
	Joins []Join
}

// Column is a column of a table.
type Column struct {
	Name     string
	Type     string // as format_type prints it: bigint, timestamp with time zone, …
	Nullable bool
}

// Edge is one reference between tables: Table.Columns hold values of RefTable.RefColumns,
// through a foreign key (Constraint names it) or a declared join.
type Edge struct {
	Table      string
	Columns    []string
	RefTable   string
	RefColumns []string
	Constraint string // the foreign key's name; empty for a declared join
	Declared   bool   // from Declared.Joins
}

func (e Edge) String() string {
	return fmt.Sprintf("%s.%s -> %s.%s", e.Table, colList(e.Columns), e.RefTable, colList(e.RefColumns))
}

func colList(cols []string) string {
	if len(cols) == 1 {
		return cols[0]
	}
	return "(" + strings.Join(cols, ", ") + ")"
}

// Table is a table owned by tenants, with the routes its rows take to their tenant and unit.
type Table struct {
	// Schema qualifies the table in SQL; empty under SchemaPerTenant, where Model.InTenant
	// gives the table in one tenant's schema.
	Schema     string
	Name       string
	Columns    []Column
	PrimaryKey []string
	// Direct is the table's own column holding the tenant key (the key itself on the tenant
	// table), empty when the rows reach their tenant through Path.
	Direct string
	// Path is the shortest chain of references from this table to a table that carries the
	// tenant key directly; TenantColumn is that column on the last table of Path (on this
	// table when Path is empty). blocks: [blocks.page_id -> pages.id, pages.workspace_id ->
	// workspaces.id] and TenantColumn org_id. Under SchemaPerTenant both are empty: the schema
	// is the tenant.
	Path         []Edge
	TenantColumn string
	// UnderUnit says that the table's rows belong to a unit (the unit table itself, or a table
	// that reaches it), so a deleted unit takes them with it. UnitPath and UnitColumn are the
	// route, as Path and TenantColumn are for the tenant: UnitColumn holds the unit key.
	UnderUnit  bool
	UnitPath   []Edge
	UnitColumn string
	// SelfRefs are references to the table itself (a tree: parent_id -> id); rows must be
	// inserted parents first or with the constraint deferred.
	SelfRefs []Edge
}

// Column returns the named column and whether the table has it.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Model is the tenancy of a schema as Discover found it.
type Model struct {
	Kind     string // ForeignKeys or SchemaPerTenant
	Database string // current_database() when discovered
	// Schema holds the tables (ForeignKeys), or the tenant table (SchemaPerTenant).
	Schema string
	// Tenant table and key; Table is empty under SchemaPerTenant with no tenant table.
	TenantTable, TenantKey string
	// UnitTable, UnitKey, UnitTenantColumn: the unit; UnitTable empty when none was declared.
	UnitTable, UnitKey, UnitTenantColumn string
	// SoftDelete is the soft-delete column of the tenant and unit tables, declared or found.
	SoftDelete string
	// Tables are the owned tables in dependency order: the tenant table first, every table
	// after the tables it references (self-references aside).
	Tables []Table
	// Shared are the tables no tenant owns (lookup tables, plans), sorted; Reasons says why
	// for each.
	Shared  []string
	Reasons map[string]string
	// Joins are the declared joins, as edges; Hints are references the catalog suggests (a
	// column ending _id or _ref with no foreign key and no declared join), RefTable "" when no
	// table fits the name.
	Joins []Edge
	Hints []Join
	// Deferred are nullable references that close a cycle: the order ignores them, so a
	// restore inserts NULL there and sets them after the referenced rows exist.
	Deferred []Edge
	// Notes are remarks for a human: self-references, references to other schemas.
	Notes []string
	// SchemaPattern, Schemas and Tenants (SchemaPerTenant): the pattern, the tenant schemas
	// found (sorted) and the tenant each stands for, in the same order. Template is the schema
	// whose tables were read.
	SchemaPattern string
	Schemas       []string
	Tenants       []string
	Template      string
}

// Table returns the owned table named name.
func (m *Model) Table(name string) (Table, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// TenantSchema is the schema of tenant under SchemaPerTenant: the pattern with {tenant}
// replaced.
func (m *Model) TenantSchema(tenant string) string {
	return strings.ReplaceAll(m.SchemaPattern, PatternTenant, tenant)
}

// InTenant returns the owned table named name placed in tenant's schema (SchemaPerTenant), so
// that its SQL builders read that tenant's rows.
func (m *Model) InTenant(name, tenant string) (Table, bool) {
	t, ok := m.Table(name)
	if ok && m.Kind == SchemaPerTenant {
		t.Schema = m.TenantSchema(tenant)
	}
	return t, ok
}
