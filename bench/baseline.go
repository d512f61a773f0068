package bench

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// basebackup runs plain pg_basebackup into dir of the db container (TCP with the password
// when pg_hba refuses replication over the socket) and returns its wall time.
func basebackup(ctx context.Context, st *stack.Stack, dir string) (time.Duration, error) {
	args := []string{"pg_basebackup", "-D", dir, "-Fp", "-Xstream", "-c", "fast"}
	start := time.Now()
	code, out, err := st.Exec(ctx, stack.DB, args)
	if err == nil && code != 0 && strings.Contains(out, "pg_hba.conf") {
		if _, _, err = st.Exec(ctx, stack.DB, []string{"rm", "-rf", dir}); err == nil {
			start = time.Now()
			code, out, err = st.Exec(ctx, stack.DB, append([]string{"pg_basebackup", "-h", "127.0.0.1", "-U", "postgres"}, args[1:]...), "PGPASSWORD="+st.Password())
		}
	}
	took := time.Since(start)
	if err != nil || code != 0 {
		return 0, fmt.Errorf("baseline pg_basebackup (exit %d): %v %s", code, err, strings.TrimSpace(out))
	}
	return took, nil
}

// startSide starts a server on a fresh volume from the base backup in dir, replays the WAL
// archive to its end and waits until it is promoted: what any restore pays before reading. It
// is scratch as the runbooks' side databases are (stack.ScratchSettings), and copies the
// backup as theirs do (scenarios.FillDataDirScript, the runbooks' default parallelism).
func startSide(ctx context.Context, st *stack.Stack, dir string) (*stack.Postgres, time.Duration, error) {
	start := time.Now()
	vol, err := st.NewVolume(ctx, fmt.Sprintf("benchside-pgdata-%d", time.Now().UnixMilli()))
	if err != nil {
		return nil, 0, err
	}
	init := fmt.Sprintf(`set -eu
D="$PGDATA"
if [ ! -s "$D/PG_VERSION" ]; then
%sfi
`, scenarios.FillDataDirScript(dir, "restore_command = '"+stack.RestoreCommand+"'\n", scenarios.DefaultParallelism))
	scratch := maps.Clone(stack.ScratchSettings)
	scratch["archive_mode"] = "off"
	p, err := st.StartPostgres(ctx, stack.PostgresSpec{
		Alias:    "benchside",
		Volumes:  map[string]string{vol: stack.PGDATA, "backups": stack.BackupsDir, "archive": stack.ArchiveDir},
		Init:     init,
		Settings: scratch,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("baseline side server: %w", err)
	}
	return p, time.Since(start), nil
}

// copyBackLive COPYs every row of the tenants from the side server back into the live
// tables themselves, as a tenant restore must: the rows go into the 11 M-row tables and their
// indexes, not into empty ones. In one transaction that is rolled back: the tenants' rows are
// deleted first (untimed: that is the incident's state), then copied back table after table
// (timed), binary format streamed through this process, without per-row foreign-key triggers
// (session_replication_role = replica) as tenant-restore's own copy goes. The least a restore
// into the live database must move and write.
func copyBackLive(ctx context.Context, side *pgconn.PgConn, live *pgxpool.Pool, tenants []int64) (time.Duration, int64, error) {
	tx, err := live.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("baseline copy back into the live tables: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		return 0, 0, fmt.Errorf("baseline copy back into the live tables: %w", err)
	}
	list := tenantList(tenants)
	for _, t := range saas.Tables {
		if _, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM public.%s WHERE %s = ANY(%s)", t, tenantColumn(t), list)); err != nil {
			return 0, 0, fmt.Errorf("baseline copy back: delete the tenants' rows of %s: %w", t, err)
		}
	}
	took, rows, err := copyTables(ctx, side, tx.Conn().PgConn(), "public", list)
	if err != nil {
		return 0, 0, fmt.Errorf("baseline copy back into the live tables: %w", err)
	}
	return took, rows, nil
}

// copyBackEmpty COPYs every row of the tenants from the side server into empty copies of the
// saas tables (their indexes included) in the live database, one table after another, binary
// format streamed through this process: a lower bound no restore into a live database reaches
// (its indexes are small and its pages new), printed beside copyBackLive.
func copyBackEmpty(ctx context.Context, side *pgconn.PgConn, live *pgxpool.Pool, tenants []int64) (time.Duration, int64, error) {
	const schema = "drdrill_benchcopy"
	if _, err := live.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		return 0, 0, fmt.Errorf("baseline copy back: %w", err)
	}
	defer live.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	for _, t := range saas.Tables {
		if _, err := live.Exec(ctx, fmt.Sprintf("CREATE TABLE %s.%s (LIKE public.%s INCLUDING DEFAULTS INCLUDING INDEXES)", schema, t, t)); err != nil {
			return 0, 0, fmt.Errorf("baseline copy back: %w", err)
		}
	}
	conn, err := live.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	took, rows, err := copyTables(ctx, side, conn.Conn().PgConn(), schema, tenantList(tenants))
	if err != nil {
		return 0, 0, fmt.Errorf("baseline copy back into empty tables: %w", err)
	}
	return took, rows, nil
}

// copyTables COPYs the rows of the tenants in list from every saas table of side into the
// same table of schema on live, one table after another, and returns the time and the rows.
func copyTables(ctx context.Context, side, live *pgconn.PgConn, schema, list string) (time.Duration, int64, error) {
	var rows int64
	start := time.Now()
	for _, t := range saas.Tables {
		n, err := scenarios.PipeCopy(ctx, side, live,
			fmt.Sprintf("COPY (SELECT * FROM %s WHERE %s = ANY(%s)) TO STDOUT (FORMAT binary)", t, tenantColumn(t), list),
			fmt.Sprintf("COPY %s.%s FROM STDIN (FORMAT binary)", schema, t))
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", t, err)
		}
		rows += n
	}
	return time.Since(start), rows, nil
}

// tenantColumn is the column of table t that names its tenant.
func tenantColumn(t string) string {
	if t == "tenants" {
		return "id"
	}
	return "tenant_id"
}

// tenantList is tenants as a bigint[] literal.
func tenantList(tenants []int64) string {
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = fmt.Sprint(t)
	}
	return "'{" + strings.Join(ids, ",") + "}'::bigint[]"
}
