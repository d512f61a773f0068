package legacycleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/dbmark"
)

// Report is what a run planned and did.
type Report struct {
	Plan Plan
	// Done is what was committed (zero for a dry run or a refused run); it equals Plan.Total
	// unless the data changed in between or a batch failed.
	Done          Counts
	AffectedSites int64
	Skipped       int // IDs that are neither sites nor apps
	Batches       int // batches committed
	Elapsed       time.Duration
}

// Statements that remove one ID, each returning: sites, tenant_id (0 if none), products,
// users, apps, records. They use the conditions radiusSQL counts with.
const (
	purgeSiteSQL = `WITH d AS (DELETE FROM sites WHERE id = $1 RETURNING id, tenant_id)
		SELECT (SELECT count(*) FROM d), coalesce((SELECT tenant_id FROM d), 0),
			(SELECT count(*) FROM products WHERE site_id IN (SELECT id FROM d)),
			(SELECT count(*) FROM users WHERE site_id IN (SELECT id FROM d)),
			(SELECT count(*) FROM apps WHERE site_id IN (SELECT id FROM d)),
			(SELECT count(*) FROM records WHERE site_id IN (SELECT id FROM d))`
	markSiteSQL = `WITH s AS (UPDATE sites SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id, tenant_id),
		p AS (UPDATE products SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1),
		u AS (UPDATE users SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1),
		a AS (UPDATE apps SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1)
		SELECT (SELECT count(*) FROM s), coalesce((SELECT tenant_id FROM s), 0),
			(SELECT count(*) FROM p), (SELECT count(*) FROM u), (SELECT count(*) FROM a),
			(SELECT count(*) FROM records WHERE site_id IN (SELECT id FROM s))`
	// corruptSiteSQL is the corrupting UPDATE: every record of the site gets a value no write
	// produced, and updated_at is left as it was (the bug: the rows look untouched since).
	corruptSiteSQL = `WITH u AS (UPDATE records SET value = 'corrupt:' || md5(value) WHERE site_id = $1 RETURNING 1)
		SELECT (SELECT count(*) FROM u), coalesce((SELECT tenant_id FROM sites WHERE id = $1), 0)`
	purgeAppSQL = `DELETE FROM apps WHERE id = $1 RETURNING site_id, tenant_id`
	markAppSQL  = `UPDATE apps SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING site_id, tenant_id`
)

