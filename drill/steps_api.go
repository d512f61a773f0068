package drill

// What the Gherkin steps (package steps) need from a drill besides its phases: configuration
// changes before the stack starts, validation of step arguments without starting anything (the
// runner checks every feature before the first container), and checks over the results that
// Then-steps assert. The checks read d.Results() only: they hold no measurement.

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drdrill/drdrill/cleanup"
	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
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
	}
	return nil
}

// Limits that catch typos (an extra zero or three) before anything starts.
const (
	maxTrafficRate = 100_000
	maxParallelism = 1_000
)

// Profiles lists the fixtures profiles a drill can use.
func Profiles() []string { return fixtures.ProfileNames() }

// Runbooks lists the runbook names RunRunbook accepts.
func Runbooks() []string { return scenarios.Runbooks() }

// CheckRunbook says whether RunRunbook would know the runbook called name: it asks the
// registry in package scenarios.
func CheckRunbook(name string) error {
	_, err := scenarios.Lookup(name)
	return err
}

// Faults lists the fault names Inject accepts: the faults registered in package scenarios.
func Faults() []string { return scenarios.Faults() }

// CheckFault says whether Inject would know the fault called name: it asks the registry in
// package scenarios.
func CheckFault(name string) error {
	_, err := scenarios.LookupFault(name)
	return err
}

// Modes and ID kinds of the faulty script.
var (
	incidentModes = []string{"mark", "purge"}
	idKinds       = []string{"app", "site"}
)

// Validate checks an incident spec as a step writes it: the mode, the kind of IDs, and each
// guardrail (dry-run, check-kind, max-scope=N with N ≥ 1).
func (s IncidentSpec) Validate() error {
	if !slices.Contains(incidentModes, s.Mode) {
		return fmt.Errorf("unknown mode %q: the cleanup script runs in %s mode", s.Mode, strings.Join(incidentModes, " or "))
	}
	if !slices.Contains(idKinds, s.IDKind) {
		return fmt.Errorf("unknown ID kind %q: the ID list holds %s IDs", s.IDKind, strings.Join(idKinds, " or "))
	}
	_, err := cleanup.ParseGuardrails(s.Guardrails)
	return err
}

// CheckBlastRadius compares what the incident did, found from the data, with what a scenario
// expects: verb is "deleted" (purge mode) or "marked" (mark mode).
func (d *Drill) CheckBlastRadius(verb string, sites, tenants int) error {
	return checkBlastRadius(&d.res, verb, sites, tenants)
}

func checkBlastRadius(r *results.Results, verb string, sites, tenants int) error {
	if err := CheckBlastVerb(verb); err != nil {
		return err
	}
	mode := blastVerbs[verb]
	in := r.Incident
	if r.Incident.T0.IsZero() {
		return errors.New("the cleanup script has not run: no blast radius to check")
	}
	if r.Params.Mode != mode && sites+tenants > 0 {
		return fmt.Errorf("the script ran in %s mode: it cannot have %s sites", r.Params.Mode, verb)
	}
	if in.AffectedSites != sites || in.AffectedTenants != tenants {
		return fmt.Errorf("the incident %s %d sites of %d tenants, expected %d sites of %d tenants",
			verb, in.AffectedSites, in.AffectedTenants, sites, tenants)
	}
	return nil
}

// blastVerbs maps the verb a blast-radius check uses to the mode that does it.
var blastVerbs = map[string]string{"deleted": "purge", "marked": "mark"}

// CheckBlastVerb says whether CheckBlastRadius knows verb: "deleted" (purge mode) or
// "marked" (mark mode).
func CheckBlastVerb(verb string) error {
	if blastVerbs[verb] == "" {
		return fmt.Errorf("unknown verb %q: write deleted (purge mode) or marked (mark mode)", verb)
	}
	return nil
}

// CheckGuardrail says whether name is a guardrail of the faulty script (dry-run,
// check-kind, max-scope), as CheckRefused names it: without a value.
func CheckGuardrail(name string) error { return cleanup.CheckGuardrailName(name) }

// CheckRefused says whether the named guardrail stopped the cleanup script before it changed
// anything (the script's log names the guardrail that refused).
func (d *Drill) CheckRefused(guardrail string) error { return checkRefused(&d.res, guardrail) }

func checkRefused(r *results.Results, guardrail string) error {
	in := r.Incident
	if in.T0.IsZero() {
		return errors.New("the cleanup script has not run")
	}
	if !in.Refused {
		return fmt.Errorf("the cleanup script was not refused: it exited %d and affected %d sites of %d tenants",
			in.ExitCode, in.AffectedSites, in.AffectedTenants)
	}
	if !strings.Contains(in.Log, guardrail) {
		return fmt.Errorf("the cleanup script was refused, but its log does not name the %q guardrail:\n%s", guardrail, in.Log)
	}
	return nil
}

