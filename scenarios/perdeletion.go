package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/tenancy"
)

// perDeletionRestore is tenant-restore with a target per victim: each unit comes back as it was
// just before its own deletion, not as of T0. The deleting transactions are read from the WAL
// archive (pg_waldump: the unit table's DELETE records and their commits) while a side database
// recovers towards T0; it is then moved to just before the first (recovery_target_xid,
// exclusive, paused there: a restart), the units
// that transaction deleted are read there by their tuple IDs and copied back, and the side db is
// moved on to just before the next one, and so on. With a paced script, every write a victim
// acknowledged between T0 and its deletion survives; tenant-restore (to T0) loses them.
type perDeletionRestore struct{}

func (perDeletionRestore) Name() string { return "tenant-restore-per-deletion" }

// ErrNoDeletions means the WAL shows no committed deletion of a unit after T0: a per-deletion
// restore has no target (soft-deleted units are undo-mark's, a truncated table full-pitr's).
var ErrNoDeletions = errors.New("the WAL shows no deletion of a unit after T0")

// CheckTenancy refuses a tenancy it cannot follow: deletions are found per unit row.
func (perDeletionRestore) CheckTenancy(d *tenancy.Declared) error {
	if d == nil || d.UnitTable == "" || d.Model == tenancy.SchemaPerTenant {
		return errors.New("tenant-restore-per-deletion needs a tenancy model with a unit table (the foreign-keys model): it follows the deletions of unit rows")
	}
	return nil
}

func (rb perDeletionRestore) Run(ctx context.Context, env *Env) (err error) {
	d := env.Params.Tenancy
	if err := rb.CheckTenancy(d); err != nil {
		return err
	}
	var (
		side *stack.Postgres
		dels []Deletion
	)
	defer dropSide(ctx, &side, &err)
	hit, err := env.assessWhile(ctx, func(ctx context.Context) error {
		var err error
		side, dels, err = prepareSidePerDeletion(ctx, env, *d)
		return err
	})
	if !hit || err != nil {
		return err
	}
	if err := env.copyPerDeletion(ctx, side, dels); err != nil {
		return err
	}
	if err := env.stopSide(ctx, &side); err != nil {
		return err
	}
	return env.checkManifest(ctx)
}

// prepareSidePerDeletion finds the deletions in the WAL and starts the side db from the latest
// good base backup before T0, paused just before the first. It returns the side db even with an
// error, for the caller to terminate.
func prepareSidePerDeletion(ctx context.Context, env *Env, d tenancy.Declared) (side *stack.Postgres, dels []Deletion, err error) {
	if err := env.switchWAL(ctx); err != nil {
		return nil, nil, err
	}
	bk, err := env.chooseBackup(ctx, "tenant-restore-per-deletion", env.T0)
	if err != nil {
		return nil, nil, err
	}
	unit := tenancy.Table{Schema: d.Schema, Name: d.UnitTable}
	if unit.Schema == "" {
		unit.Schema = "public"
	}
	// The side db starts towards T0 (paused there) while pg_waldump reads the WAL: neither
	// needs the other, and the first deletion's target then costs one restart, not a restore.
	found := make(chan error, 1)
	go func() {
		found <- env.Step(ctx, "find the deletions of "+d.UnitTable+" in the WAL since T0 (pg_waldump)", func(ctx context.Context) error {
			var err error
			if dels, err = env.findDeletions(ctx, bk, unit.QualifiedName()); err != nil {
				return err
			}
			if len(dels) == 0 {
				return fmt.Errorf("%w: no committed DELETE on %s since the backup", ErrNoDeletions, unit.QualifiedName())
			}
			n := 0
			for _, del := range dels {
				n += len(del.Tuples)
			}
			env.findingf("WAL: %d transactions deleted %d rows of %s, committed from T0%+.1fs to T0%+.1fs (xid %d … %d)", len(dels), n, d.UnitTable,
				dels[0].Committed.Sub(env.T0).Seconds(), dels[len(dels)-1].Committed.Sub(env.T0).Seconds(), dels[0].XID, dels[len(dels)-1].XID)
			return nil
		})
	}()
	side, err = env.startSidePaused(ctx, bk, "towards T0", recoverySettingsThen(env.T0, "pause"),
		restoreOptionsThen(bk, env.T0, env.Params.parallelism(), false, "pause"))
	if ferr := <-found; err == nil {
		err = ferr
	}
	if err == nil {
		err = env.Step(ctx, fmt.Sprintf("move side db on to just before deletion 1/%d (xid %d)", len(dels), dels[0].XID), func(ctx context.Context) error {
			return env.retarget(ctx, side, dels[0].XID)
		})
	}
	return side, dels, err
}

