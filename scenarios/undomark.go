package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// undoMark clears the soft-delete marks the incident set: the cheapest recovery, possible only
// when the script ran in mark mode. Marks set before T0 (real deletions) are left alone.
type undoMark struct{}

func (undoMark) Name() string { return "undo-mark" }

// markedTables are the tables with a deleted_at column, parents first.
var markedTables = []string{"tenants", "sites", "products", "users", "apps"}

func (undoMark) Run(ctx context.Context, env *Env) error {
	if err := env.assess(ctx); err != nil {
		return err
	}
	tenants := env.Blast.Tenants
	if len(tenants) == 0 {
		return nil
	}
	if err := env.Step(ctx, fmt.Sprintf("clear marks of %d tenants", len(tenants)), func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, env.Stack.DSN())
		if err != nil {
			return fmt.Errorf("connect to live db: %w", err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		var cleared int64
		for _, t := range markedTables {
			sql := fmt.Sprintf(`UPDATE %s SET deleted_at = NULL WHERE %s = ANY($1) AND deleted_at >= $2`, t, tenantColumn(t))
			tag, err := tx.Exec(ctx, sql, tenants, env.T0)
			if err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
			cleared += tag.RowsAffected()
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		env.progressf("undo-mark: cleared %d marks of %d tenants", cleared, len(tenants))
		return nil
	}); err != nil {
		return err
	}
	if err := env.checkManifest(ctx); err != nil {
		return err
	}
	env.restored(tenants, time.Now())
	return nil
}

// tenantColumn is the column that names a row's tenant.
func tenantColumn(table string) string {
	if table == "tenants" {
		return "id"
	}
	return "tenant_id"
}
