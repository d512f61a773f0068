package measure

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/fixtures"
)

// LiveRecords reads the live records of the given tenants (nil: of every tenant) that a
// customer can see, where the schema's shape keeps them (nil: the reference's). The records
// of a tenant or unit deleted and not restored are absent, so its acknowledged writes count
// as lost.
func LiveRecords(ctx context.Context, q fixtures.Querier, shape *fixtures.Shape, tenants []int64) ([]Record, error) {
	if shape == nil {
		shape = fixtures.Reference
	}
	sql, args := shape.LiveSQL(false), []any(nil)
	if tenants != nil {
		sql, args = shape.LiveSQL(true), []any{tenants}
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read live records: %w", err)
	}
	var out []Record
	var r Record
	if _, err := pgx.ForEachRow(rows, []any{&r.Tenant, &r.Site, &r.Key, &r.Value}, func() error {
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read live records: %w", err)
	}
	return out, nil
}

// TxBeginner opens transactions: a *pgxpool.Pool or a *pgx.Conn.
type TxBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// DBObserver observes tenants in the live database: manifest and live records read in one
// REPEATABLE READ transaction, so both describe the same instant.
type DBObserver struct {
	DB    TxBeginner
	Shape *fixtures.Shape // where the schema keeps the data; nil: the reference's
}

// Observe implements Observer.
func (o DBObserver) Observe(ctx context.Context, tenants []int64) (map[int64]Observation, error) {
	tx, err := o.DB.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("observe tenants: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	shape := o.Shape
	if shape == nil {
		shape = fixtures.Reference
	}
	m, err := shape.TakeManifest(ctx, tx, tenants)
	if err != nil {
		return nil, fmt.Errorf("observe tenants: %w", err)
	}
	live, err := LiveRecords(ctx, tx, shape, tenants)
	if err != nil {
		return nil, fmt.Errorf("observe tenants: %w", err)
	}
	out := make(map[int64]Observation, len(tenants))
	for _, t := range tenants {
		out[t] = Observation{Manifest: m.Tenants[t]}
	}
	for _, r := range live {
		o := out[r.Tenant]
		o.Live = append(o.Live, r)
		out[r.Tenant] = o
	}
	return out, nil
}

// FinalSnapshot is the end of a drill as the database shows it: the live records every
// tenant can see, and the tenants whose seeded rows differ from the pre-incident manifest.
type FinalSnapshot struct {
	Records    []Record
	SeededDiff []int64
}

// TakeFinalSnapshot reads the live records and the seeded rows of every tenant in one
// REPEATABLE READ snapshot, so both describe the same instant, and diffs the seeded rows
// against before (re-reading in full only the tenants with newer row versions than before).
func TakeFinalSnapshot(ctx context.Context, db TxBeginner, before fixtures.Manifest) (FinalSnapshot, error) {
	var snap FinalSnapshot
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return snap, fmt.Errorf("final observation: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if snap.Records, err = LiveRecords(ctx, tx, before.Shape(), nil); err != nil {
		return snap, fmt.Errorf("final observation: %w", err)
	}
	after, err := before.Shape().TakeManifestSince(ctx, tx, before)
	if err != nil {
		return snap, fmt.Errorf("final manifest: %w", err)
	}
	for _, td := range before.Diff(after) {
		snap.SeededDiff = append(snap.SeededDiff, td.Tenant)
	}
	return snap, nil
}
