package stackfile

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drdrill/drdrill/tenancy"
)

// Placeholders a template may hold.
var placeholders = []string{"{unit}", "{key}", "{value}", "{tenant}"}

var placeholderRE = regexp.MustCompile(`\{[A-Za-z_]*\}`)

// Built-in runbooks a user's runbook cannot be named like.
var builtinRunbooks = []string{"undo-mark", "full-pitr", "tenant-restore"}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

func (c *checker) validate(s *Stack) {
	switch s.APIVersion {
	case APIVersion:
	case "":
		c.add(c.at("apiVersion"), "apiVersion is missing", "apiVersion: "+APIVersion+" (first line)")
	default:
		c.add(c.at("apiVersion"), fmt.Sprintf("apiVersion %q is not one this drdrill reads", s.APIVersion), "apiVersion: "+APIVersion)
	}
	if s.Kind != "Stack" {
		c.add(c.at("kind"), fmt.Sprintf("kind %q: a stack file's kind is Stack", s.Kind), "kind: Stack")
	}
	c.services(s)
	c.tenancy(s)
	c.seeding(s)
	c.request("traffic.write", s.Traffic.Write.Method, s.Traffic.Write.URL, s.Traffic.Write.Success, []string{"{unit}", "{key}"})
	if !strings.Contains(s.Traffic.Write.Body, "{value}") {
		c.add(c.at("traffic.write.body"), "traffic.write.body does not carry {value}: the ledger could not tell one write from another", `body: '{"value":"{value}"}'`)
	}
	c.template("traffic.write.body", s.Traffic.Write.Body)
	c.needs("traffic.readBack", s.Traffic.ReadBack, []string{"{unit}", "{key}"}, "readBack: SELECT value FROM records WHERE site_id = {unit} AND key = {key}")
	c.request("probes.health", s.Probes.Health.Method, s.Probes.Health.URL, s.Probes.Health.Healthy, []string{"{unit}"})
	if b := s.Probes.Bulk; b != nil {
		c.method("probes.bulk.method", b.Method)
		c.template("probes.bulk.url", b.URL)
	}
	c.incident(s)
	c.runbooks(s)
	c.backup(s)
}

// stanzaName is the form of a stanza name drdrill accepts.
var stanzaName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// pgBackRestOption is the form of a pgBackRest option name.
var pgBackRestOption = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// drdrillOwned are the pgBackRest options drdrill sets itself: where the repository and the
// cluster are in its containers, and how the repository must keep every backup a drill takes.
var drdrillOwned = []string{"repo1-path", "pg1-path", "stanza", "repo1-retention-full", "log-path", "lock-path", "spool-path"}

func (c *checker) backup(s *Stack) {
	b := s.Backup
	switch b.Tool {
	case "", "plain", "pgbackrest":
	default:
		c.add(c.at("backup.tool"), fmt.Sprintf("backup tool %q is not one drdrill runs", b.Tool), "tool: plain, or tool: pgbackrest")
	}
	if b.Stanza != "" && !stanzaName.MatchString(b.Stanza) {
		c.add(c.at("backup.stanza"), fmt.Sprintf("stanza %q is not a pgBackRest stanza name", b.Stanza), "letters, digits, '_', '.', '-', e.g. stanza: main")
	}
	if (len(b.PgBackRest) > 0 || b.Stanza != "") && b.Tool != "pgbackrest" {
		c.add(c.at("backup"), "a pgBackRest stanza or options without tool: pgbackrest", "tool: pgbackrest (under backup)")
	}
	for _, k := range slices.Sorted(mapsKeys(b.PgBackRest)) {
		switch {
		case !pgBackRestOption.MatchString(k):
			c.add(c.at("backup.pgbackrest."+k), fmt.Sprintf("%q is not a pgBackRest option name", k), "an option of pgbackrest.conf, e.g. compress-type: zst")
		case slices.Contains(drdrillOwned, k):
			c.add(c.at("backup.pgbackrest."+k), fmt.Sprintf("pgBackRest option %s is drdrill's: it places the repository and cluster in its containers", k), "leave it out; options such as compress-type, compress-level, process-max, buffer-size are yours")
		case strings.ContainsAny(b.PgBackRest[k], "\n\r"):
			c.add(c.at("backup.pgbackrest."+k), fmt.Sprintf("pgBackRest option %s spans lines", k), "a one-line value")
		}
	}
}

