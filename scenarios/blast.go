package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/fixtures"
)

// BlastRadius is what the incident really changed, found by comparing a manifest of the live
// database with the pre-incident one, never from the script's input.
type BlastRadius struct {
	Tenants []int64 // affected tenants, ascending
	Sites   []int64 // their sites that are gone or newly soft-deleted, ascending
	Users   int64   // users of those sites, per the pre-incident manifest
	Diffs   []fixtures.TenantDiff
	// Read is what the assessment read when it read the pages changed since before (the
	// harness's, with the pre-incident snapshot held); zero when it read row versions.
	Read fixtures.PagesRead `json:"-"`
}

// Assess finds the blast radius: the tenants whose data differs from before, a manifest
// taken before the incident. The live manifest covers the same tenants as before (its Scope);
// only what may have changed since is read again (fixtures.Shape.TakeManifestSince), so it
// costs about half a manifest of the whole database by row versions (a runbook's), and a
// fraction of that by changed pages (the harness's, before holding its snapshot).
func Assess(ctx context.Context, dsn string, before fixtures.Manifest) (BlastRadius, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return BlastRadius{}, fmt.Errorf("connect to live db: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// One snapshot: the row versions and the tenants then re-read are of the same instant.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return BlastRadius{}, fmt.Errorf("manifest of live db: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	now, read, err := before.Shape().TakeManifestSinceRead(ctx, tx, before)
	if err != nil {
		return BlastRadius{}, fmt.Errorf("manifest of live db: %w", err)
	}
	br := blastRadius(before, now)
	br.Read = read
	return br, nil
}

// blastRadius compares two manifests of the same scope.
func blastRadius(before, now fixtures.Manifest) BlastRadius {
	br := BlastRadius{Diffs: before.Diff(now)}
	for _, d := range br.Diffs {
		br.Tenants = append(br.Tenants, d.Tenant)
		gone := map[int64]bool{}
		for _, id := range d.SitesMissing {
			gone[id] = true
		}
		for _, s := range now.Tenants[d.Tenant].Sites {
			if s.Deleted {
				gone[s.ID] = true
			}
		}
		for _, s := range before.Tenants[d.Tenant].Sites {
			// A site already soft-deleted before the incident is not its doing.
			if gone[s.ID] && !s.Deleted {
				br.Sites = append(br.Sites, s.ID)
				br.Users += s.Users
			}
		}
	}
	slices.Sort(br.Tenants)
	slices.Sort(br.Sites)
	return br
}

// assess is the first step of every runbook.
func (e *Env) assess(ctx context.Context) error {
	return e.Step(ctx, "assess blast radius", func(ctx context.Context) error {
		br, err := Assess(ctx, e.Stack.DSN(), e.Before)
		if err != nil {
			return err
		}
		e.Blast = br
		e.progressf("blast radius: %d tenants, %d sites, %d users changed since the pre-incident manifest", len(br.Tenants), len(br.Sites), br.Users)
		return nil
	})
}

// assessWhile assesses the blast radius while prepare gets a restore ready: nothing before the
// copy depends on who was hit, and an incident team would not wait either. An empty blast
// radius cancels prepare's context: there is nothing to restore. hit says whether anyone was
// hit; the error is the assessment's first, then prepare's.
func (e *Env) assessWhile(ctx context.Context, prepare func(ctx context.Context) error) (hit bool, err error) {
	prepCtx, stopPrep := context.WithCancel(ctx)
	defer stopPrep()
	assessed := make(chan error, 1)
	go func() {
		err := e.assess(ctx)
		if err == nil && len(e.Blast.Tenants) == 0 {
			stopPrep()
		}
		assessed <- err
	}()
	perr := prepare(prepCtx)
	if err := <-assessed; err != nil {
		return false, err
	}
	if len(e.Blast.Tenants) == 0 {
		return false, nil
	}
	return true, perr
}

// ErrNotRestored means a runbook finished its work but some affected tenants still differ from
// the pre-incident manifest (undo-mark after a purge, for one: the rows are gone).
var ErrNotRestored = errors.New("affected tenants still differ from the pre-incident manifest")

// checkManifest is the last step of every runbook: the affected tenants must equal their pre-incident
// manifest again. The drill's verifier judges far more (health, acknowledged writes); this
// only keeps a runbook from reporting success for work it could not do.
func (e *Env) checkManifest(ctx context.Context) error {
	if len(e.Blast.Tenants) == 0 {
		return nil
	}
	return e.Step(ctx, "check affected tenants against the manifest", func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, e.Stack.DSN())
		if err != nil {
			return fmt.Errorf("connect to live db: %w", err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		// One instant across the tables, and a transaction the manifest's scoped reads can set
		// their planner costs in.
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("manifest of live db: %w", err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		now, err := e.Before.Shape().TakeManifest(ctx, tx, e.Blast.Tenants)
		if err != nil {
			return fmt.Errorf("manifest of live db: %w", err)
		}
		diffs := e.Before.Only(e.Blast.Tenants).Diff(now)
		if len(diffs) == 0 {
			return nil
		}
		var ids []string
		for i, d := range diffs {
			if i == 5 {
				ids = append(ids, fmt.Sprintf("… (%d in all)", len(diffs)))
				break
			}
			var tables []string
			for _, td := range d.Tables {
				tables = append(tables, fmt.Sprintf("%s %d→%d rows", td.Table, td.RowsBefore, td.RowsAfter))
			}
			ids = append(ids, fmt.Sprintf("tenant %d (%s)", d.Tenant, strings.Join(tables, ", ")))
		}
		return fmt.Errorf("%w: %s", ErrNotRestored, strings.Join(ids, "; "))
	})
}
