package drill

// The Then-checks: each reads the judged results (d.Results(), Judge's) and nothing else, and
// says nil when the drill did what the scenario expects, an error saying what it did instead,
// or an error saying that it cannot tell yet (the phase it needs has not run). CheckObjectives
// is three-way in the error too: ErrBreached for a verdict, ErrUnmeasured for a question the
// drill could not answer.

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// CheckBlastRadius compares what the incident did, found from the data, with what a scenario
// expects: verb is "deleted" (purge mode) or "marked" (mark mode).
func (d *Drill) CheckBlastRadius(verb string, sites, tenants int) error {
	return checkBlastRadius(d.Results(), verb, sites, tenants)
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

// CheckChanged compares the tenants whose data the incident changed, found from the data (the
// manifest diff: rows gone, emptied or rewritten), with what a scenario expects: for the
// incidents that delete no site, a corrupting update or a truncating migration.
func (d *Drill) CheckChanged(tenants int) error { return checkChanged(d.Results(), tenants) }

func checkChanged(r *results.Results, tenants int) error {
	if r.Incident.T0.IsZero() {
		return errors.New("the incident has not run: no blast radius to check")
	}
	if n := r.Incident.AffectedTenants; n != tenants {
		return fmt.Errorf("the incident changed the data of %d tenants (%d sites gone or marked), expected %d tenants", n, r.Incident.AffectedSites, tenants)
	}
	return nil
}

// CheckRestored says whether restored of the affected tenants were verified restored, of
// affected in all, as a scenario expects (every tenant, or none, when a runbook cannot recover
// the incident). It needs End to have run.
func (d *Drill) CheckRestored(restored, affected int) error {
	return checkRestored(d.Results(), restored, affected)
}

func checkRestored(r *results.Results, restored, affected int) error {
	if r.Verdict == "" {
		return errors.New("the drill has not ended: restored tenants are counted when it ends")
	}
	if s := r.Summary; s.RestoredTenants != restored || s.AffectedTenants != affected {
		return fmt.Errorf("%d of %d affected tenants are restored, expected %d of %d", s.RestoredTenants, s.AffectedTenants, restored, affected)
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
func CheckGuardrail(name string) error { return legacycleanup.CheckGuardrailName(name) }

// CheckRefused says whether the named guardrail stopped the cleanup script before it changed
// anything (the script's log names the guardrail that refused).
func (d *Drill) CheckRefused(guardrail string) error { return checkRefused(d.Results(), guardrail) }

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
// collateral) as a scenario expects. It needs End to have run.
func (d *Drill) CheckBystanders(wantLoss bool) error { return checkBystanders(d.Results(), wantLoss) }

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
// ErrUnmeasured when an objective could not be measured. It needs End to have run.
func (d *Drill) CheckObjectives() error {
	if len(d.h.Objectives) > 0 && len(d.Results().Objectives) == 0 {
		return errors.New("objectives not judged: the drill has not ended (add the step \"When the drill ends\")")
	}
	return checkObjectives(d.Results().Objectives)
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
func (d *Drill) CheckFinding(text string) error { return checkFinding(d.Results(), text) }

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
	return checkStepAttempts(d.Results(), step, n)
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