func (c *checker) services(s *Stack) {
	switch {
	case len(s.Services) > 0 && s.Compose != "":
		c.add(c.at("compose"), "both services and compose are given", "one of them: compose: docker-compose.yml, or a services: mapping")
	case len(s.Services) == 0 && s.Compose == "":
		c.add(c.at("services"), "no services", "services: {db: {image: drdrill/postgres:15, postgres: true}, app: {image: …}}, or compose: docker-compose.yml")
	}
	if s.Compose != "" {
		c.compose(s)
	}
	var pg []string
	for _, name := range slices.Sorted(mapsKeys(s.Services)) {
		sv, p := s.Services[name], "services."+name
		if sv.Image == "" && sv.Build == "" {
			c.add(c.at(p), fmt.Sprintf("service %s has neither image nor build", name), "image: NAME:TAG (built locally: nothing is pulled), or build: DIR")
		}
		if sv.Postgres {
			pg = append(pg, name)
		}
		if sv.Port != 0 && (sv.Port < 1 || sv.Port > 65535) {
			c.add(c.at(p+".port"), fmt.Sprintf("port %d is not a TCP port", sv.Port), "a port in 1-65535")
		}
		if st := sv.Wait.Status; st != 0 && (st < 100 || st > 599) {
			c.add(c.at(p+".wait.status"), fmt.Sprintf("wait status %d is not an HTTP status", st), "status: 200")
		}
		if h := sv.Wait.HTTP; h != "" && !strings.HasPrefix(h, "/") {
			c.add(c.at(p+".wait.http"), fmt.Sprintf("wait path %q is not an absolute path", h), "http: /"+h)
		}
	}
	if len(s.Services) > 0 {
		switch {
		case len(pg) == 0:
			c.add(c.at("services"), "no service is the database", "postgres: true under the PostgreSQL service")
		case len(pg) > 1:
			c.add(c.at("services."+pg[1]+".postgres"), fmt.Sprintf("services %s say postgres: true; drdrill restores one database", strings.Join(pg, " and ")), "postgres: true on one service only")
		}
	}
	db := s.Database.Service
	switch {
	case db == "":
		c.add(c.at("database"), "database.service is missing", "database: {service: db, name: …}")
	case s.Compose != "":
	case s.Services[db].Image == "" && s.Services[db].Build == "" && !s.Services[db].Postgres:
		if _, ok := s.Services[db]; !ok {
			c.add(c.at("database.service"), fmt.Sprintf("database.service %q is not a service of this stack", db), "one of: "+strings.Join(slices.Sorted(mapsKeys(s.Services)), ", "))
		}
	case !s.Services[db].Postgres:
		c.add(c.at("database.service"), fmt.Sprintf("database.service %q is not the service marked postgres: true", db), "postgres: true under services."+db+", or name that service")
	}
	for _, f := range []struct{ key, path string }{{"database.schema", s.Database.Schema}, {"database.constraints", s.Database.Constraints}} {
		if f.path != "" {
			if _, err := c.read(f.path); err != nil {
				c.add(c.at(f.key), fmt.Sprintf("%s %s: no such file (paths are relative to the stack file)", f.key, f.path), "the path of your DDL, e.g. pg_dump --schema-only > schema.sql")
			}
		}
	}
}

