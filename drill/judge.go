package drill

import (
	"errors"
	"fmt"

	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// Judge turns a drill's history and its objectives into results: identity and parameters as
// recorded, the incident with the blast radius found from the data, the runbook, and — once
// the drill ended — every tenant's figures (measure.Assemble), the objectives' verdicts
// (measure.Evaluate) and the overall verdict. Pure: the same history gives the same results.
// A drill that did not end has partial results and says why in Error.
func Judge(h History) results.Results {
	r := results.Results{
		Schema:     results.SchemaVersion,
		RunID:      h.Identity.RunID,
		Group:      h.Identity.Group,
		Shard:      h.Identity.Shard,
		Feature:    h.Identity.Feature,
		Scenario:   h.Identity.Scenario,
		Tags:       h.Identity.Tags,
		StartedAt:  h.StartedAt,
		FinishedAt: h.EndedAt,
		Params:     h.Params,
		Phases:     h.Phases,
	}
	if inc := h.Incident; inc != nil {
		r.Incident = results.Incident{
			T0: inc.Run.T0, DurationMS: results.MS(inc.Run.Duration), ExitCode: inc.Run.ExitCode,
			Refused: inc.Run.Refused, IDs: inc.Run.IDs, Log: inc.Run.Log,
			AffectedTenants: len(inc.Blast.Tenants), AffectedSites: len(inc.Blast.Sites),
			AffectedUsers: int(inc.Blast.Users),
		}
		if inc.Assessed > 0 {
			r.Incident.AssessedMS = results.MSPtr(inc.Assessed)
		}
		if rd := inc.Readiness; rd != nil {
			r.Incident.LastBackup = rd.LastBackup
			r.Incident.BackupAgeMS, r.Incident.WALArchiveLagMS = measure.ReadinessMS(inc.Run.T0, rd)
			b := rd.UnarchivedBytes
			r.Incident.UnarchivedWALBytes = &b
		}
		switch {
		case inc.Run.Refused:
			r.Findings = append(r.Findings, fmt.Sprintf("A guardrail refused the faulty script (exit %d): %s", inc.Run.ExitCode, lastLine(inc.Run.Log)))
		case inc.Run.ExitCode != legacycleanup.ExitDone:
			r.Findings = append(r.Findings, fmt.Sprintf("The faulty script exited %d: %s", inc.Run.ExitCode, lastLine(inc.Run.Log)))
		}
	}
	if rb := h.Runbook; rb != nil {
		r.Runbook = rb.Steps
		r.Findings = append(r.Findings, rb.Findings...)
	}
	if in := h.Observed; in != nil {
		if h.Incident == nil {
			r.Incident.T0 = in.T0 // no incident: the end is T0, every loss a loss before it
		}
		obs := *in
		if h.Incident != nil {
			obs.Readiness = h.Incident.Readiness
		}
		a := measure.Assemble(obs)
		r.Tenants, r.Summary, r.Curve = a.Tenants, a.Summary, a.Curve
		r.Incident.Deletions = a.Deletions
		r.Findings = append(r.Findings, a.Findings...)
		r.Traffic = h.Traffic
		r.Objectives = measure.Evaluate(h.Objectives, a)
		r.Verdict = measure.Verdict(r.Objectives)
	}
	if h.Err != nil && !OnlyBreached(h.Err) {
		r.Error = h.Err.Error()
	}
	return r
}

// OnlyBreached reports whether err says nothing but that objectives were breached: the drill
// ran to its verdict and the verdict was breached. A breach is a verdict, not a failure to
// run; runners use it for a report-only mode.
func OnlyBreached(err error) bool {
	return err != nil && errors.Is(err, ErrBreached) && !errors.Is(err, ErrUnmeasured)
}
