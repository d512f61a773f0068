// Package drill runs one drill: it owns the stack, the fixtures, the traffic, the prober, the
// incident and the runbook of a single scenario, times each phase, and turns what was recorded
// into results.Results. Phases are small methods that steps (or plain Go tests) call in order:
//
//	d := drill.New(cfg)
//	defer d.Close(ctx)
//	d.StartStack(ctx); d.Seed(ctx); d.StartTraffic(ctx); d.BaseBackup(ctx)
//	d.RunIncident(ctx, spec); d.RunRunbook(ctx, "tenant-restore"); d.Verify(ctx)
//	d.Results()
//
// Nothing here computes a figure while it records: Verify hands the histories (ledger, probe
// timeline, verifier samples) to the pure checkers of package measure.
package drill
