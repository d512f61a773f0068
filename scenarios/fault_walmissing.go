package scenarios

import (
	"context"
	"fmt"
	"path"

	"github.com/drdrill/drdrill/stack"
)

// walSegmentMissing deletes from the archive the first WAL segment after the chosen base
// backup ended (or Segment, when a test names the one holding a known write): recovery
// cannot pass it, so it stops before T0 and what was committed after the gap is lost. There
// is no older path around a gap after the newest backup. With pgBackRest the segment goes from
// the repository's archive (SEGMENT-SHA1 under archive/STANZA/…), where archive-get looks.
type walSegmentMissing struct {
	Segment string
}

func (walSegmentMissing) Name() string { return "wal-segment-missing" }

func (walSegmentMissing) Description() string {
	return "deletes from the WAL archive (or the pgBackRest repository's) the first segment after the chosen base backup, before recovery replays it"
}

func (w walSegmentMissing) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	if at.Hook != HookBackupChosen {
		return false, nil
	}
	_, stop, err := backupSegments(ctx, env.Stack, at.Backup)
	if err != nil {
		return true, err
	}
	segs, err := archivedSegments(ctx, env.Stack)
	if err != nil {
		return true, err
	}
	victim := nextSegment(stop)
	if w.Segment != "" {
		victim = w.Segment
	}
	later := 0
	found := false
	for _, s := range segs {
		switch {
		case s == victim:
			found = true
		case s > victim && s[:8] == victim[:8]:
			later++
		}
	}
	if !found {
		env.findingf("fault wal-segment-missing: segment %s, after base backup %s, is not archived: nothing deleted", victim, at.Backup.Name)
		return true, nil
	}
	rm, where := []string{"rm", "-f", path.Join(ArchiveDir, victim)}, "the archive"
	if env.Stack.BackupTool() == stack.PgBackRest {
		rm = []string{"sh", "-c", "rm -f " + repoArchive(env.Stack) + "/*/" + victim[:16] + "/" + victim + "-*"}
		where = "the pgBackRest repository's archive"
	}
	code, out, err := env.Stack.Exec(ctx, stack.DB, rm)
	if err != nil || code != 0 {
		return true, fmt.Errorf("delete %s from %s (exit %d): %v %s", victim, where, code, err, out)
	}
	env.findingf("fault wal-segment-missing: deleted WAL segment %s from %s at %s (base backup %s ended in %s; %d archived segments after it)",
		victim, where, env.sinceT0(), at.Backup.Name, stop, later)
	return true, nil
}