// compose reads the service names of the user's compose file.
func (c *checker) compose(s *Stack) {
	b, err := c.read(s.Compose)
	if err != nil {
		c.add(c.at("compose"), fmt.Sprintf("compose file %s cannot be read (paths are relative to the stack file)", s.Compose), "the path of your docker-compose.yml")
		return
	}
	var f struct {
		Services map[string]yaml.Node `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil || len(f.Services) == 0 {
		c.add(c.at("compose"), fmt.Sprintf("compose file %s has no services: mapping", s.Compose), "a docker-compose.yml with services:")
		return
	}
	if db := s.Database.Service; db != "" {
		if _, ok := f.Services[db]; !ok {
			c.add(c.at("database.service"), fmt.Sprintf("database.service %q is not a service of %s", db, s.Compose), "one of: "+strings.Join(slices.Sorted(mapsKeys(f.Services)), ", "))
		}
	}
}

// read reads a file the stack file names, relative to the stack file's directory.
func (c *checker) read(p string) ([]byte, error) {
	if c.fsys != nil {
		return fs.ReadFile(c.fsys, path.Join(c.dir, p))
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	return os.ReadFile(p)
}

func (c *checker) tenancy(s *Stack) {
	t := s.Tenancy
	switch t.Model {
	case "", tenancy.ForeignKeys:
	case tenancy.SchemaPerTenant:
		switch {
		case t.SchemaPattern == "":
			c.add(c.at("tenancy.model"), "schema-per-tenant needs schemaPattern", "schemaPattern: tenant_{tenant}")
		case !strings.Contains(t.SchemaPattern, tenancy.PatternTenant):
			c.add(c.at("tenancy.schemaPattern"), fmt.Sprintf("schemaPattern %q does not hold {tenant}", t.SchemaPattern), "schemaPattern: tenant_{tenant}")
		}
	default:
		c.add(c.at("tenancy.model"), fmt.Sprintf("tenancy model %q is not one drdrill knows", t.Model), "model: foreign-keys, or model: schema-per-tenant")
	}
	if t.Model != tenancy.SchemaPerTenant {
		if t.Tenant.Table == "" {
			c.add(c.at("tenancy.tenant"), "tenancy.tenant.table is missing", "tenant: {table: tenants, key: id}")
		}
		if t.Tenant.Key == "" {
			c.add(c.at("tenancy.tenant"), "tenancy.tenant.key is missing: drdrill counts and restores tenants by it", "tenant: {table: "+or(t.Tenant.Table, "tenants")+", key: id}")
		}
		if t.Unit.Table != "" && t.Unit.Table == t.Tenant.Table {
			c.add(c.at("tenancy.unit.table"), fmt.Sprintf("the unit table is the tenant table %q: the unit is what a tenant has several of", t.Unit.Table), "unit: {table: sites, key: id, tenantColumn: tenant_id}")
		}
	}
	if t.Unit.Table == "" {
		c.add(c.at("tenancy.unit"), "tenancy.unit is missing: the faulty script deletes units", "unit: {table: sites, key: id, tenantColumn: tenant_id}")
	}
	edges := map[string]string{} // "table.column" → "table.column"
	for i, j := range t.Joins {
		p := fmt.Sprintf("tenancy.joins[%d]", i)
		rt, rc, ok := strings.Cut(j.References, ".")
		if !ok || rt == "" || rc == "" || strings.Contains(rc, ".") {
			c.add(c.at(p+".references"), fmt.Sprintf("references %q is not table.column", j.References), "references: pages.id")
			continue
		}
		if j.Table == "" || j.Column == "" {
			c.add(c.at(p), "a join needs table and column", "{table: comments, column: page_ref, references: pages.id}")
			continue
		}
		edges[j.Table+"."+j.Column] = j.References
	}
	c.joinCycle(t.Joins, edges)
	if s.Database.Schema != "" {
		if b, err := c.read(s.Database.Schema); err == nil {
			c.againstSchema(s, parseDDL(string(b)))
		}
	}
}

// joinCycle reports declared joins whose references lead back to where they start.
func (c *checker) joinCycle(joins []Join, edges map[string]string) {
	tableOf := func(col string) string { t, _, _ := strings.Cut(col, "."); return t }
	// Edges between tables: a join from table A to table B.
	next := map[string][]string{}
	for from, to := range edges {
		next[tableOf(from)] = append(next[tableOf(from)], tableOf(to))
	}
	for i, j := range joins {
		start := j.Table
		if j.References == "" || tableOf(j.References) == start {
			continue // a self-join is a tree, not a cycle
		}
		seen := map[string]bool{}
		var walk func(t string, trail []string) []string
		walk = func(t string, trail []string) []string {
			if t == start {
				return trail
			}
			if seen[t] {
				return nil
			}
			seen[t] = true
			for _, n := range slices.Sorted(slices.Values(next[t])) {
				if c := walk(n, append(trail, n)); c != nil {
					return c
				}
			}
			return nil
		}
		if cyc := walk(tableOf(j.References), []string{start, tableOf(j.References)}); cyc != nil {
			c.add(c.at(fmt.Sprintf("tenancy.joins[%d]", i)), "declared joins form a cycle: "+strings.Join(cyc, " -> "), "drop the join that points back (a join goes from a child to its parent)")
			return
		}
	}
}

// againstSchema checks the tables and columns the tenancy names against the schema's DDL.
func (c *checker) againstSchema(s *Stack, tables map[string][]string) {
	t := s.Tenancy
	has := func(table, col string) bool { return slices.Contains(tables[table], col) }
	check := func(key, table, col string) {
		if table == "" {
			return
		}
		if _, ok := tables[table]; !ok {
			c.add(c.at(key), fmt.Sprintf("table %q is not in %s", table, s.Database.Schema), "one of: "+strings.Join(slices.Sorted(mapsKeys(tables)), ", "))
			return
		}
		if col != "" && !has(table, col) {
			c.add(c.at(key), fmt.Sprintf("column %s.%s is not in %s", table, col, s.Database.Schema), "one of: "+strings.Join(tables[table], ", "))
		}
	}
	if t.Model != tenancy.SchemaPerTenant {
		check("tenancy.tenant", t.Tenant.Table, t.Tenant.Key)
		check("tenancy.unit", t.Unit.Table, t.Unit.TenantColumn)
	}
	check("tenancy.unit", t.Unit.Table, t.Unit.Key)
	if t.SoftDelete != "" && t.Unit.Table != "" && !has(t.Unit.Table, t.SoftDelete) {
		c.add(c.at("tenancy.softDelete"), fmt.Sprintf("softDelete column %q is not on the unit table %s", t.SoftDelete, t.Unit.Table), "the column that marks a row deleted, or no softDelete")
	}
	if ua := t.UpdatedAt; ua != "" && !slices.ContainsFunc(slices.Collect(mapsKeys(tables)), func(table string) bool { return has(table, ua) }) {
		c.add(c.at("tenancy.updatedAt"), fmt.Sprintf("updatedAt column %q is on no table of %s", ua, s.Database.Schema), "the column every write moves (e.g. updated_at), or no updatedAt")
	}
	if tr := s.Traffic; tr.Table != "" || tr.KeyColumn != "" {
		if tr.Table == "" || tr.KeyColumn == "" {
			c.add(c.at("traffic"), "traffic.table and traffic.keyColumn go together", "table: pages, keyColumn: slug")
		} else {
			check("traffic.keyColumn", tr.Table, tr.KeyColumn)
		}
	}
	for i, j := range t.Joins {
		rt, rc, ok := strings.Cut(j.References, ".")
		if !ok {
			continue
		}
		p := fmt.Sprintf("tenancy.joins[%d]", i)
		check(p+".column", j.Table, j.Column)
		check(p+".references", rt, rc)
	}
}

var (
	createRE = regexp.MustCompile(`(?is)CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"?\w+"?\.)?"?(\w+)"?\s*\(`)
	nonCols  = []string{"constraint", "primary", "foreign", "unique", "check", "exclude", "like"}
)

// parseDDL reads the tables and columns of CREATE TABLE statements; it is tolerant, not a SQL
// parser: comments are dropped, constraint lines skipped.
func parseDDL(sql string) map[string][]string {
	var b strings.Builder
	for line := range strings.Lines(sql) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	sql = b.String()
	tables := map[string][]string{}
	for _, m := range createRE.FindAllStringSubmatchIndex(sql, -1) {
		name := strings.ToLower(sql[m[2]:m[3]])
		depth, start := 1, m[1]
		end := start
		for end < len(sql) && depth > 0 {
			switch sql[end] {
			case '(':
				depth++
			case ')':
				depth--
			}
			end++
		}
		body := sql[start:max(start, end-1)]
		var cols []string
		depth = 0
		var cur strings.Builder
		flush := func() {
			f := strings.Fields(cur.String())
			cur.Reset()
			if len(f) == 0 || slices.Contains(nonCols, strings.ToLower(f[0])) {
				return
			}
			cols = append(cols, strings.ToLower(strings.Trim(f[0], `"`)))
		}
		for _, r := range body {
			switch {
			case r == '(':
				depth++
			case r == ')':
				depth--
			case r == ',' && depth == 0:
				flush()
				continue
			}
			cur.WriteRune(r)
		}
		flush()
		tables[name] = cols
	}
	return tables
}

