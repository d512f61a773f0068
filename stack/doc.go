// Package stack runs one drill's reference SaaS stack in containers and owns every Docker
// resource of the run: a private network, the `db` (PostgreSQL 15, WAL archived to a volume)
// and `app` (the reference stack's saasd, stacks/reference) containers, side databases started
// for restores, and labelled volumes for the data directory, the WAL archive and the backups. Config.BackupTool chooses the plain
// route (pg_basebackup, a cp archive_command) or pgBackRest (a repository volume, archive-push,
// a stanza created and checked at start). HoldArchive keeps a bulk load's WAL out of the archive
// (or the repository) until the first base backup.
//
// Start builds the stack from locally built images (see package images) and waits on real
// readiness; Close removes everything labelled with the run's ID. Faults (Stop, Kill, Pause,
// Disconnect, ...) act on one service. Every resource carries drdrill.run=<id> plus the
// harness's pid, host and start time, so Clean can remove the leftovers of runs whose process
// died without closing them (SIGKILL, a panic in another goroutine, a power cut).
//
// Services are reached from the harness only through ports published on 127.0.0.1, and from
// other containers of the run by alias (db:5432, app:8080).
package stack
