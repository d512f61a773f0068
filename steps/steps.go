package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/measure"
)

// Each step parses its arguments, then calls one drill method. Argument errors are bad input
// (they name the file and line); errors of the drill are the drill's.

// enter tells the drill which phase the step belongs to, in a check run too: a step written
// out of the order a drill runs in is bad input at its line.
func enter(ctx context.Context, p drill.Phase) (*drill.Drill, error) {
	d, err := drillFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.Enter(p, sourceFrom(ctx).String()); err != nil {
		return nil, bad(ctx, err)
	}
	return d, nil
}

// configure applies a configuration change; in a check run too, so that the combination of
// profile and overrides is validated before anything starts.
func configure(ctx context.Context, f func(*drill.Config)) (context.Context, error) {
	d, err := enter(ctx, drill.PhaseConfigure)
	if err != nil {
		return ctx, err
	}
	if err := d.Configure(f); err != nil {
		return ctx, bad(ctx, err)
	}
	return ctx, nil
}

// act enters phase p and calls a phase or a check of the drill; in a check run it only
// enters the phase (the arguments were validated by the caller).
func act(ctx context.Context, p drill.Phase, f func(d *drill.Drill) error) (context.Context, error) {
	d, err := enter(ctx, p)
	if err != nil || checking(ctx) {
		return ctx, err
	}
	return ctx, f(d)
}

// interval parses a period that must be more than zero.
func interval(ctx context.Context, what, s string) (time.Duration, error) {
	v, err := measure.ParseDuration(s)
	if err != nil {
		return 0, bad(ctx, fmt.Errorf("%s: %w", what, err))
	}
	if v <= 0 {
		return 0, badf(ctx, "%s %q: must be more than 0", what, s)
	}
	return v, nil
}

func useProfile(ctx context.Context, name string) (context.Context, error) {
	return configure(ctx, func(c *drill.Config) { c.Profile = name })
}

// negative refuses a count written with a minus sign, which the patterns accept so that the
// error can say so instead of "undefined step".
func negative(ctx context.Context, n int, what string) error {
	if n < 0 {
		return badf(ctx, "%d %s: a count cannot be negative", n, what)
	}
	return nil
}

func useTenants(ctx context.Context, n int) (context.Context, error) {
	if err := negative(ctx, n, "tenants"); err != nil {
		return ctx, err
	}
	if n < 1 {
		return ctx, badf(ctx, "%d tenants: a drill needs at least 1", n)
	}
	return configure(ctx, func(c *drill.Config) { c.Tenants = n })
}

func useRecords(ctx context.Context, n int) (context.Context, error) {
	if err := negative(ctx, n, "records per site"); err != nil {
		return ctx, err
	}
	if n < 1 {
		// 0 would mean "the profile's" to drill.Config: say so rather than surprise.
		return ctx, badf(ctx, "%d records per site: write at least 1 (or drop the step to keep the profile's)", n)
	}
	return configure(ctx, func(c *drill.Config) { c.RecordsPerSite = n })
}

func useTrafficRate(ctx context.Context, rate float64) (context.Context, error) {
	if rate <= 0 {
		return ctx, badf(ctx, "traffic at %g writes per second: must be more than 0", rate)
	}
	return configure(ctx, func(c *drill.Config) { c.TrafficRate = rate })
}

func useArchiveTimeout(ctx context.Context, s string) (context.Context, error) {
	v, err := interval(ctx, "WAL archive timeout", s)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.ArchiveTimeout = v })
}

func useBackupEvery(ctx context.Context, s string) (context.Context, error) {
	v, err := interval(ctx, "base backup schedule", s)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.BackupEvery = v })
}

func useStack(ctx context.Context, path string) (context.Context, error) {
	s, err := drill.LoadStack(stackPath(ctx, path))
	if err != nil {
		return ctx, bad(ctx, err)
	}
	return configure(ctx, func(c *drill.Config) { c.Stack = s })
}

func useBackupTool(ctx context.Context, name string) (context.Context, error) {
	tool, err := drill.ParseBackupTool(name)
	if err != nil {
		return ctx, bad(ctx, err)
	}
	return configure(ctx, func(c *drill.Config) { c.BackupTool = tool })
}

func useScheduledBackup(ctx context.Context, name string) (context.Context, error) {
	t, err := drill.ParseBackupType(name)
	if err != nil {
		return ctx, bad(ctx, err)
	}
	return configure(ctx, func(c *drill.Config) { c.ScheduledBackup = t })
}

