package saas

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SchemaSQL creates the bare tables (no keys, no indexes) and the ID sequence.
//
//go:embed schema.sql
var SchemaSQL string

// ConstraintsSQL adds primary keys, foreign keys (ON DELETE CASCADE from sites) and indexes.
//
//go:embed constraints.sql
var ConstraintsSQL string

// Tables lists the tables in dependency order: a parent before its children. Restores insert
// in this order and deletes in the reverse one.
var Tables = []string{"tenants", "sites", "products", "users", "apps", "records"}

// LiveKeyPrefix starts the key of every record written by live traffic; seeded records start
// with SeedKeyPrefix. The manifest covers seeded rows only; the ledger covers live ones.
const (
	LiveKeyPrefix = "live-"
	SeedKeyPrefix = "seed-"
)

// Execer is what schema creation needs: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

var _ Execer = (*pgx.Conn)(nil)

// CreateTables applies SchemaSQL.
func CreateTables(ctx context.Context, db Execer) error {
	if _, err := db.Exec(ctx, SchemaSQL); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	return nil
}

// AddConstraints applies ConstraintsSQL; run it once, after bulk loading.
func AddConstraints(ctx context.Context, db Execer) error {
	if _, err := db.Exec(ctx, ConstraintsSQL); err != nil {
		return fmt.Errorf("add constraints: %w", err)
	}
	return nil
}

// Migrate creates an empty, fully constrained schema: tables then constraints.
func Migrate(ctx context.Context, db Execer) error {
	if err := CreateTables(ctx, db); err != nil {
		return err
	}
	return AddConstraints(ctx, db)
}
