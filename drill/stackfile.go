package drill

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stackfile"
	"github.com/drdrill/drdrill/stacks/reference"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
	"github.com/drdrill/drdrill/tenancy"
)

// ErrNotDrillable: a valid stack file asks for something this drdrill cannot drill yet.
var ErrNotDrillable = errors.New("stack file not drillable yet")

// LoadStack reads a stack file and says whether a drill can run on it: the file's own
// problems (stackfile.ErrInvalid), then what the drill engine does not do yet
// (ErrNotDrillable). Both are caught before any container starts.
func LoadStack(path string) (*stackfile.Stack, error) {
	s, err := stackfile.Load(path)
	if err != nil {
		return nil, err
	}
	if err := CheckDrillable(s); err != nil {
		return nil, err
	}
	return s, nil
}

// CheckDrillable lists what a stack file asks that the drill engine cannot do yet: a model
// other than foreign keys, build contexts, more than one app service, the
// built-in script on a schema that is not the reference's, IDs on stdin. Everything else
// (services or a compose file, seeding, tenancy, traffic, probes, script, runbooks) is taken
// from the file.
func CheckDrillable(s *stackfile.Stack) error {
	var why []string
	var apps []string
	for name, sv := range s.Services {
		if !sv.Postgres {
			apps = append(apps, name)
		}
		if sv.Image == "" {
			why = append(why, fmt.Sprintf("services.%s: build contexts are not built by drills yet; build the image and name it (image: in the stack or compose file)", name))
		}
	}
	if len(apps) != 1 {
		slices.Sort(apps)
		why = append(why, fmt.Sprintf("services: drills start the database and one app service, the file has %d (%s)", len(apps), strings.Join(apps, ", ")))
	}
	generic := s.Seeding.Generator == "generic"
	if s.Seeding.Generator == "command" {
		generic = true // the data is the stack's own, read through its tenancy model
	}
	t := s.Tenancy
	switch {
	case t.Model == tenancy.SchemaPerTenant:
		why = append(why, "tenancy.model schema-per-tenant: discovered and checked, but drills seed, script and manifest the foreign-keys model only yet")
	case !generic && (t.Tenant.Table != "tenants" || t.Unit.Table != "sites"):
		why = append(why, "tenancy: the reference seeding knows tenants and sites only: use generator: generic (or command) for another schema")
	}
	if s.Incident.Own == nil && generic {
		why = append(why, "incident: the built-in script deletes the reference's sites: give the stack's own script (incident.script: {image, command, ids})")
	}
	if o := s.Incident.Own; o != nil && o.IDs.Stdin {
		why = append(why, "incident.script.ids.stdin: drills hand the ID list in a file or an environment variable only yet")
	}
	if len(why) == 0 {
		return nil
	}
	slices.Sort(why)
	return fmt.Errorf("%w: %s: %s", ErrNotDrillable, s.Path, strings.Join(why, "; "))
}

// ownScript is the stack file's own faulty script, nil for the built-in one.
func (c Config) ownScript() *scenarios.OwnScript {
	o := c.stackFile().Incident.Own
	if o == nil {
		return nil
	}
	return &scenarios.OwnScript{Image: o.Image, Command: o.Command, IDsFile: o.IDs.File, IDsEnv: o.IDs.Env, Refused: o.RefusedExitCodes}
}

// CheckIncident says whether the drill's stack can run the incident spec: a stack seeded by the
// generic generator or its own command lists its units only (the reference's app IDs do not
// exist there); corrupt and truncate are modes of the built-in script; a truncate names a
// table of the stack's that a tenant owns and no other table references.
func (c Config) CheckIncident(spec IncidentSpec) error {
	s := c.stackFile()
	if spec.Mode == modeTruncate || spec.Mode == string(legacycleanup.ModeCorrupt) {
		if s.Incident.Own != nil {
			return fmt.Errorf("stack %s runs its own faulty script: the %s mode is the built-in legacy-cleanup's (mark and purge go to the stack's script)", s.Name, spec.Mode)
		}
	}
	if spec.Mode == modeTruncate {
		return checkTruncatable(s, spec.Table)
	}
	if (s.Seeding.Generator == "generic" || s.Seeding.Generator == "command") && spec.IDKind != "site" {
		return fmt.Errorf("stack %s: the faulty list holds %s IDs, but on a generically seeded stack it holds the unit's (%s) IDs only: write \"with site IDs\"", s.Name, spec.IDKind, s.Tenancy.Unit.Table)
	}
	return nil
}

