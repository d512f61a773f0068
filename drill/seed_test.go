package drill

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/stack"
)

// logLines passes each line a drill logs to a function, as it is logged.
type logLines func(line string)

func (f logLines) Write(p []byte) (int, error) {
	f(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestSeedHoldsTheArchive: a WAL segment completed while the drill seeds is dropped, not
// archived (no restore replays WAL from before the first base backup), and one completed
// after the seeding is archived — after a seeding that failed too (cancelled at its first
// progress line): the archive is let go either way. The segment is completed from the
// seeding's last progress line, logged before Seed lets the archive go; the stack's tests
// check the hold itself.
func TestSeedHoldsTheArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("real containers: not in -short mode")
	}
	for _, c := range []struct {
		name string
		fail bool
	}{{"seeding done", false}, {"seeding cancelled", true}} {
		t.Run(c.name, func(t *testing.T) { testSeedHold(t, c.fail) })
	}
}

func testSeedHold(t *testing.T, fail bool) {
	ctx := t.Context()
	seedCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		d         *Drill
		mu        sync.Mutex
		during    string
		cancelled bool
		errs      []error
	)
	// switchSegment writes a row and completes the WAL segment it is in; it returns its name.
	switchSegment := func() (string, error) {
		var seg string
		if _, err := d.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS drdrill_hold_probe (v text); INSERT INTO drdrill_hold_probe VALUES ('x')"); err != nil {
			return "", err
		}
		err := d.pool.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&seg)
		return seg, err
	}
	d = New(Config{Scenario: "seeding holds the archive", Tenants: 20, Log: logLines(func(line string) {
		t.Log(line)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case fail && !cancelled && strings.HasPrefix(line, "seeding: "):
			cancel()
			cancelled = true
		case !fail && during == "" && strings.HasPrefix(line, "seeding: done"):
			seg, err := switchSegment()
			during = seg
			if err != nil {
				errs = append(errs, err)
			}
		}
	})})
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
		if n := leftovers(t, d.cfg.RunID); n > 0 {
			t.Errorf("%d resources labelled drdrill.run=%s remain after Close", n, d.cfg.RunID)
		}
	})
	if err := d.StartStack(ctx); err != nil {
		t.Fatal(err)
	}
	err := d.Seed(seedCtx)
	mu.Lock()
	defer mu.Unlock()
	switch {
	case fail && (!cancelled || err == nil):
		t.Fatalf("the seeding was cancelled (%v), yet Seed returned %v", cancelled, err)
	case fail && d.st.ArchiveHeld():
		t.Error("the archive is still held after the seeding failed")
	case !fail && err != nil:
		t.Fatal(err)
	case !fail && (len(errs) > 0 || during == ""):
		t.Fatalf("no segment completed during the seeding (%q): %v", during, errs)
	}
	after, err := switchSegment()
	if err != nil {
		t.Fatal(err)
	}
	archived := func(seg string) bool {
		code, _, err := d.st.Exec(ctx, stack.DB, []string{"test", "-f", stack.ArchiveDir + "/" + seg})
		if err != nil {
			t.Fatal(err)
		}
		return code == 0
	}
	// The archiver takes segments in order: once after is in, during was handled.
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) { return archived(after), nil }); err != nil {
		t.Fatalf("segment %s, completed after the seeding, not archived: %v", after, err)
	}
	if during != "" && archived(during) {
		t.Errorf("segment %s, completed during the seeding, reached the archive", during)
	}
}
