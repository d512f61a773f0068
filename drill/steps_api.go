package drill

// What the Gherkin steps (package steps) need from a drill besides its phases and its checks
// (checks.go): configuration changes before the stack starts, and validation of step
// arguments without starting anything (the runner checks every feature before the first
// container).

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// ErrBreached is wrapped by CheckObjectives when an objective's verdict is breached. The CLI
// maps it to its own exit code (and ignores it under --report-only).
var ErrBreached = errors.New("objective breached")

// ErrUnmeasured is wrapped by CheckObjectives when an objective could not be measured: the
// drill could not answer the question, which is a failure, never a pass.
var ErrUnmeasured = errors.New("objective not measured")

// Configure changes the drill's configuration before the stack starts. f works on a copy:
// when the result does not validate, the drill keeps its previous configuration.
//
// Lead: refuse (return an error) once StartStack has been called — a configuration change
// after the stack started would silently not apply.
func (d *Drill) Configure(f func(*Config)) error {
	if d.st != nil {
		return errors.New("drill: the stack has started: configure the drill before it (in Given steps)")
	}
	c := d.cfg
	f(&c)
	if err := c.Validate(); err != nil {
		return err
	}
	d.cfg = c
	return nil
}

// Validate checks what a configuration names and sizes without starting anything: the
// profile exists, overrides keep the profile valid, rates and intervals are in range. Errors
// name the value.
func (c Config) Validate() error {
	if c.Profile == "" {
		c.Profile = DefaultProfile
	}
	if c.VictimShare < 0 || c.VictimShare > 1 || math.IsNaN(c.VictimShare) {
		return fmt.Errorf("faulty list share %g%%: must be more than 0%% and at most 100%%", c.VictimShare*100)
	}
	if _, err := c.profile(); err != nil {
		return err
	}
	switch {
	case c.TrafficRate < 0 || c.TrafficRate > maxTrafficRate:
		return fmt.Errorf("traffic rate %g writes/s: must be between 0 and %d", c.TrafficRate, maxTrafficRate)
	case c.ProbeInterval < 0, c.VerifyInterval < 0, c.ArchiveTimeout < 0, c.BackupEvery < 0:
		return fmt.Errorf("intervals must not be negative")
	case c.ArchiveTimeout > 0 && (c.ArchiveTimeout < time.Second || c.ArchiveTimeout%time.Second != 0):
		return fmt.Errorf("WAL archive timeout %s: Postgres's archive_timeout takes whole seconds, at least 1s (e.g. 1s, 5s, 1m)", c.ArchiveTimeout)
	case c.Parallelism < 0 || c.Parallelism > maxParallelism:
		return fmt.Errorf("restore parallelism %d: must be between 1 and %d", c.Parallelism, maxParallelism)
	case c.VictimSites < 0 || c.VictimTenants < 0 || c.ScriptBatch < 0:
		return fmt.Errorf("the faulty list and the script's batches cannot be negative")
	case c.ScriptPause < 0 || c.ScriptPause > maxWait:
		return fmt.Errorf("the script's pause %s: must be between 0 and %s", c.ScriptPause, maxWait)
	case c.DetectionDelay < 0 || c.DetectionDelay > maxWait:
		return fmt.Errorf("detection delay %s: must be between 0 and %s (a drill replays a long incident shortened)", c.DetectionDelay, maxWait)
	}
	if c.BackupTool != "" {
		if _, err := stack.ParseBackupTool(string(c.BackupTool)); err != nil {
			return err
		}
	}
	return c.CheckBackupType(c.ScheduledBackup)
}

// backupTypes are the backup types a step names, and what pgbackrest backup --type calls them.
var backupTypes = map[string]scenarios.BackupType{
	"full": scenarios.Full, "differential": scenarios.Diff, "incremental": scenarios.Incr,
}

// ParseBackupType returns the backup type a step names: full, differential or incremental.
func ParseBackupType(name string) (scenarios.BackupType, error) {
	if t, ok := backupTypes[name]; ok {
		return t, nil
	}
	return "", fmt.Errorf("unknown backup type %q: a backup is full, differential or incremental", name)
}

// CheckBackupType says whether the configured backup tool can take backups of type t: the
// plain route (pg_basebackup) takes full ones only.
func (c Config) CheckBackupType(t scenarios.BackupType) error {
	if t == "" || t == scenarios.Full || c.Tool() == stack.PgBackRest {
		return nil
	}
	name := string(t)
	for n, bt := range backupTypes {
		if bt == t {
			name = n
		}
	}
	return fmt.Errorf("%s backups need pgBackRest: pg_basebackup (the plain backup tool) takes full base backups only; add \"And backups are taken with pgbackrest\" before it", name)
}

// Limits that catch typos (an extra zero or three) before anything starts.
const (
	maxTrafficRate = 100_000
	maxParallelism = 1_000
	maxWait        = time.Hour
)

// ParseBackupTool returns the backup tool a step names (plain, pgbackrest); an unknown name
// is an error naming it and the known ones.
func ParseBackupTool(name string) (stack.BackupTool, error) { return stack.ParseBackupTool(name) }

// Profiles lists the fixtures profiles a drill can use.
func Profiles() []string { return fixtures.ProfileNames() }

// Runbooks lists the runbook names RunRunbook accepts.
func Runbooks() []string { return scenarios.Runbooks() }

// Faults lists the fault names Inject accepts: the faults registered in package scenarios.
func Faults() []string { return scenarios.Faults() }

// CheckFault says whether Inject would know the fault called name: it asks the registry in
// package scenarios.
func CheckFault(name string) error {
	_, err := scenarios.LookupFault(name)
	return err
}

// Modes and ID kinds of the faulty script: truncate is the migration's, which takes no ID list.
var (
	incidentModes = []string{"mark", "purge", "corrupt"}
	idKinds       = []string{"app", "site", "mixed"}
)

// modeTruncate is the migration that empties one table of every tenant (IncidentSpec.Table).
const modeTruncate = string(legacycleanup.ModeTruncate)

// Validate checks an incident spec as a step writes it: the mode, the kind of IDs (none for a
// truncate, which names its table instead), and each guardrail (dry-run, check-kind,
// max-scope=N with N ≥ 1). The table is checked against the stack by Config.CheckIncident.
func (s IncidentSpec) Validate() error {
	if s.Mode == modeTruncate {
		if s.Table == "" || s.IDKind != "" {
			return errors.New(`a truncating migration names its table and takes no ID list: write When a migration truncates the "records" table`)
		}
		_, err := legacycleanup.ParseGuardrails(s.Guardrails)
		return err
	}
	if s.Table != "" {
		return fmt.Errorf("table %q: only a truncating migration names a table", s.Table)
	}
	if !slices.Contains(incidentModes, s.Mode) {
		return fmt.Errorf("unknown mode %q: the cleanup script runs in %s mode", s.Mode, strings.Join(incidentModes, ", "))
	}
	if !slices.Contains(idKinds, s.IDKind) {
		return fmt.Errorf("unknown ID kind %q: the ID list holds %s IDs", s.IDKind, strings.Join(idKinds, " or "))
	}
	if (s.IDKind == "mixed") != (s.SiteShare > 0) || s.SiteShare >= 1 || s.SiteShare < 0 {
		return fmt.Errorf("a mixed ID list needs a share of site IDs between 0%% and 100%% (not %g%%), and only a mixed list has one", s.SiteShare*100)
	}
	_, err := legacycleanup.ParseGuardrails(s.Guardrails)
	return err
}