func useProbeInterval(ctx context.Context, s string) (context.Context, error) {
	v, err := interval(ctx, "probe interval", s)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.ProbeInterval = v })
}

func useVerifyInterval(ctx context.Context, s string) (context.Context, error) {
	v, err := interval(ctx, "verification interval", s)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.VerifyInterval = v })
}

func useParallelism(ctx context.Context, n int) (context.Context, error) {
	if err := negative(ctx, n, "tenants at a time"); err != nil {
		return ctx, err
	}
	if n < 1 {
		return ctx, badf(ctx, "%d tenants at a time: must be at least 1", n)
	}
	return configure(ctx, func(c *drill.Config) { c.Parallelism = n })
}

func useFaultyList(ctx context.Context, sites, tenants int) (context.Context, error) {
	if err := negative(ctx, sites, "sites"); err != nil {
		return ctx, err
	}
	if err := negative(ctx, tenants, "tenants"); err != nil {
		return ctx, err
	}
	if tenants < 1 || sites < tenants {
		return ctx, badf(ctx, "%d sites of %d tenants: the list needs at least one tenant, and a site for each of its tenants", sites, tenants)
	}
	return configure(ctx, func(c *drill.Config) { c.VictimSites, c.VictimTenants = sites, tenants })
}

func useFaultyShare(ctx context.Context, percent float64) (context.Context, error) {
	if percent <= 0 || percent > 100 {
		return ctx, badf(ctx, "%g%% of the tenants: must be more than 0%% and at most 100%%", percent)
	}
	return configure(ctx, func(c *drill.Config) { c.VictimShare = percent / 100 })
}

func usePacing(ctx context.Context, batch int, every string) (context.Context, error) {
	if err := negative(ctx, batch, "IDs a batch"); err != nil {
		return ctx, err
	}
	if batch < 1 {
		return ctx, badf(ctx, "batches of %d IDs: must be at least 1", batch)
	}
	pause, err := interval(ctx, "the script's pause between batches", every)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.ScriptBatch, c.ScriptPause = batch, pause })
}

func useDetectionDelay(ctx context.Context, after string) (context.Context, error) {
	v, err := interval(ctx, "detection delay", after)
	if err != nil {
		return ctx, err
	}
	return configure(ctx, func(c *drill.Config) { c.DetectionDelay = v })
}

func useObjectives(ctx context.Context, t *godog.Table) (context.Context, error) {
	src := sourceFrom(ctx)
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		for _, c := range r.Cells {
			rows[i] = append(rows[i], c.Value)
		}
	}
	objs, err := measure.ParseObjectives(rows, src.String())
	if err != nil {
		return ctx, bad(ctx, err)
	}
	d, err := enter(ctx, drill.PhaseObjectives)
	if err != nil {
		return ctx, err
	}
	d.SetObjectives(objs)
	return ctx, nil
}

func startStack(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseStack, func(d *drill.Drill) error { return d.StartStack(ctx) })
}

func seed(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseSeed, func(d *drill.Drill) error { return d.Seed(ctx) })
}

func startTraffic(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseTraffic, func(d *drill.Drill) error { return d.StartTraffic(ctx) })
}

func baseBackup(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseTraffic, func(d *drill.Drill) error { return d.BaseBackup(ctx) })
}

func typedBackup(ctx context.Context, name string) (context.Context, error) {
	t, err := drill.ParseBackupType(name)
	if err != nil {
		return ctx, bad(ctx, err)
	}
	d, err := drillFrom(ctx)
	if err != nil {
		return ctx, err
	}
	if err := d.Config().CheckBackupType(t); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseTraffic, func(d *drill.Drill) error { return d.Backup(ctx, t) })
}

func runIncident(ctx context.Context, mode, kind, guards string) (context.Context, error) {
	return incident(ctx, drill.IncidentSpec{Mode: mode, IDKind: kind, Guardrails: guardrails(guards)})
}

func runTruncate(ctx context.Context, table, guards string) (context.Context, error) {
	return incident(ctx, drill.IncidentSpec{Mode: "truncate", Table: table, Guardrails: guardrails(guards)})
}

func runMixedIncident(ctx context.Context, mode string, percent float64, guards string) (context.Context, error) {
	if percent <= 0 || percent >= 100 {
		return ctx, badf(ctx, "%g%% site IDs among app IDs: a mixed list needs more than 0%% and less than 100%% (or write site IDs / app IDs)", percent)
	}
	return incident(ctx, drill.IncidentSpec{Mode: mode, IDKind: "mixed", SiteShare: percent / 100, Guardrails: guardrails(guards)})
}

