package scenarios

import (
	"context"
	"fmt"

	"github.com/drdrill/drdrill/stack"
)

// dbKilled kills the live database (SIGKILL) in the middle of a restore: full-pitr's db while
// it replays WAL, tenant-restore's live db as the middle batch of tenants is copied into it.
// The runbook starts it again and retries the step once it answers.
type dbKilled struct{}

func (dbKilled) Name() string { return "db-killed" }

func (dbKilled) Description() string {
	return "kills the live database during the restore: during WAL replay (full-pitr) or as the middle tenant batch is copied (tenant-restore)"
}

func (dbKilled) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	var state, where string
	switch {
	case at.Hook == HookReplay && at.Service == stack.DB:
		state, where = inRecovery(ctx, at.DSN), "during WAL replay"
	case at.Hook == HookCopy && at.Batch == (at.Batches+1)/2:
		state, where = "serving", fmt.Sprintf("as tenant batch %d of %d was copied", at.Batch, at.Batches)
	default:
		return false, nil
	}
	if err := env.Stack.Kill(ctx, stack.DB); err != nil {
		return true, err
	}
	env.findingf("fault db-killed: the live database was killed (SIGKILL) %s at %s (it was %s)", where, env.sinceT0(), state)
	return true, nil
}
