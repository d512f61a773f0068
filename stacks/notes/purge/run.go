package purge

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DB is what Run needs of a connection: *pgx.Conn and *pgxpool.Pool both are one.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Plan is what a run would change, read before anything is.
type Plan struct {
	IDs        int     // distinct IDs given
	Workspaces int64   // IDs that are workspaces, marked or not
	Live       int64   // of those, not marked (deleted_at IS NULL)
	Others     []int64 // IDs that are not workspaces, in order
	// Members, Pages and Comments are the rows that go with the workspaces in purge mode.
	Members, Pages, Comments int64
}

// Affected is the number of workspaces mode would change: the live ones for mark, all for purge.
func (p Plan) Affected(mode Mode) int64 {
	if mode == ModeMark {
		return p.Live
	}
	return p.Workspaces
}

const planSQL = `SELECT count(*), count(*) FILTER (WHERE deleted_at IS NULL),
	array(SELECT x FROM unnest($1::bigint[]) WITH ORDINALITY AS u(x, n)
		WHERE NOT EXISTS (SELECT 1 FROM workspaces o WHERE o.id = u.x) ORDER BY u.n),
	(SELECT count(*) FROM members WHERE workspace_id = ANY($1)),
	(SELECT count(*) FROM pages WHERE workspace_id = ANY($1)),
	(SELECT count(*) FROM comments WHERE page_ref IN (SELECT id FROM pages WHERE workspace_id = ANY($1)))
	FROM workspaces WHERE id = ANY($1)`

// Statements of one batch. comments has no foreign key to pages, so purge deletes the comments
// of the workspaces' pages itself before the cascade removes the pages.
const (
	markSQL           = `UPDATE workspaces SET deleted_at = now() WHERE id = ANY($1) AND deleted_at IS NULL`
	purgeCommentsSQL  = `DELETE FROM comments WHERE page_ref IN (SELECT id FROM pages WHERE workspace_id = ANY($1))`
	purgeWorkspaceSQL = `DELETE FROM workspaces WHERE id = ANY($1)`
)