// Run removes what the IDs are, as the original script did, unless a guardrail refuses: it
// resolves the IDs, prints the plan, applies the guardrails of opts, and then, unless it is a dry
// run, processes the IDs in batches of opts.Batch, each in its own transaction. Errors wrap
// ErrBadInput (options), dbmark.ErrNotADrill (the database is not run opts.RunID's: checked first, and
// again in every batch), ErrRefused (a guardrail) or are runtime errors; a failed batch is rolled
// back and the batches before it stay committed.
func Run(ctx context.Context, db DB, ids []int64, opts Options) (Report, error) {
	start := time.Now()
	var rep Report
	if err := opts.normalize(); err != nil {
		return rep, err
	}
	if len(ids) == 0 && opts.Mode != ModeTruncate {
		return rep, ErrNoIDs
	}
	log := opts.Log
	if err := dbmark.Check(ctx, db, opts.RunID); err != nil {
		fmt.Fprintf(log, "refused: %v\n", err)
		return rep, err
	}
	if opts.Mode == ModeTruncate {
		return truncate(ctx, db, opts, start)
	}
	fmt.Fprintf(log, "legacy-cleanup: remove app %q: mode=%s ids=%d batch=%d dry_run=%t check_kind=%t max_scope=%d\n",
		opts.AppKey, opts.Mode, len(ids), opts.Batch, opts.DryRun, opts.CheckKind, opts.MaxScope)
	plan, err := MakePlan(ctx, db, ids, opts.Mode, opts.AppKey)
	rep.Plan = plan
	if err != nil {
		return rep, err
	}
	plan.write(log)

	if opts.CheckKind {
		if bad := plan.offending(opts.AppKey); len(bad) > 0 {
			var first []string
			for _, t := range bad[:min(len(bad), 5)] {
				first = append(first, t.describe())
			}
			err := fmt.Errorf("%w: --check-kind: %d of %d ids are not %q app ids: %s", ErrRefused,
				len(bad), len(plan.Targets), opts.AppKey, strings.Join(first, ", "))
			fmt.Fprintf(log, "refused: %v\n", err)
			return rep, err
		}
	}
	if opts.MaxScope > 0 && plan.AffectedSites > int64(opts.MaxScope) {
		err := fmt.Errorf("%w: --max-scope %d: %d sites would be affected (%d removed, %d losing an app)", ErrRefused,
			opts.MaxScope, plan.AffectedSites, plan.BySite.Sites, plan.ByApp.Sites)
		fmt.Fprintf(log, "refused: %v\n", err)
		return rep, err
	}
	if opts.DryRun {
		fmt.Fprintln(log, "dry run: nothing changed")
		rep.Elapsed = time.Since(start)
		return rep, nil
	}

	st := newTally()
	batches := (len(plan.Targets) + opts.Batch - 1) / opts.Batch
	for b := 0; b < batches; b++ {
		if b > 0 && opts.Pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(opts.Pause):
			}
		}
		if err := ctx.Err(); err != nil {
			err = fmt.Errorf("stopped before batch %d/%d: %w", b+1, batches, err)
			st.summary(log, &rep, opts.Mode, batches, start, err)
			return rep, err
		}
		chunk := plan.Targets[b*opts.Batch : min((b+1)*opts.Batch, len(plan.Targets))]
		if err := runBatch(ctx, db, opts, chunk, b+1, batches, st); err != nil {
			st.summary(log, &rep, opts.Mode, batches, start, err)
			return rep, err
		}
		rep.Batches++
	}
	st.summary(log, &rep, opts.Mode, batches, start, nil)
	return rep, nil
}

// tally accumulates committed work; pending holds the current batch until it commits.
type tally struct {
	done, pending               Counts
	sites, appSites, tenants    map[int64]bool
	pSites, pAppSites, pTenants []int64
	skipped                     int
}

func newTally() *tally {
	return &tally{sites: map[int64]bool{}, appSites: map[int64]bool{}, tenants: map[int64]bool{}}
}

func (t *tally) commit() {
	t.done.Sites += t.pending.Sites
	t.done.Products += t.pending.Products
	t.done.Users += t.pending.Users
	t.done.Apps += t.pending.Apps
	t.done.Records += t.pending.Records
	for _, id := range t.pSites {
		t.sites[id] = true
	}
	for _, id := range t.pAppSites {
		t.appSites[id] = true
	}
	for _, id := range t.pTenants {
		t.tenants[id] = true
	}
	t.rollback()
}

func (t *tally) rollback() {
	t.pending = Counts{}
	t.pSites, t.pAppSites, t.pTenants = nil, nil, nil
}

func (t *tally) summary(log io.Writer, rep *Report, mode Mode, batches int, start time.Time, err error) {
	rep.Done = t.done
	rep.Done.Tenants = int64(len(t.tenants))
	affected := map[int64]bool{}
	for id := range t.sites {
		affected[id] = true
	}
	for id := range t.appSites {
		affected[id] = true
	}
	rep.AffectedSites = int64(len(affected))
	rep.Skipped = t.skipped
	rep.Elapsed = time.Since(start)
	status := "done"
	if err != nil {
		status = "failed: " + err.Error()
	}
	fmt.Fprintf(log, "summary: mode=%s ids=%d batches=%d/%d %s affected_sites=%d skipped=%d elapsed=%s status=%s\n",
		mode, len(rep.Plan.Targets), rep.Batches, batches, rep.Done, rep.AffectedSites, rep.Skipped,
		rep.Elapsed.Round(time.Millisecond), status)
}

