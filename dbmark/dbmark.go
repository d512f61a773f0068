// Package dbmark is the mark a drill writes into the database it makes, and the check every
// destructive step makes before it acts: a drill's faulty script, pointed by mistake at a real
// database (a developer's DATABASE_URL, a copied DSN), finds no mark of its run and changes
// nothing.
package dbmark

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Table holds the run ID of the drill that made the database. A destructive step refuses any
// database whose mark does not name the run it was told (the faulty script's --run-id).
const Table = "drdrill_meta"

// ErrNotADrill marks a database that is not the drill's a step was told: no mark, or the mark
// of another run. Nothing was changed.
var ErrNotADrill = errors.New("not this drill's database")

// Execer runs a statement; *pgx.Conn, *pgxpool.Pool and pgx.Tx are Execers.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Write marks the database db reaches as run runID's drill database. The drill calls it once,
// as soon as its database exists, so that every backup and restore of it carries the mark.
func Write(ctx context.Context, db Execer, runID string) error {
	if runID == "" {
		return errors.New("write the drill mark: empty run id")
	}
	_, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+Table+` (key text PRIMARY KEY, value text NOT NULL);
		COMMENT ON TABLE `+Table+` IS 'drdrill: this database belongs to a disaster-recovery drill; the faulty script acts only on the run named here'`)
	if err != nil {
		return fmt.Errorf("create %s: %w", Table, err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO `+Table+` (key, value) VALUES ('run_id', $1)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, runID); err != nil {
		return fmt.Errorf("write %s run_id: %w", Table, err)
	}
	return nil
}

// Check returns nil only if the database's mark names runID, else an error wrapping
// ErrNotADrill that says why. Inside a transaction it takes a share lock on the mark's row, so
// the mark cannot change before the transaction commits.
func Check(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, runID string) error {
	var got string
	err := q.QueryRow(ctx, `SELECT value FROM `+Table+` WHERE key = 'run_id' FOR SHARE`).Scan(&got)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table
		return fmt.Errorf("%w: it has no %s table: only a database made by a drdrill run is a target", ErrNotADrill, Table)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: its %s table names no run", ErrNotADrill, Table)
	case err != nil:
		return fmt.Errorf("read %s: %w", Table, err)
	case got != runID:
		return fmt.Errorf("%w: it belongs to run %q, not --run-id %q", ErrNotADrill, got, runID)
	}
	return nil
}
