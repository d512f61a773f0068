package scenarios

import (
	"context"

	"github.com/drdrill/drdrill/stack"
)

// sideDBKilled kills tenant-restore's side database (SIGKILL) while it replays WAL towards T0.
// The runbook starts its container again; Postgres resumes recovery from its last restartpoint.
type sideDBKilled struct{}

func (sideDBKilled) Name() string { return "side-db-killed" }

func (sideDBKilled) Description() string {
	return "kills the restore's side database during its WAL replay (tenant-restore)"
}

func (sideDBKilled) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	if at.Hook != HookReplay || at.Service == stack.DB {
		return false, nil
	}
	state := inRecovery(ctx, at.DSN)
	if err := env.Stack.Kill(ctx, at.Service); err != nil {
		return true, err
	}
	env.findingf("fault side-db-killed: the side database %s was killed (SIGKILL) at %s (it was %s)", at.Service, env.sinceT0(), state)
	return true, nil
}