// guardrails splits the comma-separated guardrails of an incident step.
func guardrails(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func incident(ctx context.Context, spec drill.IncidentSpec) (context.Context, error) {
	if err := spec.Validate(); err != nil {
		return ctx, bad(ctx, err)
	}
	d, err := drillFrom(ctx)
	if err != nil {
		return ctx, err
	}
	if err := d.Config().CheckIncident(spec); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseIncident, func(d *drill.Drill) error { return d.RunIncident(ctx, spec) })
}

func runRunbook(ctx context.Context, name string) (context.Context, error) {
	return runbook(ctx, name, (*drill.Drill).RunRunbook)
}

func runFailingRunbook(ctx context.Context, name string) (context.Context, error) {
	return runbook(ctx, name, (*drill.Drill).RunRunbookFailing)
}

// runbook checks the runbook's name and runs it with run.
func runbook(ctx context.Context, name string, run func(*drill.Drill, context.Context, string) error) (context.Context, error) {
	d, err := drillFrom(ctx)
	if err != nil {
		return ctx, err
	}
	// The drill's stack file may add runbooks of its own to the built-in ones.
	if err := d.CheckRunbook(name); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseRestore, func(d *drill.Drill) error { return run(d, ctx, name) })
}

func inject(ctx context.Context, fault string) (context.Context, error) {
	if err := drill.CheckFault(fault); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseRestore, func(d *drill.Drill) error { return d.Inject(ctx, fault) })
}

func endDrill(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseEnd, func(d *drill.Drill) error { return d.End(ctx) })
}

func checkBlastRadius(ctx context.Context, verb string, sites, tenants int) (context.Context, error) {
	if err := drill.CheckBlastVerb(verb); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseIncidentCheck, func(d *drill.Drill) error { return d.CheckBlastRadius(verb, sites, tenants) })
}

func checkChanged(ctx context.Context, tenants int) (context.Context, error) {
	return act(ctx, drill.PhaseIncidentCheck, func(d *drill.Drill) error { return d.CheckChanged(tenants) })
}

func checkRefused(ctx context.Context, guardrail string) (context.Context, error) {
	if err := drill.CheckGuardrail(guardrail); err != nil {
		return ctx, bad(ctx, err)
	}
	return act(ctx, drill.PhaseIncidentCheck, func(d *drill.Drill) error { return d.CheckRefused(guardrail) })
}

func checkBystanders(ctx context.Context, quantity string) (context.Context, error) {
	var wantLoss bool
	switch quantity {
	case "no":
	case "some":
		wantLoss = true
	default:
		return ctx, badf(ctx, "%q bystanders: write \"no bystander lost ...\" or \"some bystanders lost ...\"", quantity)
	}
	return act(ctx, drill.PhaseVerdictCheck, func(d *drill.Drill) error { return d.CheckBystanders(wantLoss) })
}

func checkRestored(ctx context.Context, restored, affected int) (context.Context, error) {
	if restored > affected {
		return ctx, badf(ctx, "%d of %d affected tenants: at most all of them can be restored", restored, affected)
	}
	return act(ctx, drill.PhaseVerdictCheck, func(d *drill.Drill) error { return d.CheckRestored(restored, affected) })
}

func checkObjectives(ctx context.Context) (context.Context, error) {
	return act(ctx, drill.PhaseVerdictCheck, func(d *drill.Drill) error { return d.CheckObjectives() })
}

func checkFinding(ctx context.Context, text string) (context.Context, error) {
	if strings.TrimSpace(text) == "" {
		return ctx, badf(ctx, "a finding about \"\": name a word or phrase the finding contains")
	}
	return act(ctx, drill.PhaseVerdictCheck, func(d *drill.Drill) error { return d.CheckFinding(text) })
}

func checkStepAttempts(ctx context.Context, step string, n int) (context.Context, error) {
	if n < 1 {
		return ctx, badf(ctx, "attempt %d of runbook step %q: attempts count from 1", n, step)
	}
	return act(ctx, drill.PhaseVerdictCheck, func(d *drill.Drill) error { return d.CheckStepAttempts(step, n) })
}

// stackPath resolves a stack file named in a feature: as written when it exists from the
// working directory, else next to the feature file.
func stackPath(ctx context.Context, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if fileExists(p) {
		return p
	}
	if f := sourceFrom(ctx).File; f != "" {
		if near := filepath.Join(filepath.Dir(f), p); fileExists(near) {
			return near
		}
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
