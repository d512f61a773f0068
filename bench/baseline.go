package bench

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
// is scratch as the runbooks' side databases are (stack.ScratchSettings).
func startSide(ctx context.Context, st *stack.Stack, dir string) (*stack.Postgres, time.Duration, error) {
	start := time.Now()
	vol, err := st.NewVolume(ctx, fmt.Sprintf("benchside-pgdata-%d", time.Now().UnixMilli()))
	if err != nil {
		return nil, 0, err
	}
	init := fmt.Sprintf(`set -eu
D="$PGDATA"
if [ ! -s "$D/PG_VERSION" ]; then
  cp -a %s/. "$D"/
  chmod 700 "$D"
  echo "restore_command = '%s'" >> "$D/postgresql.auto.conf"
  touch "$D/recovery.signal"
fi
`, dir, stack.RestoreCommand)
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

// copyBack COPYs every row of the tenants from the side server into empty copies of the
// saas tables (their indexes included) in the live database, one table after another, binary
// format streamed through this process: the least a tenant restore must move.
func copyBack(ctx context.Context, sideDSN string, live *pgxpool.Pool, tenants []int64) (time.Duration, int64, error) {
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
	side, err := pgx.Connect(ctx, sideDSN)
	if err != nil {
		return 0, 0, fmt.Errorf("baseline copy back: %w", err)
	}
	defer side.Close(context.WithoutCancel(ctx))
	conn, err := live.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = fmt.Sprint(t)
	}
	list := "'{" + strings.Join(ids, ",") + "}'::bigint[]"
	var rows int64
	start := time.Now()
	for _, t := range saas.Tables {
		col := "tenant_id"
		if t == "tenants" {
			col = "id"
		}
		n, err := scenarios.PipeCopy(ctx, side.PgConn(), conn.Conn().PgConn(),
			fmt.Sprintf("COPY (SELECT * FROM %s WHERE %s = ANY(%s)) TO STDOUT (FORMAT binary)", t, col, list),
			fmt.Sprintf("COPY %s.%s FROM STDIN (FORMAT binary)", schema, t))
		if err != nil {
			return 0, 0, fmt.Errorf("baseline copy back of %s: %w", t, err)
		}
		rows += n
	}
	return time.Since(start), rows, nil
}
