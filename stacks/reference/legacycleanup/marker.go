package legacycleanup

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MarkerTable holds the run ID of the drill that made the database. The faulty script refuses
// any database whose marker does not name the run it was told (--run-id): pointed by mistake at
// a real database (a developer's DATABASE_URL, a copied DSN), it deletes nothing.
const MarkerTable = "drdrill_meta"

// ErrNotADrill marks a database that is not the drill's the script was told: no marker, or the
// marker of another run. Nothing was changed.
var ErrNotADrill = errors.New("not this drill's database")

// Execer runs a statement; *pgx.Conn, *pgxpool.Pool and pgx.Tx are Execers.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// WriteMarker marks the database db reaches as run runID's drill database. The drill calls it
// once, as soon as its database exists, so that every backup and restore of it carries the mark.
func WriteMarker(ctx context.Context, db Execer, runID string) error {
	if runID == "" {
		return fmt.Errorf("%w: write marker: empty run id", ErrBadInput)
	}
	_, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MarkerTable+` (key text PRIMARY KEY, value text NOT NULL);
		COMMENT ON TABLE `+MarkerTable+` IS 'drdrill: this database belongs to a disaster-recovery drill; the faulty script acts only on the run named here'`)
	if err != nil {
		return fmt.Errorf("create %s: %w", MarkerTable, err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO `+MarkerTable+` (key, value) VALUES ('run_id', $1)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, runID); err != nil {
		return fmt.Errorf("write %s run_id: %w", MarkerTable, err)
	}
	return nil
}

// checkMarker returns nil only if the database's marker names runID. Inside a transaction it
// takes a share lock on the marker row, so the mark cannot change before the batch commits.
func checkMarker(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, runID string) error {
	var got string
	err := q.QueryRow(ctx, `SELECT value FROM `+MarkerTable+` WHERE key = 'run_id' FOR SHARE`).Scan(&got)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table
		return fmt.Errorf("%w: it has no %s table: only a database made by a drdrill run is a target", ErrNotADrill, MarkerTable)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: its %s table names no run", ErrNotADrill, MarkerTable)
	case err != nil:
		return fmt.Errorf("read %s: %w", MarkerTable, err)
	case got != runID:
		return fmt.Errorf("%w: it belongs to run %q, not --run-id %q", ErrNotADrill, got, runID)
	}
	return nil
}