// MakePlan reads what removing ids would change, without changing anything.
func MakePlan(ctx context.Context, db DB, ids []int64) (Plan, error) {
	p := Plan{IDs: len(ids)}
	err := db.QueryRow(ctx, planSQL, ids).Scan(&p.Workspaces, &p.Live, &p.Others, &p.Members, &p.Pages, &p.Comments)
	if err != nil {
		return Plan{}, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}

// Run removes the workspaces opts.IDs name, unless a guardrail refuses: it prints the plan,
// applies the guardrails, and then, unless it is a dry run, processes the IDs in batches, each
// in its own transaction, with a line per batch and a summary on out. Errors wrap ErrBadInput,
// ErrRefused (nothing changed) or are the database's; a failed batch is rolled back and the
// batches before it stay committed.
func Run(ctx context.Context, db DB, opts Options, out io.Writer) error {
	start := time.Now()
	if len(opts.IDs) == 0 {
		return fmt.Errorf("%w: no ids", ErrBadInput)
	}
	if opts.Mode == "" {
		opts.Mode = ModePurge
	}
	if opts.Mode != ModeMark && opts.Mode != ModePurge {
		return fmt.Errorf("%w: unknown mode %q", ErrBadInput, opts.Mode)
	}
	if opts.Batch <= 0 {
		opts.Batch = BatchSize
	}
	g := opts.Guardrails
	batches := (len(opts.IDs) + opts.Batch - 1) / opts.Batch
	fmt.Fprintf(out, "notes-purge: mode=%s ids=%d batches=%d guardrails=%s\n", opts.Mode, len(opts.IDs), batches, g)

	plan, err := MakePlan(ctx, db, opts.IDs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "plan: %d ids: %d workspaces (%d live, %d marked), %d not workspaces; %s\n",
		plan.IDs, plan.Workspaces, plan.Live, plan.Workspaces-plan.Live, len(plan.Others), plan.effect(opts.Mode))

	if g.CheckKind && len(plan.Others) > 0 {
		return fmt.Errorf("%w %s: %d of %d ids are not workspaces (first: %s)", ErrRefused, GuardCheckKind,
			len(plan.Others), plan.IDs, joinIDs(plan.Others[:min(len(plan.Others), 5)]))
	}
	if n := plan.Affected(opts.Mode); g.MaxScope > 0 && n > int64(g.MaxScope) {
		return fmt.Errorf("%w %s: %d workspaces would be affected, more than %s=%d", ErrRefused, GuardMaxScope,
			n, GuardMaxScope, g.MaxScope)
	}
	if g.DryRun {
		fmt.Fprintf(out, "%s: dry run: nothing changed\n", opts.Mode)
		return nil
	}

	var workspaces, comments int64
	done := 0
	summary := func(status string) {
		fmt.Fprintf(out, "%s: %s: %d ids in %d/%d batches, %d workspaces %s", opts.Mode, status, len(opts.IDs),
			done, batches, workspaces, verb(opts.Mode))
		if opts.Mode == ModePurge {
			fmt.Fprintf(out, " (their members and pages with them), %d comments deleted", comments)
		}
		fmt.Fprintf(out, ", elapsed %s\n", time.Since(start).Round(time.Millisecond))
	}
	for b := range batches {
		if err := ctx.Err(); err != nil {
			summary("stopped")
			return fmt.Errorf("stopped before batch %d/%d: %w", b+1, batches, err)
		}
		chunk := opts.IDs[b*opts.Batch : min((b+1)*opts.Batch, len(opts.IDs))]
		w, c, err := runBatch(ctx, db, opts.Mode, chunk)
		if err != nil {
			summary("failed")
			return fmt.Errorf("batch %d/%d (rolled back): %w", b+1, batches, err)
		}
		done++
		workspaces += w
		comments += c
		fmt.Fprintf(out, "%s: batch %d/%d: %d ids, %d workspaces %s", opts.Mode, b+1, batches, len(chunk), w, verb(opts.Mode))
		if opts.Mode == ModePurge {
			fmt.Fprintf(out, ", %d comments deleted", c)
		}
		fmt.Fprintln(out)
	}
	summary("done")
	return nil
}

// runBatch changes one batch in its own transaction and returns the workspaces and comments
// it changed.
func runBatch(ctx context.Context, db DB, mode Mode, ids []int64) (workspaces, comments int64, err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if mode == ModePurge {
		tag, err := tx.Exec(ctx, purgeCommentsSQL, ids)
		if err != nil {
			return 0, 0, fmt.Errorf("delete comments: %w", err)
		}
		comments = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, purgeWorkspaceSQL, ids); err != nil {
			return 0, 0, fmt.Errorf("delete workspaces: %w", err)
		}
		workspaces = tag.RowsAffected()
	} else {
		tag, err := tx.Exec(ctx, markSQL, ids)
		if err != nil {
			return 0, 0, fmt.Errorf("mark workspaces: %w", err)
		}
		workspaces = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return workspaces, comments, nil
}

func (p Plan) effect(mode Mode) string {
	if mode == ModeMark {
		return fmt.Sprintf("mark would hide %d workspaces", p.Live)
	}
	return fmt.Sprintf("purge would delete %d workspaces, %d members, %d pages, %d comments",
		p.Workspaces, p.Members, p.Pages, p.Comments)
}

func verb(mode Mode) string {
	if mode == ModeMark {
		return "marked"
	}
	return "deleted"
}

// String gives g as DRDRILL_GUARDRAILS writes it; "none" when every guardrail is off.
func (g Guardrails) String() string {
	var s []string
	if g.DryRun {
		s = append(s, GuardDryRun)
	}
	if g.CheckKind {
		s = append(s, GuardCheckKind)
	}
	if g.MaxScope > 0 {
		s = append(s, GuardMaxScope+"="+strconv.Itoa(g.MaxScope))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
