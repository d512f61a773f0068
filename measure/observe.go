package measure

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// liveSQL reads the live records a customer can see: those of sites and tenants that are not
// soft-deleted. The records of a tenant deleted and not restored are thus absent, and its
// acknowledged writes count as lost.
const liveSQL = `SELECT r.tenant_id, r.site_id, r.key, r.value
FROM records r
JOIN sites s ON s.id = r.site_id AND s.deleted_at IS NULL
JOIN tenants t ON t.id = r.tenant_id AND t.deleted_at IS NULL
WHERE r.key LIKE '` + saas.LiveKeyPrefix + `%'`

// LiveRecords reads the visible live records of the given tenants (nil: of every tenant).
func LiveRecords(ctx context.Context, q fixtures.Querier, tenants []int64) ([]Record, error) {
	sql, args := liveSQL, []any(nil)
	if tenants != nil {
		sql, args = sql+" AND r.tenant_id = ANY($1::bigint[])", []any{tenants}
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
	DB TxBeginner
}

// Observe implements Observer.
func (o DBObserver) Observe(ctx context.Context, tenants []int64) (map[int64]Observation, error) {
	tx, err := o.DB.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("observe tenants: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	m, err := fixtures.TakeManifest(ctx, tx, tenants)
	if err != nil {
		return nil, fmt.Errorf("observe tenants: %w", err)
	}
	live, err := LiveRecords(ctx, tx, tenants)
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
// against before.
func TakeFinalSnapshot(ctx context.Context, db TxBeginner, before fixtures.Manifest) (FinalSnapshot, error) {
	var snap FinalSnapshot
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return snap, fmt.Errorf("final observation: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if snap.Records, err = LiveRecords(ctx, tx, nil); err != nil {
		return snap, fmt.Errorf("final observation: %w", err)
	}
	after, err := fixtures.TakeManifest(ctx, tx, nil)
	if err != nil {
		return snap, fmt.Errorf("final manifest: %w", err)
	}
	for _, td := range before.Diff(after) {
		snap.SeededDiff = append(snap.SeededDiff, td.Tenant)
	}
	return snap, nil
}
