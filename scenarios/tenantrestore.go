package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/tenancy"
)

// tenantRestore restores base backup + WAL to just before T0 into a side Postgres, then copies
// the affected tenants' rows back into the live database, batch by batch, while the live stack
// keeps serving everyone else: what Atlassian did by hand in 2022, automated.
type tenantRestore struct{}

func (tenantRestore) Name() string { return "tenant-restore" }

// SideAlias is the network alias of tenant-restore's side database.
const SideAlias = "restore"

// CopyStats counts what tenant-restore moved.
type CopyStats struct {
	Batches     int
	RowsRead    int64         // rows copied out of the side database
	RowsWritten int64         // rows inserted or un-marked in the live database
	Duration    time.Duration // first batch start to last batch end
}

// RowsPerSecond is the copy throughput over the whole copy phase.
func (c CopyStats) RowsPerSecond() float64 {
	if c.Duration <= 0 {
		return 0
	}
	return float64(c.RowsRead) / c.Duration.Seconds()
}

func (tenantRestore) Run(ctx context.Context, env *Env) (err error) {
	var side *stack.Postgres
	defer dropSide(ctx, &side, &err)
	hit, err := env.assessWhile(ctx, func(ctx context.Context) error {
		var err error
		side, err = prepareSide(ctx, env)
		return err
	})
	if !hit || err != nil {
		return err
	}

	if err := env.copyBack(ctx, side.DSN()); err != nil {
		return err
	}

	if err := env.stopSide(ctx, &side); err != nil {
		return err
	}
	return env.checkManifest(ctx)
}

