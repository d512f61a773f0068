// Package legacycleanup is the faulty maintenance script of the reference incident: it removes a
// deprecated app (default app_key "insight") from sites, given a file of IDs.
//
// Its flaw is the original's, kept on purpose: every ID is taken for whatever it is. An app
// installation ID removes that app (mark: apps.deleted_at is set; purge: the row is deleted), but
// a site ID removes the whole site (mark: the site and its products, users and apps are marked;
// purge: the site is deleted and the foreign keys cascade to its products, users, apps and
// records). Other IDs (tenants, products, users, records, unknown) are skipped and logged.
//
// Two more modes replay other incident kinds through the same safety checks and exit codes:
// ModeCorrupt rewrites every record of each listed site with garbage in batches and leaves
// updated_at alone (changed writes, not lost ones), and ModeTruncate empties one table
// (Options.Table) of every tenant at once, a migration against the wrong database.
//
// Data enters as an ID file (ParseIDs, a pure function) and a database connection; it leaves as
// progress lines and a Report. The guardrails a drill can switch on (Guardrails: DryRun,
// CheckKind, MaxScope; ParseGuardrails reads them as a drill writes them) are evaluated on a
// read-only Plan before anything is changed; a guardrail that refuses returns an error wrapping ErrRefused. Each batch of IDs runs in its own transaction.
//
// Unlike the original, it acts only on a drill's database: the drill marks the database it
// makes (dbmark.Write, table drdrill_meta) with its run ID, and Run refuses with dbmark.ErrNotADrill,
// before reading anything else and again inside every batch's transaction, unless the mark names
// Options.RunID. There is no default database: the DSN comes from --dsn-file (what the drill
// uploads into the script's container, so the password is in no command line) or --dsn.
package legacycleanup