func (c *checker) seeding(s *Stack) {
	switch s.Seeding.Generator {
	case "", "reference":
	case "generic", "command":
		if s.Traffic.Table == "" && s.Traffic.KeyColumn == "" {
			c.add(c.at("traffic"), s.Seeding.Generator+" seeding needs to know where the writes land, to leave them out of the seeded rows' manifest", "table: pages, keyColumn: slug (under traffic)")
		}
		if s.Seeding.Generator == "command" && len(s.Seeding.Command) == 0 {
			c.add(c.at("seeding.generator"), "generator command needs seeding.command", "command: [./seed.sh] (run after the schema; drdrill takes the manifest after it)")
		}
	default:
		c.add(c.at("seeding.generator"), fmt.Sprintf("seeding generator %q is not one drdrill knows", s.Seeding.Generator), "generator: generic, generator: command, or generator: reference")
	}
	for _, m := range []struct {
		key string
		m   map[string]int
	}{{"seeding.perTenant", s.Seeding.PerTenant}, {"seeding.perUnit", s.Seeding.PerUnit}} {
		for _, k := range slices.Sorted(mapsKeys(m.m)) {
			if m.m[k] < 0 {
				c.add(c.at(m.key+"."+k), fmt.Sprintf("%s.%s is %d: a count of rows", m.key, k, m.m[k]), "0 or more")
			}
		}
	}
}