func runBatch(ctx context.Context, db DB, opts Options, chunk []Target, n, of int, st *tally) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("batch %d/%d: begin: %w", n, of, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			st.rollback()
			fmt.Fprintf(opts.Log, "batch %d/%d rolled back: %v\n", n, of, err)
		}
	}()
	// The mark is read again under a share lock in the batch's own transaction: what was checked
	// at the start cannot have been swapped for another database's by the time this commits.
	if err := dbmark.Check(ctx, tx, opts.RunID); err != nil {
		return fmt.Errorf("batch %d/%d: %w", n, of, err)
	}
	skipped := 0
	for _, t := range chunk {
		if err := removeOne(ctx, tx, opts, t, st); err != nil {
			return fmt.Errorf("batch %d/%d: id %d (%s): %w", n, of, t.ID, t.Kind, err)
		}
		if t.Kind != KindSite && (t.Kind != KindApp || opts.Mode == ModeCorrupt) {
			skipped++
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("batch %d/%d: commit: %w", n, of, err)
	}
	p := st.pending
	st.commit()
	st.skipped += skipped
	fmt.Fprintf(opts.Log, "batch %d/%d committed: ids=%d sites=%d products=%d users=%d apps=%d records=%d skipped=%d\n",
		n, of, len(chunk), p.Sites, p.Products, p.Users, p.Apps, p.Records, skipped)
	return nil
}

func removeOne(ctx context.Context, tx pgx.Tx, opts Options, t Target, st *tally) error {
	action := string(opts.Mode)
	switch {
	case opts.Mode == ModeCorrupt && t.Kind == KindSite:
		var n, tenant int64
		if err := tx.QueryRow(ctx, corruptSiteSQL, t.ID).Scan(&n, &tenant); err != nil {
			return err
		}
		st.pending.Records += n
		st.pSites = append(st.pSites, t.ID)
		st.pTenants = append(st.pTenants, tenant)
		fmt.Fprintf(opts.Log, "id=%d kind=site action=corrupt records=%d\n", t.ID, n)
	case opts.Mode == ModeCorrupt:
		fmt.Fprintf(opts.Log, "id=%d kind=%s action=skip reason=\"corrupt mode rewrites the records of sites\"\n", t.ID, t.Kind)
	case t.Kind == KindSite:
		q := purgeSiteSQL
		if opts.Mode == ModeMark {
			q = markSiteSQL
		}
		var c Counts
		var tenant int64
		if err := tx.QueryRow(ctx, q, t.ID).Scan(&c.Sites, &tenant, &c.Products, &c.Users, &c.Apps, &c.Records); err != nil {
			return err
		}
		st.pending.Sites += c.Sites
		st.pending.Products += c.Products
		st.pending.Users += c.Users
		st.pending.Apps += c.Apps
		st.pending.Records += c.Records
		if c.Sites > 0 {
			st.pSites = append(st.pSites, t.ID)
			st.pTenants = append(st.pTenants, tenant)
		}
		fmt.Fprintf(opts.Log, "id=%d kind=site action=%s sites=%d products=%d users=%d apps=%d records=%d\n",
			t.ID, action, c.Sites, c.Products, c.Users, c.Apps, c.Records)
	case t.Kind == KindApp:
		q := purgeAppSQL
		if opts.Mode == ModeMark {
			q = markAppSQL
		}
		var site, tenant int64
		apps := int64(1)
		if err := tx.QueryRow(ctx, q, t.ID).Scan(&site, &tenant); errors.Is(err, pgx.ErrNoRows) {
			apps = 0
		} else if err != nil {
			return err
		} else {
			st.pending.Apps++
			st.pAppSites = append(st.pAppSites, site)
			st.pTenants = append(st.pTenants, tenant)
		}
		fmt.Fprintf(opts.Log, "id=%d kind=app app_key=%q action=%s apps=%d\n", t.ID, t.AppKey, action, apps)
	default:
		fmt.Fprintf(opts.Log, "id=%d kind=%s action=skip reason=\"not a site or app id\"\n", t.ID, t.Kind)
	}
	return nil
}
