package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/tenancy"
)

// tenantRepair puts back rows that a bad UPDATE rewrote: the data is present but wrong, and no
// row is missing for tenant-restore's live-wins copy to insert. The application moves an
// updated-at column (the stack file's tenancy.updatedAt) on every write it makes, so a row of an
// affected tenant whose updated-at is older than T0 but whose version was committed after T0
// (pg_xact_commit_timestamp of its xmin) was rewritten behind the application's back: those
// versions' transactions are the corrupting ones. A side database is recovered to just before
// the first of them (recovery_target_xid, exclusive, then paused) and every row that
// transaction left is put back as the side has it, if its updated-at did not move (the
// application has not written it since); then the side db moves on to the next one. A row
// written by the application after the corruption was made by another transaction and keeps
// its live value: a live write after T0 wins, and so does one made between T0 and the
// corruption, which a side at T0 would not have.
type tenantRepair struct{}

func (tenantRepair) Name() string { return "tenant-repair" }

// ErrNoRewrites means no row of the affected tenants was rewritten after T0 with its
// updated-at column left as it was: tenant-repair has nothing to put back (rows deleted are
// tenant-restore's, a table emptied full-pitr's or tenant-restore's).
var ErrNoRewrites = errors.New("no row of the affected tenants was rewritten after T0 without its updated-at column moving")

// rewrite is one transaction that rewrote rows without moving their updated-at column.
type rewrite struct {
	xid       uint32
	committed time.Time
	rows      int64
}

func (tenantRepair) Run(ctx context.Context, env *Env) (err error) {
	d := env.Params.Tenancy
	if d == nil || d.UpdatedAt == "" || d.Model == tenancy.SchemaPerTenant {
		return errors.New("tenant-repair: needs the stack's tenancy with an updated-at column (tenancy.updatedAt in the stack file, foreign-keys model)")
	}
	var side *stack.Postgres
	defer dropSide(ctx, &side, &err)
	if err := env.switchWAL(ctx); err != nil {
		return err
	}
	if err := env.assess(ctx); err != nil || len(env.Blast.Tenants) == 0 {
		return err
	}
	bk, err := env.chooseBackup(ctx, "tenant-repair", env.T0)
	if err != nil {
		return err
	}
	m, tables, rws, err := env.findRewrites(ctx, *d)
	if err != nil {
		return err
	}
	what := func(k int) string { return fmt.Sprintf("rewrite %d/%d", k+1, len(rws)) }
	if side, err = env.startSideBeforeXID(ctx, bk, rws[0].xid, what(0)); err != nil {
		return err
	}
	for k, rw := range rws {
		last := k == len(rws)-1
		done := func([]int64, time.Time) {}
		if last {
			done = env.restored
		}
		if err := env.repairAt(ctx, side, m, tables, rw, what(k), done); err != nil {
			return err
		}
		if last {
			break
		}
		next := rws[k+1]
		if err := env.Step(ctx, fmt.Sprintf("move side db on to just before %s (xid %d)", what(k+1), next.xid), func(ctx context.Context) error {
			return env.retarget(ctx, side, next.xid)
		}); err != nil {
			return err
		}
	}
	env.progressf("tenant-repair: %d tenants, %d rows read, %d put back", len(env.Blast.Tenants), env.Copy.RowsRead, env.Copy.RowsWritten)
	if err := env.stopSide(ctx, &side); err != nil {
		return err
	}
	return env.checkManifest(ctx)
}