// startSideBeforeXID starts a side db from base backup bk recovered to just before transaction
// xid commits and paused there (what names the transaction in the steps' names), as two steps:
// the start, and the replay to the pause. It returns the side db even with an error, for the
// caller to terminate.
func (e *Env) startSideBeforeXID(ctx context.Context, bk Backup, xid uint32, what string) (side *stack.Postgres, err error) {
	x := strconv.FormatUint(uint64(xid), 10)
	settings := strings.Join([]string{
		"# drdrill recovery to just before a transaction",
		"restore_command = '" + stack.RestoreCommand + "'",
		"recovery_target_xid = '" + x + "'",
		"recovery_target_inclusive = off",
		"recovery_target_action = 'pause'",
	}, "\n") + "\n"
	opts := []string{"--set=" + bk.Label, "--type=xid", "--target=" + x, "--target-exclusive", "--target-action=pause",
		fmt.Sprintf("--process-max=%d", max(e.Params.parallelism(), 1))}
	side, err = e.startSidePaused(ctx, bk, "to just before "+what, settings, opts)
	if err == nil {
		err = e.Step(ctx, fmt.Sprintf("replay WAL on side db to just before %s (xid %d)", what, xid), func(ctx context.Context) error {
			return e.waitPaused(ctx, side)
		})
	}
	return side, err
}

// startSidePaused starts a side db from base backup bk into a fresh volume, as the step "start
// side db from <bk> <what>", set to recover with settings (plain route) or restored with
// pgbackrest restore opts (pgBackRest route). It returns once the side db answers; the side db
// even with an error, for the caller to terminate.
func (e *Env) startSidePaused(ctx context.Context, bk Backup, what, settings string, opts []string) (side *stack.Postgres, err error) {
	s := e.Stack
	name, init := "start side db from "+bk.Name+" "+what, sideInitScript(bk.Dir, settings, e.Params.parallelism())
	if s.BackupTool() == stack.PgBackRest {
		name, init = "pgbackrest restore "+strings.Join(opts, " ")+" into side db and start it", sidePgBackRestInitScript(s, opts)
	}
	err = e.Step(ctx, name, func(ctx context.Context) error {
		vol, err := s.NewVolume(ctx, fmt.Sprintf("%s-pgdata-%d", SideAlias, time.Now().UnixMilli()))
		if err != nil {
			return err
		}
		side, err = startSide(ctx, s, SideAlias, vol, init)
		return err
	})
	return side, err
}

// waitPaused waits until the side db has reached its recovery target and paused there.
func (e *Env) waitPaused(ctx context.Context, side *stack.Postgres) error {
	return e.waitRecovery(ctx, side.Service(), side.DSN(), "paused at its recovery target", isPaused)
}

// isPaused reports whether the server at dsn answers and its WAL replay is paused.
func isPaused(ctx context.Context, dsn string) (bool, error) {
	var state string
	err := askServer(ctx, dsn, `SELECT pg_get_wal_replay_pause_state()`, &state)
	return err == nil && state == "paused", err
}

// copyPerDeletion copies each deletion's victim units from the side db, paused just before it,
// then moves the side db on to the next deletion.
func (e *Env) copyPerDeletion(ctx context.Context, side *stack.Postgres, dels []Deletion) error {
	victims := map[string]bool{} // unit keys of the blast radius not yet copied
	left := map[int64]int{}      // tenant → its victim units not yet copied
	unitTenant := map[string]int64{}
	for _, diff := range e.Blast.Diffs {
		for _, u := range diff.SitesMissing {
			k := strconv.FormatInt(u, 10)
			victims[k] = true
			unitTenant[k] = diff.Tenant
			left[diff.Tenant]++
		}
	}
	uc, err := e.unitCopyOn(ctx, side)
	if err != nil {
		return err
	}
	for k, del := range dels {
		last := k == len(dels)-1
		units, err := e.copyAtStop(ctx, side, uc, k, len(dels), del, victims, last, func(units []string, at time.Time) {
			var back []int64
			for _, u := range units {
				if !victims[u] {
					continue
				}
				delete(victims, u)
				t := unitTenant[u]
				if left[t]--; left[t] == 0 {
					back = append(back, t)
				}
			}
			if len(back) > 0 {
				e.restored(back, at)
			}
		})
		if err != nil {
			return err
		}
		e.progressf("deletion %d/%d (xid %d, T0%+.1fs): %d units copied back as they were just before it", k+1, len(dels), del.XID, del.Committed.Sub(e.T0).Seconds(), units)
		if last {
			break
		}
		next := dels[k+1]
		if err := e.Step(ctx, fmt.Sprintf("move side db on to just before deletion %d/%d (xid %d)", k+2, len(dels), next.XID), func(ctx context.Context) error {
			return e.retarget(ctx, side, next.XID)
		}); err != nil {
			return err
		}
	}
	if len(victims) > 0 {
		return fmt.Errorf("%w: %d units of the blast radius are in no deletion the WAL shows, nor on the side db before the last one", ErrNotRestored, len(victims))
	}
	return nil
}

