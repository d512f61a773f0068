package scenarios

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/tenancy"
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
		stmts, err := env.clearMarks(ctx, tx)
		if err != nil {
			return err
		}
		var cleared int64
		for _, sql := range stmts {
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

// clearMarks are the statements that clear the marks set at or after T0 ($2) on the rows of
// the tenants in $1: on the reference's marked tables, or, with the stack file's tenancy, on
// every owned table that has the soft-delete column (discovered on the live database, whose
// schema a mark leaves intact), parents first.
func (e *Env) clearMarks(ctx context.Context, q tenancy.Querier) ([]string, error) {
	var out []string
	if e.Params.Tenancy == nil {
		for _, t := range markedTables {
			out = append(out, fmt.Sprintf(`UPDATE %s SET deleted_at = NULL WHERE %s = ANY($1) AND deleted_at >= $2`, t, tenantColumn(t)))
		}
		return out, nil
	}
	m, err := tenancy.Discover(ctx, q, *e.Params.Tenancy)
	if err != nil {
		return nil, fmt.Errorf("tenancy of the live db: %w", err)
	}
	if m.SoftDelete == "" {
		return nil, fmt.Errorf("undo-mark: the stack's tenancy has no soft-delete column: nothing a mark could have set")
	}
	sd := pgx.Identifier{m.SoftDelete}.Sanitize()
	for _, t := range m.Tables {
		if _, ok := t.Column(m.SoftDelete); !ok || len(t.PrimaryKey) == 0 {
			continue
		}
		pk := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			pk[i] = pgx.Identifier{c}.Sanitize()
		}
		cols := strings.Join(pk, ", ")
		out = append(out, fmt.Sprintf(`UPDATE %s SET %s = NULL WHERE (%s) IN (SELECT %s FROM (%s) o) AND %s >= $2`,
			t.QualifiedName(), sd, cols, cols, t.SelectOwned("$1"), sd))
	}
	return out, nil
}