// dropSide terminates the side db *side unless it is nil. Deferred by a runbook, it makes the
// side db go even when the runbook fails or is cancelled; its error becomes the runbook's if
// that had none.
func dropSide(ctx context.Context, side **stack.Postgres, err *error) {
	if *side == nil {
		return
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if terr := (*side).Terminate(tctx); terr != nil && *err == nil {
		*err = fmt.Errorf("terminate side db: %w", terr)
	}
}

// stopSide terminates the side db as a runbook step, once its work is done.
func (e *Env) stopSide(ctx context.Context, side **stack.Postgres) error {
	return e.Step(ctx, "stop side db", func(ctx context.Context) error {
		p := *side
		*side = nil
		return p.Terminate(ctx)
	})
}

// prepareSide starts the side db from the latest good base backup before T0 and replays WAL
// to T0, or to the archive's end when it ends sooner (and says so). It returns the side db
// even with an error, for the caller to terminate.
func prepareSide(ctx context.Context, env *Env) (side *stack.Postgres, err error) {
	s := env.Stack
	target := env.T0
	if err := env.switchWAL(ctx); err != nil {
		return nil, err
	}
	var vol string
	// startFresh starts the side db on a fresh volume: Docker hands back an existing volume
	// of the same name, and the init script keeps a data directory it finds.
	startFresh := func(ctx context.Context, init string) error {
		var err error
		name := fmt.Sprintf("%s-pgdata-%d", SideAlias, time.Now().UnixMilli())
		if vol, err = s.NewVolume(ctx, name); err != nil {
			return err
		}
		side, err = startSide(ctx, s, SideAlias, vol, init)
		return err
	}
	// The side db starts from each candidate while it is verified (pg_verifybackup): a side db
	// is disposable, unlike full-pitr's live one.
	from := &startFrom{
		start: func(ctx context.Context, bk Backup) error {
			return env.Step(ctx, "start side db from "+bk.Name, func(ctx context.Context) error {
				return startFresh(ctx, sideInitScript(bk.Dir, recoverySettings(target), env.Params.parallelism()))
			})
		},
		undo: func(ctx context.Context) error {
			old := side
			side = nil
			return old.Terminate(ctx) // nil-safe: a cancelled start left no container
		},
	}
	if s.BackupTool() == stack.PgBackRest {
		// The restore runs in the side container's init, into its fresh volume: the step
		// times restore and start together. It is the verification too: pgbackrest restore
		// checks each file it writes against the repository manifest's checksum, so
		// pgbackrest verify, which reads every backup and WAL segment of the repository, does
		// not read it again beside it; a file that does not match fails the backup
		// (ErrBackupInvalid) and the next older one is restored. An unreachable repository is
		// waited for and the restore run again into a fresh volume; an archive that ends
		// before T0 is handled below, not retried.
		from.checks = true
		from.start = func(ctx context.Context, bk Backup) error {
			opts := restoreOptions(bk, target, env.Params.parallelism(), false)
			name, init := "pgbackrest restore "+strings.Join(opts, " ")+" into side db and start it", sidePgBackRestInitScript(s, opts)
			fromRepo := retry{attempts: 3, retryable: func(err error) bool {
				return !errors.Is(err, ErrTargetNotReached) && !errors.Is(err, ErrBackupInvalid)
			}, ready: env.repoBack, what: "the pgBackRest repository was back"}
			return env.stepRetry(ctx, name, fromRepo, func(ctx context.Context) error {
				return restoreChecked(startFresh(ctx, init))
			})
		}
	}
	bk, err := env.chooseBackupStarting(ctx, "tenant-restore", target, from)
	if err != nil && bk.Name == "" {
		return side, err
	}
	if err == nil {
		err = env.replayOnSide(ctx, "replay WAL on side db to T0", side)
	}
	if !errors.Is(err, ErrTargetNotReached) {
		return side, err
	}
	// The archive ended before T0: restore what it holds, on the same volume, and say so.
	env.findingf("tenant-restore: %v; restored tenants as of the end of the WAL archive instead", ErrTargetNotReached)
	old := side
	side = nil
	if err := old.Terminate(ctx); err != nil { // nil-safe: a failed start left no container
		return nil, err
	}
	err = env.Step(ctx, "restart side db without recovery target", func(ctx context.Context) error {
		var err error
		side, err = startSide(ctx, s, SideAlias+"-end", vol, dropTargetScript())
		return err
	})
	if err == nil {
		err = env.replayOnSide(ctx, "replay WAL on side db to the archive's end", side)
	}
	if err == nil {
		env.reportReached(ctx, "tenant-restore", side.DSN(), bk)
	}
	return side, err
}

// startSide starts a side Postgres on the data volume vol with the backup and archive volumes
// mounted; it returns once the server answers, typically still replaying WAL. StartPostgres
// gives it the primary's settings (recovery refuses lower limits than the WAL's writer had)
// with archiving off: the side db's promotion opens a new timeline that must never reach the
// live archive. It is scratch (stack.ScratchSettings): read from, then dropped.
func startSide(ctx context.Context, s *stack.Stack, alias, vol, init string) (*stack.Postgres, error) {
	vols := map[string]string{
		vol:       DataDir,
		"backups": BackupRoot,
		"archive": ArchiveDir,
	}
	if s.BackupTool() == stack.PgBackRest {
		vols["repo"] = stack.RepoDir // restore and archive-get read it
	}
	p, err := s.StartPostgres(ctx, stack.PostgresSpec{
		Alias:    alias,
		Volumes:  vols,
		Init:     init,
		Settings: stack.ScratchSettings,
		Standby:  true,
	})
	if err != nil && strings.Contains(err.Error(), notReachedLog) {
		// The server exited before it even answered: the archive ended before the target.
		return nil, fmt.Errorf("%w: %w", ErrTargetNotReached, err)
	}
	return p, err
}

// sideInitScript fills the side db's empty data volume from the base backup and sets it to
// recover with settings (FillDataDirScript), archiving off. It is idempotent: a restarted side
// container keeps its recovered data, unless it was killed before the copy finished.
func sideInitScript(backupDir, settings string, par int) string {
	// A restart must not trust a data directory that was killed part-way: while copying (no
	// marker yet: the marker is written last) or during recovery or promotion (pg_control not
	// "in production"). A kill during promotion is the dangerous one: recovery.signal is gone
	// but the end-of-recovery checkpoint is not written, so a plain restart replays every WAL
	// segment in pg_wal, the incident's included. Such a directory is restored from scratch.
	return sideInit(FillDataDirScript(backupDir, settings+"archive_mode = off\n", par))
}

// sideInit is the idempotent frame of a side db's init script: fill (shell lines) fills the
// emptied data directory from a backup and sets its recovery; the marker written after it
// tells a restarted container the directory is complete.
func sideInit(fill string) string {
	return fmt.Sprintf(`set -eu
D=%[1]s
state=$(pg_controldata "$D" 2>/dev/null | sed -n 's/^Database cluster state: *//p' || true)
if [ ! -f "$D/.drdrill-restore-ready" ] || { [ "$state" != "in production" ] && [ ! -f "$D/recovery.signal" ]; }; then
  find "$D" -mindepth 1 -delete
%[2]s  touch "$D/.drdrill-restore-ready"
fi
`, DataDir, fill)
}

// copyBack copies the affected tenants from the side db into the live db, in batches of
// BatchSize tenants, Parallelism batches at a time, one step per batch.
func (e *Env) copyBack(ctx context.Context, sideDSN string) error {
	tenants := e.Blast.Tenants
	par := e.Params.parallelism()
	side, live, err := e.copyPools(ctx, sideDSN, par)
	if err != nil {
		return err
	}
	defer side.Close()
	defer live.Close()
	copyBatch := func(ctx context.Context, b []int64) (copyResult, error) { return copyTenants(ctx, side, live, b, e.T0) }
	if e.Params.Tenancy != nil {
		m, err := e.discoverOnSide(ctx, side)
		if err != nil {
			return err
		}
		copyBatch = func(ctx context.Context, b []int64) (copyResult, error) {
			return copyOwned(ctx, side, live, m, b, e.T0)
		}
	}
	if err := e.copyBatches(ctx, "copy tenants", tenants, copyBatch, e.restored); err != nil {
		return err
	}
	e.progressf("tenant-restore: %d tenants, %d rows read, %d written, %.0f rows/s", len(tenants), e.Copy.RowsRead, e.Copy.RowsWritten, e.Copy.RowsPerSecond())
	return nil
}

// copyPools connects to the side and the live db, each pool bounded to the copy's parallelism.
func (e *Env) copyPools(ctx context.Context, sideDSN string, par int) (side, live *pgxpool.Pool, err error) {
	side, err = pgxpool.New(ctx, poolDSN(sideDSN, par))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to side db: %w", err)
	}
	live, err = pgxpool.New(ctx, poolDSN(e.Stack.DSN(), par))
	if err != nil {
		side.Close()
		return nil, nil, fmt.Errorf("connect to live db: %w", err)
	}
	return side, live, nil
}

