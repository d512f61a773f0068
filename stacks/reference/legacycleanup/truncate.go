package legacycleanup

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/dbmark"
)

// truncate is truncate mode: a migration that empties opts.Table for every tenant at once. The
// plan counts what it holds; the guardrails apply as to an ID list (check-kind refuses: nothing
// truncated is an app installation; max-scope counts the sites holding rows); then one
// transaction checks the database mark again and truncates.
func truncate(ctx context.Context, db DB, opts Options, start time.Time) (Report, error) {
	log := opts.Log
	var rep Report
	table := pgx.Identifier{opts.Table}.Sanitize()
	fmt.Fprintf(log, "legacy-cleanup: truncate table %s: dry_run=%t check_kind=%t max_scope=%d\n",
		opts.Table, opts.DryRun, opts.CheckKind, opts.MaxScope)
	var rows int64
	err := db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(DISTINCT site_id), count(DISTINCT tenant_id) FROM %s`, table)).
		Scan(&rows, &rep.Plan.AffectedSites, &rep.Plan.Total.Tenants)
	if err != nil {
		return rep, fmt.Errorf("plan: count %s: %w", opts.Table, err)
	}
	rep.Plan.Mode = ModeTruncate
	countTable(&rep.Plan.Total, opts.Table, rows)
	fmt.Fprintf(log, "plan: truncate %s: rows=%d of sites=%d tenants=%d\n", opts.Table, rows, rep.Plan.AffectedSites, rep.Plan.Total.Tenants)
	refuse := func(err error) (Report, error) {
		fmt.Fprintf(log, "refused: %v\n", err)
		return rep, err
	}
	if opts.CheckKind {
		return refuse(fmt.Errorf("%w: --check-kind: truncate mode removes no %q app installation: it empties table %s for every tenant", ErrRefused, opts.AppKey, opts.Table))
	}
	if opts.MaxScope > 0 && rep.Plan.AffectedSites > int64(opts.MaxScope) {
		return refuse(fmt.Errorf("%w: --max-scope %d: %d sites would be affected (rows of %s)", ErrRefused, opts.MaxScope, rep.Plan.AffectedSites, opts.Table))
	}
	if opts.DryRun {
		fmt.Fprintln(log, "dry run: nothing changed")
		rep.Elapsed = time.Since(start)
		return rep, nil
	}
	if err := truncateTx(ctx, db, opts.RunID, table); err != nil {
		return summary(log, rep, start, err)
	}
	rep.Done, rep.AffectedSites, rep.Batches = rep.Plan.Total, rep.Plan.AffectedSites, 1
	return summary(log, rep, start, nil)
}

func truncateTx(ctx context.Context, db DB, runID, table string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// As in every batch: the mark is read again in the transaction that changes the data.
	if err := dbmark.Check(ctx, tx, runID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "TRUNCATE "+table); err != nil {
		return fmt.Errorf("truncate %s: %w", table, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func summary(log io.Writer, rep Report, start time.Time, err error) (Report, error) {
	rep.Elapsed = time.Since(start)
	status := "done"
	if err != nil {
		status = "failed: " + err.Error()
	}
	fmt.Fprintf(log, "summary: mode=truncate batches=%d/1 %s affected_sites=%d elapsed=%s status=%s\n",
		rep.Batches, rep.Done, rep.AffectedSites, rep.Elapsed.Round(time.Millisecond), status)
	return rep, err
}

// countTable puts n rows of table into its field of c.
func countTable(c *Counts, table string, n int64) {
	switch table {
	case "products":
		c.Products = n
	case "users":
		c.Users = n
	case "apps":
		c.Apps = n
	case "records":
		c.Records = n
	}
}
