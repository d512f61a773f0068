package stackfile

import "go.yaml.in/yaml/v3"

// APIVersion is the one version of the format this package reads.
const APIVersion = "drdrill/v1"

// Stack is one stack file.
type Stack struct {
	APIVersion string             `yaml:"apiVersion"`
	Kind       string             `yaml:"kind"`
	Name       string             `yaml:"name"`
	Services   map[string]Service `yaml:"services"`
	Compose    string             `yaml:"compose"` // a docker-compose.yml instead of services
	Database   Database           `yaml:"database"`
	Tenancy    Tenancy            `yaml:"tenancy"`
	Seeding    Seeding            `yaml:"seeding"`
	Traffic    Traffic            `yaml:"traffic"`
	Probes     Probes             `yaml:"probes"`
	Incident   Incident           `yaml:"incident"`
	Runbooks   map[string]Runbook `yaml:"runbooks"`
	Backup     Backup             `yaml:"backup"`

	// Path is the file the stack was read from; relative paths in it are relative to its
	// directory.
	Path  string `yaml:"-"`
	nodes map[string]*yaml.Node
}

// Backup is how the stack is backed up: the tool (plain: pg_basebackup and a cp archive, or
// pgbackrest), and for pgBackRest the team's own options for the [global] section of its
// configuration (compress-type, process-max, repo1-retention-full, …), so a drill runs with
// the settings production runs with.
type Backup struct {
	Tool       string            `yaml:"tool"`
	Stanza     string            `yaml:"stanza"` // the team's pgBackRest stanza name; default drdrill
	PgBackRest map[string]string `yaml:"pgbackrest"`
}

// Service is one container of the stack.
type Service struct {
	Image    string            `yaml:"image"`
	Build    string            `yaml:"build"` // a build context, relative to the stack file
	Command  []string          `yaml:"command"`
	Env      map[string]string `yaml:"env"`
	Port     int               `yaml:"port"`
	Postgres bool              `yaml:"postgres"`
	Wait     Wait              `yaml:"wait"`
}

// Wait is how a service says it is ready: an HTTP path answering Status.
type Wait struct {
	HTTP   string `yaml:"http"`
	Status int    `yaml:"status"`
}

// Database names the PostgreSQL service and how the app reaches it.
type Database struct {
	Service     string `yaml:"service"`
	Name        string `yaml:"name"`
	DSNEnv      string `yaml:"dsnEnv"`
	Schema      string `yaml:"schema"`
	Constraints string `yaml:"constraints"`
}

// Tenancy is the tenancy model: who owns which rows, and the unit a faulty script deletes.
type Tenancy struct {
	Model         string `yaml:"model"`
	Tenant        Tenant `yaml:"tenant"`
	Unit          Unit   `yaml:"unit"`
	SoftDelete    string `yaml:"softDelete"`
	UpdatedAt     string `yaml:"updatedAt"`
	SchemaPattern string `yaml:"schemaPattern"`
	Joins         []Join `yaml:"joins"`
}

// Tenant is the tenant table and its key.
type Tenant struct {
	Table string `yaml:"table"`
	Key   string `yaml:"key"`
}

// Unit is the table of the unit a faulty script deletes (a site, a workspace).
type Unit struct {
	Table        string `yaml:"table"`
	Key          string `yaml:"key"`
	TenantColumn string `yaml:"tenantColumn"`
}

// Join is a relation with no foreign key: Table.Column holds values of References
// ("table.column").
type Join struct {
	Table      string `yaml:"table"`
	Column     string `yaml:"column"`
	References string `yaml:"references"`
}

// Seeding says how the tenants' data is made.
type Seeding struct {
	Generator string         `yaml:"generator"`
	PerTenant map[string]int `yaml:"perTenant"`
	PerUnit   map[string]int `yaml:"perUnit"`
	Command   []string       `yaml:"command"`
	// Image runs Command (default the database's image), on the drill's network with the live
	// database in libpq's variables.
	Image string `yaml:"image"`
}

// Traffic is the write the ledger counts and the SQL that reads it back.
type Traffic struct {
	Write Request `yaml:"write"`
	// Table and KeyColumn say where the writes land (the table, and its column holding
	// {key}): the manifest of seeded rows leaves the written rows to the ledger. Required with
	// the generic seeding; the reference seeding knows its records table.
	Table     string `yaml:"table"`
	KeyColumn string `yaml:"keyColumn"`
	ReadBack  string `yaml:"readBack"`
}

// Request is an HTTP request template.
type Request struct {
	Method  string `yaml:"method"`
	URL     string `yaml:"url"`
	Body    string `yaml:"body"`
	Success []int  `yaml:"success"`
}

// Probes are the per-unit health requests of the prober.
type Probes struct {
	Health Health   `yaml:"health"`
	Bulk   *Request `yaml:"bulk"`
}

// Health is a per-unit health request and the statuses that mean healthy.
type Health struct {
	Method  string `yaml:"method"`
	URL     string `yaml:"url"`
	Healthy []int  `yaml:"healthy"`
}

// Incident is the faulty script: "builtin", or the user's own (Own).
type Incident struct {
	Script string  `yaml:"-"`
	Own    *Script `yaml:"-"`
}

// Script is a user's own faulty script.
type Script struct {
	Image            string   `yaml:"image"`
	Command          []string `yaml:"command"`
	IDs              IDs      `yaml:"ids"`
	RefusedExitCodes []int    `yaml:"refusedExitCodes"`
}

// IDs is how the ID list reaches the script: exactly one of a file in its container, an
// environment variable, or its standard input.
type IDs struct {
	File  string `yaml:"file"`
	Env   string `yaml:"env"`
	Stdin bool   `yaml:"stdin"`
}

// Runbook is a user's restore procedure as named steps.
type Runbook struct {
	Steps []Step `yaml:"steps"`
}

// Step is one command of a runbook, in a container on the drill's network or on the host.
type Step struct {
	Name    string   `yaml:"name"`
	In      string   `yaml:"in"`
	Image   string   `yaml:"image"`
	Run     []string `yaml:"-"` // a list, or one shell string (run as sh -c)
	Timeout string   `yaml:"timeout"`
}
