package stack

import (
	"context"
	"fmt"
	"strings"
)

// archiveHoldFlag is the file in the db container whose presence makes the primary's
// archive_command drop a completed WAL segment instead of archiving it (HoldArchive). It is on
// the container's own filesystem: no backup, restore or other container sees it.
const archiveHoldFlag = "/tmp/drdrill-archive-held"

// unlessHeld wraps an archive command (the plain route's cp, pgBackRest's archive-push): while
// archiveHoldFlag exists the segment is reported archived without being copied, and Postgres
// recycles it.
func unlessHeld(cmd string) string {
	return "test -f " + archiveHoldFlag + " || { " + cmd + "; }"
}

// HoldArchive makes the primary drop the WAL segments it completes from now on instead of
// archiving them, until release is called: for WAL that no restore can use, a bulk load before
// the run's first base backup. Every restore starts from a base backup and replays only WAL
// written after that backup began, so the seed's WAL (1.8 GB for the atlassian profile) was
// copied into the archive only to be written out to disk beside the seeding and the first
// backup: seeding and the first backup took 34.6-40.3 s with the seed's WAL dropped against
// 38.5-45.9 s with it archived (three of each, alternating, on 2 cores), the backup alone
// 6.2-6.7 s against 8.0-9.1 s.
//
// A segment completed while held but archived after release is archived as usual, and one
// completed after release always is: the segment a later base backup starts in was still being
// written at release, so it is never dropped. Base backups are refused while the archive is
// held (ArchiveHeld). In a pgBackRest repository the archive then begins with the segment the
// stanza's check pushed at start, and goes on from the release: pgbackrest verify reports two
// WAL ranges, and no backup needs WAL from between them.
func (s *Stack) HoldArchive(ctx context.Context) (release func(context.Context) error, err error) {
	if err := s.execOK(ctx, "hold the WAL archive", "touch", archiveHoldFlag); err != nil {
		return nil, err
	}
	s.setHeld(true)
	return func(ctx context.Context) error {
		if err := s.execOK(ctx, "release the WAL archive", "rm", "-f", archiveHoldFlag); err != nil {
			return err
		}
		s.setHeld(false)
		s.logf("WAL archive released: segments completed from now on are archived")
		return nil
	}, nil
}

// ArchiveHeld says whether the primary is dropping its WAL segments (HoldArchive): a base
// backup taken now could not be rolled forward.
func (s *Stack) ArchiveHeld() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

func (s *Stack) setHeld(held bool) {
	s.mu.Lock()
	s.held = held
	s.mu.Unlock()
}

// execOK runs cmd in the db container and fails unless it exits 0.
func (s *Stack) execOK(ctx context.Context, what string, cmd ...string) error {
	code, out, err := s.Exec(ctx, DB, cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if code != 0 {
		return fmt.Errorf("%s: %s exited %d: %s", what, strings.Join(cmd, " "), code, strings.TrimSpace(out))
	}
	return nil
}