// findRewrites discovers the tenancy model on the live db and finds, among the affected
// tenants' rows of the tables with the updated-at column, the transactions that rewrote rows
// after T0 without moving it, in commit order.
func (e *Env) findRewrites(ctx context.Context, d tenancy.Declared) (*tenancy.Model, []tenancy.Table, []rewrite, error) {
	live, err := pgxpool.New(ctx, poolDSN(e.Stack.DSN(), 1))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect to live db: %w", err)
	}
	defer live.Close()
	var m *tenancy.Model
	if err := e.Step(ctx, "discover the tenancy model on the live db", func(ctx context.Context) error {
		m, err = tenancy.Discover(ctx, live, d)
		return err
	}); err != nil {
		return nil, nil, nil, fmt.Errorf("tenancy of the live db: %w", err)
	}
	var tables []tenancy.Table
	for _, tb := range m.Tables {
		if _, ok := tb.Column(d.UpdatedAt); ok {
			tables = append(tables, tb)
		}
	}
	if len(tables) == 0 {
		return nil, nil, nil, fmt.Errorf("tenant-repair: no table the tenants own has the updated-at column %q", d.UpdatedAt)
	}
	var rws []rewrite
	step := fmt.Sprintf("find the transactions that rewrote rows after T0 without moving %s", d.UpdatedAt)
	err = e.Step(ctx, step, func(ctx context.Context) error {
		byXID := map[uint32]*rewrite{}
		in := ownedTenants(m, e.Blast.Tenants)
		for _, tb := range tables {
			q := tb.SelectOwnedAs("t.xmin::text::bigint, pg_xact_commit_timestamp(t.xmin), count(*)", in) +
				fmt.Sprintf(" AND t.%s < $1 AND pg_xact_commit_timestamp(t.xmin) >= $1 GROUP BY 1, 2", ident(d.UpdatedAt))
			rows, err := live.Query(ctx, q, e.T0)
			if err != nil {
				return fmt.Errorf("%s: %w", tb.QualifiedName(), err)
			}
			var rw rewrite
			var xid int64
			if _, err := pgx.ForEachRow(rows, []any{&xid, &rw.committed, &rw.rows}, func() error {
				rw.xid = uint32(xid)
				if have := byXID[rw.xid]; have != nil {
					have.rows += rw.rows
				} else {
					c := rw
					byXID[rw.xid] = &c
				}
				return nil
			}); err != nil {
				return fmt.Errorf("%s: %w", tb.QualifiedName(), err)
			}
		}
		if len(byXID) == 0 {
			return fmt.Errorf("%w (%d tenants; tables %s)", ErrNoRewrites, len(e.Blast.Tenants), tableList(tables))
		}
		var n int64
		for _, rw := range byXID {
			rws = append(rws, *rw)
			n += rw.rows
		}
		slices.SortFunc(rws, func(a, b rewrite) int { return a.committed.Compare(b.committed) })
		e.findingf("tenant-repair: %d transactions rewrote %d rows of %s without moving %s, committed from T0%+.1fs to T0%+.1fs (xid %d … %d)",
			len(rws), n, tableList(tables), d.UpdatedAt, rws[0].committed.Sub(e.T0).Seconds(), rws[len(rws)-1].committed.Sub(e.T0).Seconds(), rws[0].xid, rws[len(rws)-1].xid)
		return nil
	})
	return m, tables, rws, err
}

// repairAt puts back, from the side db paused just before rewrite rw, the rows of the affected
// tenants that rw left live, in batches of tenants (copyBatches); done hears of each batch.
func (e *Env) repairAt(ctx context.Context, sideDB *stack.Postgres, m *tenancy.Model, tables []tenancy.Table, rw rewrite, what string, done func([]int64, time.Time)) error {
	par := e.Params.parallelism()
	side, live, err := e.copyPools(ctx, sideDB.DSN(), par)
	if err != nil {
		return err
	}
	defer side.Close()
	defer live.Close()
	repair := func(ctx context.Context, b []int64) (copyResult, error) {
		return repairRows(ctx, side, live, m, tables, b, rw.xid, e.Params.Tenancy.UpdatedAt)
	}
	return e.copyBatches(ctx, "put back the rows of "+what, e.Blast.Tenants, repair, done)
}

// repairRows puts back, in one transaction on dst (live), the rows of tenants in tables whose
// live version transaction xid wrote without moving column updatedAt: each gets src's (the side
// db's, just before xid) values again. Rows are matched by primary key.
func repairRows(ctx context.Context, src, dst *pgxpool.Pool, m *tenancy.Model, tables []tenancy.Table, tenants []int64, xid uint32, updatedAt string) (copyResult, error) {
	var res copyResult
	sc, tx, err := beginCopy(ctx, src, dst)
	if err != nil {
		return res, err
	}
	defer endCopy(ctx, sc, tx)
	in := ownedTenants(m, tenants)
	for i, tb := range tables {
		if len(tb.PrimaryKey) == 0 {
			return res, fmt.Errorf("table %s: no primary key: a row cannot be matched with its side version", tb.QualifiedName())
		}
		tmp := ident(fmt.Sprintf("drdrill_repair_%d", i))
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (LIKE %s) ON COMMIT DROP`, tmp, tb.QualifiedName())); err != nil {
			return res, fmt.Errorf("create temp table: %w", err)
		}
		n, err := PipeCopy(ctx, sc.Conn().PgConn(), tx.Conn().PgConn(),
			fmt.Sprintf(`COPY (%s) TO STDOUT (FORMAT binary)`, tb.SelectOwned(in)), fmt.Sprintf(`COPY %s FROM STDIN (FORMAT binary)`, tmp))
		if err != nil {
			return res, fmt.Errorf("table %s: %w", tb.QualifiedName(), err)
		}
		res.read += n
		var set []string
		for _, c := range tb.Columns {
			if !slices.Contains(tb.PrimaryKey, c.Name) {
				set = append(set, fmt.Sprintf("%s = s.%s", ident(c.Name), ident(c.Name)))
			}
		}
		ua := ident(updatedAt)
		q := fmt.Sprintf(`UPDATE %s t SET %s FROM %s s WHERE %s AND t.xmin::text::bigint = $1 AND t.%s = s.%s AND (t.*)::text IS DISTINCT FROM (s.*)::text`,
			tb.QualifiedName(), strings.Join(set, ", "), tmp, pkMatch(tb.PrimaryKey, "t", "s"), ua, ua)
		tag, err := tx.Exec(ctx, q, int64(xid))
		if err != nil {
			return res, fmt.Errorf("table %s: %s: %w", tb.QualifiedName(), q, err)
		}
		res.written += tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	res.committed = time.Now()
	return res, nil
}

func tableList(tables []tenancy.Table) string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}
