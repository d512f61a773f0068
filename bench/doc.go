// Package bench measures drdrill against the physical limit of the machine: one run of the
// Atlassian-scale drill (or a smaller profile), timed per phase, held against the same work done
// with plain Postgres tools (COPY, pg_basebackup, a side server's start and WAL replay) on the
// same database in the same process run, so that every figure is a ratio the machine cancels
// out of. With Config.Project it also fits package projection's cost model to tenant-restore
// drills at several sizes and projects the runbook and the RTO to Config.ProjectTo.
//
// Run records a Report; everything judged is a pure function of it: the ratios, Split, and
// ProjectionSummary. The Reports leave as `drdrill bench`'s table (WriteTable, WriteSummary)
// and, through NewExport, as bench.json (WriteJSON) and a self-contained page, bench.html
// (WriteHTML); WriteFiles writes both.
package bench
