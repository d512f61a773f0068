package scenarios

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// repoUnavailable makes the pgBackRest repository unavailable once the backup is chosen,
// just before the restore reads it (its backup and archive directories moved away on the
// repository volume, as a storage outage or a lost mount would leave them), and brings it
// back after For, whether or not the runbook has ended by then. The restore (full-pitr's, or
// tenant-restore's into its side database) then fails, waits for the repository and runs
// again; the retried step and what it cost are in the runbook and the findings. On the plain
// route there is no repository: nothing is done, and a finding says so.
type repoUnavailable struct {
	For time.Duration
}

func (repoUnavailable) Name() string { return "repo-unavailable" }

func (r repoUnavailable) Description() string {
	return fmt.Sprintf("makes the pgBackRest repository unavailable for %s as the restore starts (the restore runs again once it is back)", r.For)
}

// repoDirs are the repository's directories the fault moves away and back.
var repoDirs = []string{path.Join(stack.RepoDir, "backup"), path.Join(stack.RepoDir, "archive")}

func (r repoUnavailable) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	if at.Hook != HookBackupChosen {
		return false, nil
	}
	if env.Stack.BackupTool() != stack.PgBackRest {
		env.findingf("fault repo-unavailable: the plain route has no pgBackRest repository: nothing done")
		return true, nil
	}
	away, back := "", ""
	for _, d := range repoDirs {
		away += fmt.Sprintf("mv %s %s.unavailable && ", d, d)
		back += fmt.Sprintf("mv %s.unavailable %s && ", d, d)
	}
	if err := env.repoJob(ctx, "repo-unavailable: move the repository away", away+"true"); err != nil {
		return true, err
	}
	gone := time.Now()
	env.findingf("fault repo-unavailable: the pgBackRest repository was unavailable for %s, from T0%+.1fs to T0%+.1fs",
		r.For, gone.Sub(env.T0).Seconds(), gone.Add(r.For).Sub(env.T0).Seconds())
	// The outage's length is the fault's own parameter, not a wait for something to happen.
	bg := context.WithoutCancel(ctx)
	time.AfterFunc(r.For, func() {
		if err := env.repoJob(bg, "repo-unavailable: bring the repository back", back+"true"); err != nil {
			env.progressf("fault repo-unavailable: bring the repository back: %v", err)
			return
		}
		env.progressf("fault repo-unavailable: the repository is back after %.1fs", time.Since(gone).Seconds())
	})
	return true, nil
}

// repoJob runs script as postgres in a one-shot container of the db image with the pgBackRest
// repository volume mounted where the db has it.
func (e *Env) repoJob(ctx context.Context, name, script string) error {
	return e.dbJob(ctx, name, script, map[string]string{e.Stack.Volume("repo"): stack.RepoDir})
}

// repoBack waits, a check every interval (at least a second), for the repository's directories
// to be there again: what a restore from it needs.
func (e *Env) repoBack(ctx context.Context, interval time.Duration) error {
	check := "test -d " + repoDirs[0] + " && test -d " + repoDirs[1]
	return poll(ctx, 2*time.Minute, max(interval, time.Second), "the pgBackRest repository", func(ctx context.Context) (bool, error) {
		return e.repoJob(ctx, "is the pgBackRest repository there", check) == nil, nil
	})
}