// checkTruncatable says whether a migration may truncate table on stack s: a table of the
// stack's shape (the manifest's tables) that the built-in script can empty, i.e. not the
// tenant or unit table, which the others reference.
func checkTruncatable(s *stackfile.Stack, table string) error {
	tables := fixtures.Reference.Tables
	if !slices.Contains(tables, table) {
		return fmt.Errorf("table %q is not a table of stack %s: its tables are %s; a migration truncates one of %s",
			table, s.Name, strings.Join(tables, ", "), strings.Join(legacycleanup.TruncatableTables, ", "))
	}
	if !slices.Contains(legacycleanup.TruncatableTables, table) {
		return fmt.Errorf("table %q of stack %s is referenced by the other tables (TRUNCATE would need CASCADE and take every tenant's data): a migration truncates one of %s",
			table, s.Name, strings.Join(legacycleanup.TruncatableTables, ", "))
	}
	return nil
}

// Tool is the drill's backup tool: the one a step or --backup-tool chose (Config.BackupTool),
// else the stack file's backup.tool, else plain.
func (c Config) Tool() stack.BackupTool {
	if c.BackupTool != "" {
		return c.BackupTool
	}
	if t := c.stackFile().Backup.Tool; t != "" {
		return stack.BackupTool(t) // plain or pgbackrest: stackfile checked it
	}
	return stack.Plain
}

// stackFile is the drill's stack file: Config.Stack, or the reference one.
func (c Config) stackFile() *stackfile.Stack {
	if c.Stack != nil {
		return c.Stack
	}
	return reference.Stack()
}

// stackConfig is the stack the file describes, for stack.Start. Images named by
// $DRDRILL_DB_IMAGE and $DRDRILL_APP_IMAGE win (tests point them at missing images).
func (c Config) stackConfig() stack.Config {
	s := c.stackFile()
	sc := stack.Config{RunID: c.RunID, Group: c.Group, Keep: c.Keep, ArchiveTimeout: c.ArchiveTimeout, BackupTool: c.Tool(), Log: c.Log}
	if sc.BackupTool == stack.PgBackRest {
		sc.PgBackRestOptions, sc.Stanza = s.Backup.PgBackRest, s.Backup.Stanza
	}
	for _, sv := range s.Services {
		if sv.Postgres {
			sc.DBImage = cmp.Or(os.Getenv(stack.EnvDBImage), sv.Image)
			continue
		}
		sc.AppImage = cmp.Or(os.Getenv(stack.EnvAppImage), sv.Image)
		sc.App = stack.AppSpec{Command: sv.Command, Port: sv.Port, Health: sv.Wait.HTTP, HealthStatus: sv.Wait.Status, DSNEnv: s.Database.DSNEnv}
		if len(sv.Env) > 0 {
			sc.AppEnv = sv.Env
		}
	}
	return sc
}

// requests are the stack file's write and health templates.
func (c Config) requests() (write, health measure.Request) {
	s := c.stackFile()
	w, h := s.Traffic.Write, s.Probes.Health
	return measure.Request{Method: w.Method, URL: w.URL, Body: w.Body, OK: w.Success},
		measure.Request{Method: h.Method, URL: h.URL, OK: h.Healthy}
}

// tenancy is the stack file's tenancy, from which tenant-restore discovers what to copy.
func (c Config) tenancy() *tenancy.Declared {
	d := c.stackFile().Declared()
	return &d
}

// ownRunbooks are the stack file's runbooks, as package scenarios runs them.
func (c Config) ownRunbooks() []scenarios.Runbook {
	s := c.stackFile()
	var out []scenarios.Runbook
	for _, name := range slices.Sorted(maps.Keys(s.Runbooks)) {
		rb := scenarios.OwnRunbook{Title: name}
		for _, st := range s.Runbooks[name].Steps {
			timeout, _ := time.ParseDuration(st.Timeout) // validated by stackfile
			rb.Steps = append(rb.Steps, scenarios.OwnStep{Name: st.Name, Host: st.In == "host", Image: st.Image, Run: st.Run, Timeout: timeout})
		}
		out = append(out, rb)
	}
	return out
}

// CheckRunbook says whether RunRunbook knows the runbook called name (a built-in one or one of
// the drill's stack file) and whether it can work on the stack's tenancy model.
func (d *Drill) CheckRunbook(name string) error {
	return scenarios.CheckRunbook(name, d.cfg.ownRunbooks(), d.cfg.tenancy())
}
