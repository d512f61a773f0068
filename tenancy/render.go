package tenancy

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Render writes a stack-file skeleton for the model, laid out as stacks/reference/stack.yaml:
// the services, database and traffic sections are TODOs; the tenancy section is what Discover
// found, with the references it suspects but could not find as commented joins, and comments on
// how every owned table reaches its tenant and which tables are shared. dsnRedacted (the DSN
// with its password removed) is named in the header. It is what `drdrill stack init --dsn`
// prints.
func Render(w io.Writer, m *Model, dsnRedacted string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	name := m.Database
	if name == "" {
		name = "TODO"
	}

	p("# A stack file drafted by `drdrill stack init` from the catalog of")
	p("#   %s", oneLine(dsnRedacted))
	p("# The tenancy section is what the database says: check it. Everything marked TODO is yours.")
	p("apiVersion: drdrill/v1")
	p("kind: Stack")
	p("name: %-29s # TODO: a short name for this stack", scalar(name))
	p("")
	p("# The services of the stack, each a container on the drill's network under its name. Images are")
	p("# never pulled: build them first.")
	p("services:")
	p("  db:")
	p("    image: drdrill/postgres:15      # TODO: your PostgreSQL image, built locally")
	p("    postgres: true                  # the database drdrill backs up, breaks and restores")
	p("  app:")
	p("    image: TODO                     # TODO: your service's image")
	p("    port: 8080                      # TODO: the port it listens on")
	p("    env: {}                         # TODO: its environment (not the DSN: see dsnEnv)")
	p("    wait:")
	p("      http: /healthz                # TODO: a path that answers once the service reaches the database")
	p("      status: 200")
	p("")
	p("database:")
	p("  service: db")
	p("  name: %s", scalar(name))
	p("  dsnEnv: DATABASE_URL              # TODO: the variable your service reads its DSN from")
	p("  schema: schema.sql                # TODO: the DDL of these tables (pg_dump --schema-only)")
	p("")
	p("tenancy:")
	m.renderTenancy(p)
	p("")
	p("seeding:")
	p("  generator: generic               # rows made from the schema above")
	p("")
	p("traffic:")
	p("  # TODO: one acknowledged write of your API; drdrill fills {unit}, {key} and {value}, and")
	p("  # readBack must return the value.")
	p("  write:")
	p("    method: PUT")
	p("    url: TODO")
	p("    body: '{\"value\":\"{value}\"}'")
	p("    success: [200, 201]")
	p("  table: TODO                      # TODO: the table the write lands in")
	p("  keyColumn: TODO                  # TODO: its column holding {key}")
	p("  readBack: TODO")
	p("")
	p("probes:")
	p("  health:")
	p("    method: GET")
	p("    url: TODO                       # TODO: a per-unit health endpoint")
	p("    healthy: [200]")
	p("")
	p("incident:")
	p("  script: builtin")
	p("")
	p("runbooks: {}")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("render stack file: %w", err)
	}
	return nil
}

func (m *Model) renderTenancy(p func(string, ...any)) {
	p("  model: %s", m.Kind)
	if m.Kind == SchemaPerTenant {
		p("  schemaPattern: %s", scalar(m.SchemaPattern))
		p("  # %d tenant schemas found (%s); their tables were read from %s.", len(m.Schemas), strings.Join(m.Schemas, ", "), m.Template)
	}
	if m.TenantTable != "" {
		p("  tenant: {table: %s, key: %s}", scalar(m.TenantTable), scalar(m.TenantKey))
	} else {
		p("  # tenant: {table: TODO, key: id}   # optional here: a table listing the tenants, if there is one")
	}
	switch {
	case m.UnitTable == "":
		p("  # unit: {table: TODO, key: id, tenantColumn: TODO}   # TODO: the unit a fault deletes")
	case m.UnitTenantColumn != "":
		p("  unit: {table: %s, key: %s, tenantColumn: %s}", scalar(m.UnitTable), scalar(m.UnitKey), scalar(m.UnitTenantColumn))
	default:
		p("  unit: {table: %s, key: %s}", scalar(m.UnitTable), scalar(m.UnitKey))
	}
	if m.SoftDelete != "" {
		p("  softDelete: %s", scalar(m.SoftDelete))
	} else {
		p("  # softDelete: none found (a nullable timestamptz like deleted_at on the tenant and unit tables)")
	}
	if len(m.Joins) > 0 {
		p("  joins:")
		for _, j := range m.Joins {
			p("    - {table: %s, column: %s, references: %s}", scalar(j.Table), scalar(j.Columns[0]), scalar(j.RefTable+"."+j.RefColumns[0]))
		}
	}
	if len(m.Hints) > 0 {
		p("  # Columns named like references but with no foreign key; declare the real ones under joins:")
		if len(m.Joins) == 0 {
			p("  # joins:")
		}
		for _, h := range m.Hints {
			ref := "TODO"
			if h.RefTable != "" {
				ref = h.RefTable + "." + h.RefColumn
			}
			p("  #   - {table: %s, column: %s, references: %s}", scalar(h.Table), scalar(h.Column), ref)
		}
	}

	p("  #")
	p("  # How the rows of each table reach their tenant, parents first:")
	width := 0
	for _, t := range m.Tables {
		width = max(width, len(t.Name))
	}
	for _, name := range m.Shared {
		width = max(width, len(name))
	}
	for _, t := range m.Tables {
		p("  #   %-*s  %s", width, t.Name, m.describe(t))
	}
	if len(m.Shared) > 0 {
		p("  # Shared, owned by no tenant:")
		for _, name := range m.Shared {
			p("  #   %-*s  %s", width, name, m.Reasons[name])
		}
	}
	for _, n := range m.Notes {
		p("  # Note: %s", oneLine(n))
	}
}

// describe is the comment on one owned table: its route to the tenant, its place under the unit.
func (m *Model) describe(t Table) string {
	var parts []string
	switch {
	case m.Kind == SchemaPerTenant:
		parts = append(parts, "in the tenant's schema")
	case t.Name == m.TenantTable:
		parts = append(parts, "the tenant ("+t.Name+"."+t.TenantColumn+")")
	default:
		hops := make([]string, 0, len(t.Path)+1)
		last := t.Name
		for _, e := range t.Path {
			hops = append(hops, e.String())
			last = e.RefTable
		}
		hops = append(hops, last+"."+t.TenantColumn+" = tenant")
		parts = append(parts, strings.Join(hops, ", "))
	}
	switch {
	case t.Name == m.UnitTable:
		parts = append(parts, "the unit")
	case t.UnderUnit:
		parts = append(parts, "under the unit")
	}
	for _, e := range t.SelfRefs {
		parts = append(parts, "a tree ("+e.String()+")")
	}
	return strings.Join(parts, "; ")
}

var plain = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// scalar writes s as a YAML scalar, quoted unless it is a plain identifier.
func scalar(s string) string {
	if plain.MatchString(s) && !isYAMLWord(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func isYAMLWord(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return true
	}
	return false
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