// CheckBystanders says whether bystanders lost acknowledged writes (lost, changed or
// collateral) as a scenario expects. It needs Verify to have run.
func (d *Drill) CheckBystanders(wantLoss bool) error { return checkBystanders(&d.res, wantLoss) }

func checkBystanders(r *results.Results, wantLoss bool) error {
	if r.Verdict == "" {
		return errors.New("the drill has not ended: bystander losses are counted when it ends")
	}
	s := r.Summary
	switch {
	case wantLoss && s.BystanderLost == 0:
		return errors.New("no bystander lost an acknowledged write, expected some to")
	case !wantLoss && s.BystanderLost > 0:
		return fmt.Errorf("%d bystanders lost %d acknowledged writes, expected none to", s.BystandersHit, s.BystanderLost)
	}
	return nil
}

// CheckObjectives returns nil when every objective is met, an error wrapping ErrBreached that
// lists each breached objective (measured, target, margin, source line), or one wrapping
// ErrUnmeasured when an objective could not be measured. It needs Verify to have run.
func (d *Drill) CheckObjectives() error {
	if len(d.objectives) > 0 && len(d.res.Objectives) == 0 {
		return errors.New("objectives not judged: the drill has not ended (add the step \"When the drill ends\")")
	}
	return checkObjectives(d.res.Objectives)
}

func checkObjectives(objs []results.Objective) error {
	var breached, unknown []string
	for _, o := range objs {
		line := fmt.Sprintf("%s: target %s, measured %s", o.Name, o.Target, measured(o))
		if o.Source != "" {
			line = o.Source + " " + line
		}
		if o.Detail != "" {
			line += " (" + o.Detail + ")"
		}
		switch o.Status {
		case results.StatusOK:
		case results.StatusBreached:
			breached = append(breached, line)
		default:
			unknown = append(unknown, line)
		}
	}
	var errs []error
	if len(breached) > 0 {
		errs = append(errs, fmt.Errorf("%w:\n  %s", ErrBreached, strings.Join(breached, "\n  ")))
	}
	if len(unknown) > 0 {
		errs = append(errs, fmt.Errorf("%w:\n  %s", ErrUnmeasured, strings.Join(unknown, "\n  ")))
	}
	return errors.Join(errs...)
}

func measured(o results.Objective) string {
	if o.Measured == nil {
		return "nothing"
	}
	if o.Unit == "ms" {
		return results.Duration(*o.Measured).Round(time.Millisecond).String()
	}
	v := strconv.FormatFloat(*o.Measured, 'f', -1, 64)
	if o.Unit != "" {
		v += " " + o.Unit
	}
	return v
}

// CheckFinding says whether the results hold a finding that contains text (case-insensitive):
// what a fault did, how a runbook recovered from it or why it could not.
func (d *Drill) CheckFinding(text string) error { return checkFinding(&d.res, text) }

func checkFinding(r *results.Results, text string) error {
	want := strings.ToLower(text)
	for _, f := range r.Findings {
		if strings.Contains(strings.ToLower(f), want) {
			return nil
		}
	}
	if len(r.Findings) == 0 {
		return fmt.Errorf("no finding about %q: the report has no findings", text)
	}
	return fmt.Errorf("no finding about %q; the findings are:\n  %s", text, strings.Join(r.Findings, "\n  "))
}

// CheckStepAttempts says whether the runbook step whose name starts with step succeeded on
// attempt n (n = 1: never retried).
func (d *Drill) CheckStepAttempts(step string, n int) error {
	return checkStepAttempts(&d.res, step, n)
}

func checkStepAttempts(r *results.Results, step string, n int) error {
	if r.Runbook.Name == "" {
		return errors.New("no runbook has run: no steps to check")
	}
	var seen []string
	for _, st := range r.Runbook.Steps {
		if !strings.HasPrefix(st.Name, step) {
			continue
		}
		a := max(st.Attempt, 1)
		seen = append(seen, fmt.Sprintf("%s attempt %d: %s", st.Name, a, cmp.Or(st.Error, "ok")))
		if st.Error == "" && a == n {
			return nil
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("runbook %s has no step starting %q", r.Runbook.Name, step)
	}
	return fmt.Errorf("no step starting %q succeeded on attempt %d:\n  %s", step, n, strings.Join(seen, "\n  "))
}
