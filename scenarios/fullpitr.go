package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// fullPITR restores the whole live database to just before T0 from the latest base backup and
// the WAL archive. Everyone is rolled back: bystanders lose what they wrote after T0. That
// collateral is the price the selective tenant-restore avoids.
type fullPITR struct{}

func (fullPITR) Name() string { return "full-pitr" }

func (fullPITR) Run(ctx context.Context, env *Env) error {
	s := env.Stack
	target := env.T0
	// The backup is chosen and verified while the blast radius is assessed: both only read,
	// and the db is stopped once both are done. Unlike tenant-restore, full-pitr restores
	// even when nobody was hit: it is asked for the whole database at T0.
	assessed := make(chan error, 1)
	go func() { assessed <- env.assess(ctx) }()
	var bk Backup
	err := env.switchWAL(ctx)
	if err == nil {
		bk, err = env.chooseBackup(ctx, "full-pitr", target)
	}
	if aerr := <-assessed; aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	// A clean shutdown archives the last WAL segment itself (Postgres rotates it at shutdown
	// when archiving is on). Without the WAL switch the runbook models a primary whose
	// unarchived WAL is not available to the restore: it is killed, not stopped.
	stop, stopName := s.Stop, "stop db"
	if env.Params.NoWALSwitch {
		stop, stopName = s.Kill, "kill db (its unarchived WAL is lost)"
	}
	if err := env.Step(ctx, stopName, func(ctx context.Context) error {
		return stop(ctx, stack.DB)
	}); err != nil {
		return err
	}
	restore, script := "replace data directory with "+bk.Name, restoreDataDirScript(bk.Dir, target, env.Params.parallelism())
	if s.BackupTool() == stack.PgBackRest {
		opts := restoreOptions(bk, target, env.Params.parallelism(), true)
		restore, script = "pgbackrest restore "+strings.Join(opts, " "), pgBackRestRestoreScript(s, opts)
	}
	run := func(ctx context.Context) error { return env.dataDirJob(ctx, "restore "+bk.Name, script) }
	if s.BackupTool() == stack.PgBackRest {
		// A repository that is unreachable for a while (storage, a mount) is waited for and the
		// restore run again; --delta keeps what the failed attempt already restored.
		fromRepo := retry{attempts: 3, retryable: func(error) bool { return true }, ready: env.repoBack, what: "the pgBackRest repository was back"}
		err = env.stepRetry(ctx, restore, fromRepo, run)
	} else {
		err = env.Step(ctx, restore, run)
	}
	if err != nil {
		return err
	}
	replay := retry{attempts: 3, retryable: serverExited, ready: env.restartIfExited(stack.DB), what: "the db was started again"}
	err = env.stepRetry(ctx, "start db and replay WAL to T0", replay, func(ctx context.Context) error {
		return env.startAndWaitPromoted(ctx)
	})
	if errors.Is(err, ErrTargetNotReached) {
		// The server stopped during recovery: the archive ended before the target. Recover
		// what the archive holds and say so; writes after its end are lost (RPO > 0).
		env.findingf("full-pitr: %v; recovered to the end of the WAL archive instead", ErrTargetNotReached)
		if err := env.Step(ctx, "drop recovery target", func(ctx context.Context) error {
			return env.dataDirJob(ctx, "drop recovery target", dropTargetScript())
		}); err != nil {
			return err
		}
		err = env.stepRetry(ctx, "start db and replay WAL to the archive's end", replay, func(ctx context.Context) error {
			return env.startAndWaitPromoted(ctx)
		})
		if err == nil {
			env.reportReached(ctx, "full-pitr", s.DSN(), bk)
		}
	}
	if err != nil {
		return err
	}
	if err := env.Step(ctx, "clear recovery settings", func(ctx context.Context) error {
		return clearRecoverySettings(ctx, s.DSN())
	}); err != nil {
		return err
	}
	if s.AppURL() != "" {
		if err := env.Step(ctx, "wait for app healthy", func(ctx context.Context) error {
			return waitHealthy(ctx, s.AppHealthURL(), s.AppHealthy, env.Params.timeout())
		}); err != nil {
			return err
		}
	}
	if err := env.checkManifest(ctx); err != nil {
		return err
	}
	env.restored(env.Blast.Tenants, time.Now())
	return nil
}

// dataDirJob runs script as postgres in a one-shot container of the db image on the stack's
// data and backup volumes (and with pgBackRest its repository and configuration), while the
// db is stopped.
func (e *Env) dataDirJob(ctx context.Context, name, script string) error {
	s := e.Stack
	vols := map[string]string{s.Volume("pgdata"): DataDir, s.Volume("backups"): BackupRoot}
	if s.BackupTool() == stack.PgBackRest {
		vols[s.Volume("repo")] = stack.RepoDir
		script = s.PgBackRestConfScript() + script
	}
	return e.dbJob(ctx, name, script, vols)
}

// dbJob runs script with sh as postgres in a one-shot container of the db image, off every
// network, with the volumes mounted; a non-zero exit is an error quoting the output's tail.
func (e *Env) dbJob(ctx context.Context, name, script string, volumes map[string]string) error {
	pool, err := newPool()
	if err != nil {
		return err
	}
	j := job{Name: name, Image: e.Params.dbImage(), Cmd: []string{"sh", "-c", script}, Network: "none",
		Labels: e.Stack.Labels(), Volumes: volumes}
	res, err := j.run(ctx, pool)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s: exit %d: %s", name, res.ExitCode, tail(res.Log, 10))
	}
	return nil
}

// startAndWaitPromoted starts the stopped db and waits until it has replayed the WAL and left
// recovery (see waitPromoted for the errors).
func (e *Env) startAndWaitPromoted(ctx context.Context) error {
	s := e.Stack
	// Start's own readiness check may give up before a long recovery ends, or fail because the
	// server exited; waitPromoted tells the two apart.
	if err := s.Start(ctx, stack.DB); err != nil && ctx.Err() != nil {
		return err
	}
	if err := e.hook(ctx, Point{Hook: HookReplay, Service: stack.DB, DSN: s.DSN()}); err != nil {
		return err
	}
	return e.waitPromoted(ctx, stack.DB, s.DSN())
}

// waitHealthy waits until url answers the healthy status.
func waitHealthy(ctx context.Context, url string, healthy func(int) bool, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return poll(ctx, timeout, 100*time.Millisecond, url, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, fmt.Errorf("%w: %v", errGiveUp, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if !healthy(resp.StatusCode) {
			return false, fmt.Errorf("%s: %s, not the healthy answer", url, resp.Status)
		}
		return true, nil
	})
}

// switchWAL is the optional step that pushes the live primary's current WAL into the archive.
func (e *Env) switchWAL(ctx context.Context) error {
	if e.Params.NoWALSwitch {
		return nil
	}
	return e.Step(ctx, "switch WAL and wait for archive", func(ctx context.Context) error {
		seg, err := switchWAL(ctx, e.Stack.DSN(), e.Params.timeout())
		if err == nil {
			e.walEnd = seg
			e.progressf("WAL archived up to %s", seg)
		}
		return err
	})
}