func (c *checker) method(key, m string) {
	if !slices.Contains(methods, m) {
		c.add(c.at(key), fmt.Sprintf("HTTP method %q", m), "one of "+strings.Join(methods, ", "))
	}
}

// request checks a request template: method, URL placeholders and status codes.
func (c *checker) request(key, method, url string, statuses []int, need []string) {
	c.method(key+".method", method)
	c.needs(key+".url", url, need, "url: /v1/sites/{unit}/…")
	codes := "success"
	if strings.HasPrefix(key, "probes") {
		codes = "healthy"
	}
	if len(statuses) == 0 {
		c.add(c.at(key), fmt.Sprintf("%s.%s is missing: which statuses count", key, codes), codes+": [200]")
	}
	for i, st := range statuses {
		if st < 100 || st > 599 {
			c.add(c.at(fmt.Sprintf("%s.%s[%d]", key, codes, i)), fmt.Sprintf("%d is not an HTTP status", st), "a status in 100-599")
		}
	}
}

// needs checks that a template holds the placeholders it must and no unknown one.
func (c *checker) needs(key, tmpl string, need []string, example string) {
	for _, p := range need {
		if !strings.Contains(tmpl, p) {
			c.add(c.at(key), fmt.Sprintf("%s does not hold %s", key, p), example)
			return
		}
	}
	c.template(key, tmpl)
}

// template reports placeholders drdrill does not fill.
func (c *checker) template(key, tmpl string) {
	for _, p := range placeholderRE.FindAllString(tmpl, -1) {
		if !slices.Contains(placeholders, p) && strings.Trim(p, "{}") != "" {
			fix := "one of " + strings.Join(placeholders, " ")
			if near := nearest(p, placeholders); near != "" {
				fix = near + " (did you mean " + near + "?)"
			}
			c.add(c.at(key), fmt.Sprintf("unknown placeholder %s in %s", p, key), fix)
		}
	}
}

