package scenarios

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stacks/reference/saas"
)

type copyResult struct {
	read, written int64
	committed     time.Time
}

// beginCopy opens a copy's two ends: a connection to the side db src, and a transaction on
// the live db dst; endCopy closes them (the transaction rolled back unless it committed).
func beginCopy(ctx context.Context, src, dst *pgxpool.Pool) (*pgxpool.Conn, pgx.Tx, error) {
	sc, err := src.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to side db: %w", err)
	}
	tx, err := dst.Begin(ctx)
	if err != nil {
		sc.Release()
		return nil, nil, fmt.Errorf("begin on live db: %w", err)
	}
	return sc, tx, nil
}

func endCopy(ctx context.Context, sc *pgxpool.Conn, tx pgx.Tx) {
	_ = tx.Rollback(context.WithoutCancel(ctx))
	sc.Release()
}

// copyTenants copies every row of tenants from src (the database restored to T0) into dst (the
// live one), table by table in dependency order, in one transaction: a tenant comes back whole
// or not at all. Rows keep their IDs. A row that is missing live is inserted; a row that is
// live and was marked deleted at or after T0 gets its pre-incident deleted_at back; any other
// live row is left as it is, so nothing written after T0 is clobbered.
//
// Rows split two ways by their site. A site that is gone from the live database took every row
// under it (the foreign keys cascade), so its rows and it are COPYed straight into the live
// tables, as fast as COPY goes: the bulk of a purge. Rows of sites still live (marked deleted,
// or never touched) and the tenants themselves may be live too: they go through a temporary
// table and an upsert. The foreign keys check every row as usual.
func copyTenants(ctx context.Context, src, dst *pgxpool.Pool, tenants []int64, t0 time.Time) (copyResult, error) {
	var res copyResult
	in := int64Array(tenants)
	sc, tx, err := beginCopy(ctx, src, dst)
	if err != nil {
		return res, err
	}
	defer endCopy(ctx, sc, tx)
	// FOR KEY SHARE: a live site cannot vanish under the rows about to be upserted beneath it.
	rows, err := tx.Query(ctx, `SELECT id FROM sites WHERE tenant_id = ANY($1) ORDER BY id FOR KEY SHARE`, tenants)
	if err != nil {
		return res, fmt.Errorf("live sites of the tenants: %w", err)
	}
	liveSites, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return res, fmt.Errorf("live sites of the tenants: %w", err)
	}
	live := int64Array(liveSites)

	for _, table := range saas.Tables {
		gone, kept := splitBySite(table, in, live)
		if gone != "" {
			out := fmt.Sprintf(`COPY (SELECT * FROM %s WHERE %s) TO STDOUT (FORMAT binary)`, table, gone)
			n, err := PipeCopy(ctx, sc.Conn().PgConn(), tx.Conn().PgConn(), out, fmt.Sprintf(`COPY %s FROM STDIN (FORMAT binary)`, table))
			if err != nil {
				return res, fmt.Errorf("%s: %w", table, err)
			}
			res.read += n
			res.written += n
		}
		if kept == "" {
			continue
		}
		tmp := "restore_" + table
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (LIKE %s) ON COMMIT DROP`, tmp, table)); err != nil {
			return res, fmt.Errorf("%s: create temp table: %w", table, err)
		}
		out := fmt.Sprintf(`COPY (SELECT * FROM %s WHERE %s) TO STDOUT (FORMAT binary)`, table, kept)
		n, err := PipeCopy(ctx, sc.Conn().PgConn(), tx.Conn().PgConn(), out, fmt.Sprintf(`COPY %s FROM STDIN (FORMAT binary)`, tmp))
		if err != nil {
			return res, fmt.Errorf("%s: %w", table, err)
		}
		res.read += n
		ins, args := upsertSQL(table, tmp), []any{t0}
		if table == "records" {
			args = nil
		}
		tag, err := tx.Exec(ctx, ins, args...)
		if err != nil {
			return res, fmt.Errorf("%s: %s: %w", table, ins, err)
		}
		res.written += tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	res.committed = time.Now()
	return res, nil
}

// splitBySite gives the WHERE clauses of a table's rows of the tenants (array literal in) under
// sites gone from the live database and under live sites (array literal live); "" where a
// part has no rows by construction. Tenants are never under a site: they are all "kept".
func splitBySite(table, in, live string) (gone, kept string) {
	col := "site_id"
	switch table {
	case "tenants":
		return "", fmt.Sprintf(`id = ANY('%s'::bigint[])`, in)
	case "sites":
		col = "id"
	}
	gone = fmt.Sprintf(`tenant_id = ANY('%s'::bigint[]) AND %s <> ALL('%s'::bigint[])`, in, col, live)
	if live != "{}" {
		kept = fmt.Sprintf(`tenant_id = ANY('%s'::bigint[]) AND %s = ANY('%s'::bigint[])`, in, col, live)
	}
	return gone, kept
}

// PipeCopy streams the rows of src's COPY … TO STDOUT statement out into dst's COPY … FROM
// STDIN statement in (binary format on both sides, through this process) and returns how many
// rows dst took. tenant-restore copies tenants back with it; make bench's baseline too.
func PipeCopy(ctx context.Context, src, dst *pgconn.PgConn, out, in string) (int64, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// pgconn writes one row per Write: buffered, the pipe hands over 64 KiB at a time
		// instead of waking the reader for every row (the harness's largest CPU cost while
		// restoring, before).
		bw := bufio.NewWriterSize(pw, 64<<10)
		_, err := src.CopyTo(ctx, bw, out)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	tag, err := dst.CopyFrom(ctx, pr, in)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the reader's side if CopyFrom stopped early
	outErr := <-done
	// When dst's COPY fails first, closing the pipe above makes src's COPY fail with
	// io.ErrClosedPipe: a consequence, not the cause. Report dst's error then, so that a
	// killed live db is seen (and retried) as what it is.
	if outErr != nil && (err == nil || !errors.Is(outErr, io.ErrClosedPipe)) {
		return 0, fmt.Errorf("%s: %w", out, outErr)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", in, err)
	}
	return tag.RowsAffected(), nil
}

// upsertSQL puts rows of tmp back into table ($1 is T0).
func upsertSQL(table, tmp string) string {
	if table == "records" {
		// Records have no soft delete: a live record is the newer truth (written after T0 on a
		// surviving site). ON CONFLICT without a target also skips (site_id, key) clashes.
		return fmt.Sprintf(`INSERT INTO %s SELECT * FROM %s ON CONFLICT DO NOTHING`, table, tmp)
	}
	return fmt.Sprintf(`INSERT INTO %[1]s AS t SELECT * FROM %[2]s ON CONFLICT (id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at WHERE t.deleted_at >= $1`, table, tmp)
}

// int64Array renders ids as a Postgres array literal; COPY takes no parameters, and integers
// need no quoting.
func int64Array(ids []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte('}')
	return b.String()
}