// unitCopy is what every stop of the per-deletion restore copies with: the tenancy model as
// found on the side db, its unit table and the unit table's tenant column.
type unitCopy struct {
	m         *tenancy.Model
	unit      tenancy.Table
	tenantCol string
}

// unitCopyOn discovers the tenancy model on the side db (a step) and its unit.
func (e *Env) unitCopyOn(ctx context.Context, sideDB *stack.Postgres) (unitCopy, error) {
	side, err := pgxpool.New(ctx, poolDSN(sideDB.DSN(), 1))
	if err != nil {
		return unitCopy{}, fmt.Errorf("connect to side db: %w", err)
	}
	defer side.Close()
	m, err := e.discoverOnSide(ctx, side)
	if err != nil {
		return unitCopy{}, err
	}
	unit, ok := m.Table(m.UnitTable)
	if !ok {
		return unitCopy{}, fmt.Errorf("the tenancy model has no unit table %q", m.UnitTable)
	}
	tcol := m.UnitTenantColumn
	if tcol == "" {
		tcol = unit.TenantColumn
	}
	return unitCopy{m: m, unit: unit, tenantCol: tcol}, nil
}

// copyAtStop copies, from the side db paused just before deletion del (number k of n), the
// victim units it deleted: read at the tuple IDs the WAL names. At the last stop, victims no
// deletion named are copied too, if the side db has them (and a finding says so). copied hears
// of each batch of units committed live. It returns how many units it copied.
func (e *Env) copyAtStop(ctx context.Context, sideDB *stack.Postgres, uc unitCopy, k, n int, del Deletion, victims map[string]bool, last bool, copied func([]string, time.Time)) (int, error) {
	side, live, err := e.copyPools(ctx, sideDB.DSN(), e.Params.parallelism())
	if err != nil {
		return 0, err
	}
	defer side.Close()
	defer live.Close()
	model, unit, tcol := uc.m, uc.unit, uc.tenantCol
	var units []string
	tenantOf := map[string]int64{}
	err = e.Step(ctx, fmt.Sprintf("read the units deletion %d/%d deletes (%d tuples) on the side db", k+1, n, len(del.Tuples)), func(ctx context.Context) error {
		units, tenantOf, err = unitsAt(ctx, side, unit, model.UnitKey, tcol, del.Tuples)
		return err
	})
	if err != nil {
		return 0, err
	}
	var mine []string
	in := map[string]bool{}
	for _, u := range units {
		if victims[u] && !in[u] {
			mine = append(mine, u)
			in[u] = true
		}
	}
	if k == 0 {
		// Rows the incident removed under units it left (an app deleted by its ID, the site
		// kept) are in no unit deletion: the units still live of the affected tenants come back
		// here, as they were just before the first deletion, live rows winning.
		kept, err := liveUnitsOf(ctx, live, unit, model.UnitKey, tcol, e.Blast.Tenants, tenantOf)
		if err != nil {
			return 0, err
		}
		if len(kept) > 0 {
			if err := e.copyUnits(ctx, "copy the affected tenants' live units", side, live, model, kept, tenantOf, nil); err != nil {
				return 0, err
			}
		}
	}
	if last && len(victims) > len(mine) {
		var rest []string
		for u := range victims {
			if !in[u] {
				rest = append(rest, u)
			}
		}
		found, owners, err := unitsByKey(ctx, side, unit, model.UnitKey, tcol, rest)
		if err != nil {
			return 0, err
		}
		if len(found) > 0 {
			e.findingf("tenant-restore-per-deletion: %d units of the blast radius are in no deletion the WAL shows; copied as they were just before the last one", len(found))
			mine = append(mine, found...)
			for u, t := range owners {
				tenantOf[u] = t
			}
		}
	}
	if len(mine) == 0 {
		return 0, nil
	}
	return len(mine), e.copyUnits(ctx, fmt.Sprintf("copy units of deletion %d/%d", k+1, n), side, live, model, mine, tenantOf, copied)
}