func (c *checker) incident(s *Stack) {
	in := s.Incident
	switch {
	case in.Own == nil && in.Script == "":
		c.add(c.at("incident"), "incident.script is missing", "script: builtin")
	case in.Own == nil && in.Script != "builtin":
		c.add(c.at("incident.script"), fmt.Sprintf("incident script %q: builtin or your own", in.Script), "script: builtin, or script: {image: …, command: […], ids: {file: /ids.txt}}")
	case in.Own != nil:
		o := in.Own
		if o.Image == "" || len(o.Command) == 0 {
			c.add(c.at("incident.script"), "your own script needs image and command", "{image: myco/cleanup:dev, command: [/cleanup, --purge], ids: {file: /ids.txt}}")
		}
		n := 0
		for _, set := range []bool{o.IDs.File != "", o.IDs.Env != "", o.IDs.Stdin} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.add(c.at("incident.script.ids"), fmt.Sprintf("ids gives %d ways for the ID list to reach the script; give exactly one", n), "ids: {file: /ids.txt}, ids: {env: IDS}, or ids: {stdin: true}")
		}
		for i, code := range o.RefusedExitCodes {
			if code <= 0 || code > 255 {
				c.add(c.at(fmt.Sprintf("incident.script.refusedExitCodes[%d]", i)), fmt.Sprintf("exit code %d cannot mean refused (0 is success; codes are 1-255)", code), "refusedExitCodes: [3]")
			}
		}
	}
}

func (c *checker) runbooks(s *Stack) {
	for _, name := range slices.Sorted(mapsKeys(s.Runbooks)) {
		p := "runbooks." + name
		if slices.Contains(builtinRunbooks, name) {
			c.add(c.at(p), fmt.Sprintf("runbook %q is a built-in one's name", name), "another name, e.g. "+name+"-ours")
		}
		rb := s.Runbooks[name]
		if len(rb.Steps) == 0 {
			c.add(c.at(p), fmt.Sprintf("runbook %s has no steps", name), "steps: [{name: restore, run: pg_restore …}]")
		}
		seen := map[string]bool{}
		for i, st := range rb.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, i)
			switch {
			case st.Name == "":
				c.add(c.at(sp), "a step needs a name (it is timed under it)", "name: restore the base backup")
			case seen[st.Name]:
				c.add(c.at(sp+".name"), fmt.Sprintf("two steps named %q in runbook %s", st.Name, name), "a name of its own")
			}
			seen[st.Name] = true
			if len(st.Run) == 0 {
				c.add(c.at(sp), fmt.Sprintf("step %q has no run", st.Name), "run: pg_restore -d \"$LIVE_DSN\" /backups/tenant.dump")
			}
			if st.In != "" && st.In != "container" && st.In != "host" {
				c.add(c.at(sp+".in"), fmt.Sprintf("step %q runs in %q", st.Name, st.In), "in: container, or in: host")
			}
			if st.Timeout != "" {
				if d, err := time.ParseDuration(st.Timeout); err != nil || d <= 0 {
					c.add(c.at(sp+".timeout"), fmt.Sprintf("timeout %q is not a duration", st.Timeout), "timeout: 5m")
				}
			}
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Declared is the tenancy section as tenancy.Discover takes it.
func (s *Stack) Declared() tenancy.Declared {
	t := s.Tenancy
	d := tenancy.Declared{Model: t.Model, TenantTable: t.Tenant.Table, TenantKey: t.Tenant.Key,
		UnitTable: t.Unit.Table, UnitKey: t.Unit.Key, UnitTenantColumn: t.Unit.TenantColumn,
		SoftDelete: t.SoftDelete, UpdatedAt: t.UpdatedAt, SchemaPattern: t.SchemaPattern}
	for _, j := range t.Joins {
		rt, rc, _ := strings.Cut(j.References, ".")
		d.Joins = append(d.Joins, tenancy.Join{Table: j.Table, Column: j.Column, RefTable: rt, RefColumn: rc})
	}
	return d
}
