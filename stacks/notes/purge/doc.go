// Package purge is the notes stack's own faulty maintenance script, notes-purge: it deletes
// workspaces by ID.
//
// Its inputs come from the environment, as drdrill hands them to a user's own script
// (FromEnv): WORKSPACE_IDS (the IDs, separated by commas, spaces or newlines), DRDRILL_MODE
// (mark: set workspaces.deleted_at; purge, the default: delete the comments of the workspaces'
// pages, then the workspaces, whose members and pages cascade) and DRDRILL_GUARDRAILS
// (dry-run, check-kind, max-scope=N, comma-separated). The connection comes from libpq's
// variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
//
// Its flaw is the one a real script had: it does not check that the IDs are workspaces unless
// the check-kind guardrail is on; an ID that names no workspace just matches nothing. The
// guardrails are evaluated on a read-only plan before anything changes; then the IDs are
// processed in batches of BatchSize, one transaction per batch, with one progress line per
// batch and a summary. Run's errors map to the exit codes Exit* (ExitCode).
package purge
