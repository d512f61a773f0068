// Package scenarios plays the incident and the recovery of a drill against a running stack.
//
// Data enters as a *stack.Stack (the live database, its WAL archive and backup volumes), the
// pre-incident manifest from package fixtures and the faulty script's input. Backups takes base
// backups with pg_basebackup inside the db container, on demand or on a schedule, and picks the
// one a restore starts from (LatestBefore; ErrNoBackup when none finished before the target).
// On a stack whose backup tool is pgBackRest, Backups runs pgbackrest backup (full, diff or
// incr) and records what pgbackrest info says of each; the runbooks then restore with
// pgbackrest restore (point in time, --process-max from Params.Parallelism), full-pitr after
// pgbackrest verify, each command a timed step. ReadReadiness reads the backup age and the WAL
// archive's lag just before T0.
// RunIncident runs the faulty script (/legacy-cleanup in the saasd image) as a one-shot
// container through dockertest and records T0 on the harness clock right before it starts.
//
// Runbooks are small named procedures (undo-mark, full-pitr, tenant-restore), one file each,
// registered in one list; RunRunbook times each of their steps relative to T0 into
// results.Step. Every runbook first finds the blast radius from the data (a manifest diff),
// never from the script's input, which was the original incident's first problem, and last
// checks the affected tenants against the manifest again (ErrNotRestored if they differ).
// Point-in-time restores target T0 exclusive; when the WAL archive ends before T0 they
// recover to its end instead and say so in Env.Findings (that is an RPO > 0), with the
// point reached and the archive's gap if one stopped them. Restores verify their base backup
// with pg_verifybackup (pgbackrest verify; tenant-restore's pgbackrest restore is its own
// verification, each file against its checksum: ErrBackupInvalid) and fall back to the next
// older one when it fails.
//
// Faults during recovery (db-killed, side-db-killed, network-cut, wal-segment-missing,
// corrupt-base-backup) are small implementations of Fault, one file each, in one registry.
// Armed in Env.Faults, each fires once, when the runbook reaches a hook point it applies to
// (Hook: start, backup chosen, replay, copy); none waits on the clock. Steps that can ride a
// fault out retry a bounded number of times once a real condition holds (the database answers
// again), each attempt recorded with its number (results.Step.Attempt), and say what it cost
// in Env.Findings.
//
// What leaves the package is plain data: Backup, IncidentResult, results.Runbook, CopyStats,
// Findings, and a callback per set of tenants a runbook has put back.
package scenarios