// discoverOnSide finds the tenancy model (Params.Tenancy) on the side db, as a step.
func (e *Env) discoverOnSide(ctx context.Context, side *pgxpool.Pool) (*tenancy.Model, error) {
	var m *tenancy.Model
	err := e.Step(ctx, "discover the tenancy model on the side db", func(ctx context.Context) error {
		var err error
		m, err = tenancy.Discover(ctx, side, *e.Params.Tenancy)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tenancy of the side db: %w", err)
	}
	return m, nil
}

// copyBatches copies tenants with copyBatch in batches of BatchSize tenants, Parallelism
// batches at a time, one step per batch named "<what> batch i/n (k tenants)"; done is told of
// each batch committed. It adds to e.Copy.
func (e *Env) copyBatches(ctx context.Context, what string, tenants []int64, copyBatch func(context.Context, []int64) (copyResult, error), done func([]int64, time.Time)) error {
	n := e.Params.batchSize(len(tenants))
	var batches [][]int64
	for i := 0; i < len(tenants); i += n {
		batches = append(batches, tenants[i:min(i+n, len(tenants))])
	}
	par := min(e.Params.parallelism(), len(batches))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				b := batches[i]
				name := fmt.Sprintf("%s batch %d/%d (%d tenants)", what, i+1, len(batches), len(b))
				var st copyResult
				err := e.stepRetry(ctx, name, e.copyRetry(), func(ctx context.Context) error {
					if err := e.hook(ctx, Point{Hook: HookCopy, Service: stack.DB, Batch: i + 1, Batches: len(batches)}); err != nil {
						return err
					}
					var err error
					st, err = copyBatch(ctx, b)
					return err
				})
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("tenants %v: %w", b, err)
					cancel()
				}
				if err == nil {
					e.Copy.Batches++
					e.Copy.RowsRead += st.read
					e.Copy.RowsWritten += st.written
					// Under the lock: the callback is never called concurrently.
					done(b, st.committed)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range batches {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	e.Copy.Duration += time.Since(start)
	if first != nil {
		return first
	}
	return ctx.Err()
}

// poolDSN bounds a pool to the copy's parallelism.
func poolDSN(dsn string, conns int) string {
	sep := "?"
	for _, c := range dsn {
		if c == '?' {
			sep = "&"
		}
	}
	return fmt.Sprintf("%s%spool_max_conns=%d", dsn, sep, max(conns, 1))
}
