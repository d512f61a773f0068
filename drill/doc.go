// Package drill runs one drill: it owns the stack, the fixtures, the traffic, the prober, the
// incident and the runbook of a single scenario. Phases are small methods that steps (or
// plain Go tests, or make bench through Sequence) call in order:
//
//	d := drill.New(cfg)
//	defer d.Close(ctx)
//	d.StartStack(ctx); d.Seed(ctx); d.StartTraffic(ctx); d.BaseBackup(ctx)
//	d.RunIncident(ctx, spec); d.RunRunbook(ctx, "tenant-restore"); d.End(ctx)
//	d.Results()
//
// Record, then judge: a phase only records into the drill's History (history.go) and, on the
// line after it starts something, registers its teardown, which Close runs last first
// (teardown.go). Judge (judge.go) is the one pure function from a history to
// results.Results: the figures come from package measure's checkers over the ledger, the
// probe timeline, the verifier's samples and the final snapshot. The Then-checks
// (steps_api.go) read those results only.
package drill
