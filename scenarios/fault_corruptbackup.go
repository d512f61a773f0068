package scenarios

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/drdrill/drdrill/stack"
)

// corruptBaseBackup truncates the largest relation file of the newest base backup before T0,
// as the runbook starts: a backup that looks complete and restores to a database with pages
// missing, unless the runbook verifies it (pg_verifybackup, pgbackrest verify against the
// repository's checksums, or pgbackrest restore's own check of each file) and falls back to an
// older one. With pgBackRest the file is one the
// backup set itself stored (a differential holds only what changed since its full).
type corruptBaseBackup struct{}

func (corruptBaseBackup) Name() string { return "corrupt-base-backup" }

func (corruptBaseBackup) Description() string {
	return "truncates the largest relation file of the newest base backup before T0, as the runbook starts"
}

func (corruptBaseBackup) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	if at.Hook != HookStart {
		return false, nil
	}
	bk, err := env.Backups.LatestBefore(env.T0)
	if err != nil {
		env.findingf("fault corrupt-base-backup: no base backup to corrupt: %v", err)
		return true, nil
	}
	dataDir := "base"
	if env.Stack.BackupTool() == stack.PgBackRest {
		dataDir = "pg_data/base"
	}
	script := fmt.Sprintf(`set -eu
f=$(find %s/%s -type f -printf '%%s %%p\n' | sort -n | tail -1)
size=${f%%%% *}; file=${f#* }
truncate -s $((size / 2)) "$file"
echo "$size $file"`, bk.Dir, dataDir)
	code, out, err := env.Stack.Exec(ctx, stack.DB, []string{"sh", "-c", script})
	if err != nil || code != 0 {
		return true, fmt.Errorf("truncate a file of %s (exit %d): %v %s", bk.Name, code, err, out)
	}
	sizeS, file, _ := strings.Cut(tail(strings.TrimSpace(out), 1), " ")
	size, _ := strconv.ParseInt(sizeS, 10, 64)
	env.findingf("fault corrupt-base-backup: truncated %s of base backup %s from %d to %d bytes at %s", file, bk.Name, size, size/2, env.sinceT0())
	return true, nil
}