// copyUnits copies units (tenantOf: their tenants) from side to live in batches of tenants,
// as copyBatches does; copied, if not nil, hears of each batch's units once committed.
func (e *Env) copyUnits(ctx context.Context, what string, side, live *pgxpool.Pool, model *tenancy.Model, units []string, tenantOf map[string]int64, copied func([]string, time.Time)) error {
	var tenants []int64
	byTenant := map[int64][]string{}
	for _, u := range units {
		t := tenantOf[u]
		if _, ok := byTenant[t]; !ok {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], u)
	}
	copyBatch := func(ctx context.Context, b []int64) (copyResult, error) {
		return copyOwnedUnits(ctx, side, live, model, b, units, e.T0)
	}
	done := func(b []int64, at time.Time) {
		if copied == nil {
			return
		}
		var us []string
		for _, t := range b {
			us = append(us, byTenant[t]...)
		}
		copied(us, at)
	}
	return e.copyBatches(ctx, what, tenants, copyBatch, done)
}

// liveUnitsOf reads the units of tenants still in the live db, adding their tenants to owners.
func liveUnitsOf(ctx context.Context, live *pgxpool.Pool, unit tenancy.Table, key, tenantCol string, tenants []int64, owners map[string]int64) ([]string, error) {
	keys, of, err := unitRows(ctx, live, unit, key, tenantCol, ident(tenantCol)+"::bigint = ANY($1::bigint[])", tenants)
	if err != nil {
		return nil, fmt.Errorf("live db: %w", err)
	}
	for k, t := range of {
		owners[k] = t
	}
	return keys, nil
}

// unitsAt reads the keys and tenants of the unit rows at tuple IDs tuples.
func unitsAt(ctx context.Context, q *pgxpool.Pool, unit tenancy.Table, key, tenantCol string, tuples []string) ([]string, map[string]int64, error) {
	return unitRows(ctx, q, unit, key, tenantCol, "ctid = ANY($1::tid[])", tuples)
}

// unitsByKey reads the units of keys that the side db has, and their tenants.
func unitsByKey(ctx context.Context, q *pgxpool.Pool, unit tenancy.Table, key, tenantCol string, keys []string) ([]string, map[string]int64, error) {
	return unitRows(ctx, q, unit, key, tenantCol, ident(key)+"::text = ANY($1::text[])", keys)
}

func unitRows(ctx context.Context, q *pgxpool.Pool, unit tenancy.Table, key, tenantCol, where string, arg any) ([]string, map[string]int64, error) {
	sql := fmt.Sprintf(`SELECT %s::text, %s::bigint FROM %s WHERE %s`, ident(key), ident(tenantCol), unit.QualifiedName(), where)
	rows, err := q.Query(ctx, sql, arg)
	if err != nil {
		return nil, nil, fmt.Errorf("units of %s: %w", unit.QualifiedName(), err)
	}
	var keys []string
	owners := map[string]int64{}
	var k string
	var t int64
	if _, err := pgx.ForEachRow(rows, []any{&k, &t}, func() error {
		keys = append(keys, k)
		owners[k] = t
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("units of %s: %w", unit.QualifiedName(), err)
	}
	return keys, owners, nil
}

// retarget moves a paused side db on to just before transaction xid: the new target in its
// postgresql.auto.conf (ALTER SYSTEM works on a standby), a restart (replay resumes from its
// last restartpoint), and a wait until it has paused there.
func (e *Env) retarget(ctx context.Context, side *stack.Postgres, xid uint32) error {
	conn, err := pgx.Connect(ctx, side.DSN())
	if err != nil {
		return fmt.Errorf("connect to side db: %w", err)
	}
	// One target at a time: the time target the side db started with goes (ALTER SYSTEM cannot
	// run in a transaction block: one statement each).
	for _, q := range []string{"ALTER SYSTEM RESET recovery_target_time", fmt.Sprintf("ALTER SYSTEM SET recovery_target_xid = '%d'", xid)} {
		if _, err = conn.Exec(ctx, q); err != nil {
			break
		}
	}
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("set recovery_target_xid: %w", err)
	}
	if err := e.Stack.Restart(ctx, side.Service()); err != nil {
		return err
	}
	return e.waitPaused(ctx, side)
}
