// Package scenarios plays the incident and the recovery of a drill against a running stack.
//
// Data enters as a *stack.Stack (the live database, its WAL archive and backup volumes), the
// pre-incident manifest from package fixtures and the faulty script's input. Backups takes base
// backups with pg_basebackup inside the db container, on a schedule or on demand, and picks the
// one a restore starts from. RunIncident runs the faulty script (/legacy-cleanup in the saasd
// image) as a one-shot container through dockertest and records T0 on the harness clock right
// before it starts. Runbooks are small named procedures (undo-mark, full-pitr, tenant-restore),
// one file each, registered in one list; RunRunbook times each of their steps relative to T0
// into results.Step. What leaves the package is plain data: Backup, IncidentResult,
// results.Runbook, and a callback per batch of tenants a runbook has put back.
//
// Every runbook first finds the blast radius from the data (a manifest diff), never from the
// script's input: not knowing the real blast radius was the original incident's first problem.
package scenarios
