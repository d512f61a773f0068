// Package bench measures drdrill against the physical limit of the machine: one run of the
// Atlassian-scale drill (or a smaller profile), timed per phase, held against the same work done
// with plain Postgres tools (COPY, pg_basebackup, a side server's start and WAL replay) on the
// same database in the same process run, so that every figure is a ratio the machine cancels
// out of. `drdrill bench` (make bench) prints its table.
package bench
