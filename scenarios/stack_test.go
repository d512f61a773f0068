package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// startStack starts a stack for one test and removes it when the test ends.
func startStack(t *testing.T, cfg stack.Config) *stack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Docker")
	}
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 26 {
		name = name[len(name)-26:]
	}
	cfg.RunID = fmt.Sprintf("scen-%s-%06d", strings.Trim(name, "-."), time.Now().UnixNano()%1e6)
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, cfg)
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	return s
}

func connect(t *testing.T, ctx context.Context, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestFullPITRToAKnownInstant is the ground truth of point-in-time recovery: row A committed
// before the noted instant, row B after it; a restore to that instant has A and not B.
func TestFullPITRToAKnownInstant(t *testing.T) {
	s := startStack(t, stack.Config{WithoutApp: true, ArchiveTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn := connect(t, ctx, s.DSN())
	if err := saas.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, conn, `CREATE TABLE truth (name text, at timestamptz DEFAULT clock_timestamp())`)

	backups := NewBackups(s, os.Stderr)
	// While the archive is held, no base backup: nothing after it could roll it forward.
	release, err := s.HoldArchive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backups.Take(ctx); !errors.Is(err, ErrArchiveHeld) {
		t.Fatalf("Take while the archive is held: %v, want ErrArchiveHeld", err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	early := time.Now()
	if _, err := backups.LatestBefore(early); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("LatestBefore with no backup: %v, want ErrNoBackup", err)
	}
	bk, err := backups.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bk.StartLSN == "" || bk.StartTime.IsZero() || !bk.Finished.After(bk.Started) {
		t.Fatalf("backup record incomplete: %+v", bk)
	}
	// A target before the only backup finished cannot be restored to.
	if _, err := backups.LatestBefore(bk.Started); !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), "base-1") {
		t.Fatalf("LatestBefore(before base-1) = %v, want ErrNoBackup naming base-1", err)
	}

	// A schedule adds backups; the restore must start from the latest one before the target.
	stop := backups.Schedule(ctx, 200*time.Millisecond)
	err = poll(ctx, time.Minute, 50*time.Millisecond, "3 backups", func(context.Context) (bool, error) {
		return len(backups.List()) >= 3, nil
	})
	if serr := stop(); serr != nil || err != nil {
		t.Fatalf("schedule: %v, %v", serr, err)
	}
	list := backups.List()
	latest := list[len(list)-1].Name

	mustExec(t, ctx, conn, `INSERT INTO truth (name) VALUES ('A')`)
	noted := time.Now()
	mustExec(t, ctx, conn, `INSERT INTO truth (name) VALUES ('B')`)
	conn.Close(ctx)

	env := &Env{Stack: s, Backups: backups, T0: noted, Before: fixtures.Manifest{Scope: []int64{}}, Progress: os.Stderr}
	rb, err := RunRunbook(ctx, "full-pitr", env)
	if err != nil {
		t.Fatalf("full-pitr: %v", err)
	}
	t.Logf("full-pitr of a tiny db: %.0f ms; steps %+v", rb.DurationMS, rb.Steps)

	conn = connect(t, ctx, s.DSN())
	var names []string
	rows, _ := conn.Query(ctx, `SELECT name FROM truth ORDER BY name`)
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "A" {
		t.Fatalf("after PITR to the instant between A and B: rows %v, want [A]", names)
	}
	// The restored db is a writable primary again, and its configuration has no recovery
	// target left for the next base backup to carry.
	mustExec(t, ctx, conn, `INSERT INTO truth (name) VALUES ('C')`)
	if _, conf, err := s.Exec(ctx, stack.DB, []string{"cat", DataDir + "/postgresql.auto.conf"}); err != nil || strings.Contains(conf, "recovery_target") {
		t.Errorf("postgresql.auto.conf after the restore (%v):\n%s", err, conf)
	}
	// The assessment runs beside the WAL switch and the backup's choice: the steps are
	// recorded as they end, so it may come anywhere before "stop db".
	wantSteps := []string{"switch WAL and wait for archive", "choose base backup", "verify base backup " + latest, "stop db", "replace data directory with " + latest, "start db and replay WAL to T0", "clear recovery settings"}
	var order []string
	assessed := false
	for _, st := range rb.Steps {
		if st.Name == "assess blast radius" {
			assessed = !slices.Contains(order, "stop db")
			continue
		}
		order = append(order, st.Name)
	}
	if !assessed {
		t.Errorf("steps %q: no blast-radius assessment before the db is stopped", stepNames(rb))
	}
	for i, name := range order {
		if i < len(wantSteps) && name != wantSteps[i] {
			t.Errorf("step %d = %q, want %q", i, name, wantSteps[i])
		}
	}
}

// TestFullPITRWithoutWALSwitchLosesUnarchivedWAL is the ground truth of RPO > 0: with a long
// archive_timeout and no forced switch, the commit of A (before T0) sits in WAL that never
// reached the archive. The restore cannot reach T0, says so, recovers to the archive's end,
// and A is lost.
func TestFullPITRWithoutWALSwitchLosesUnarchivedWAL(t *testing.T) {
	s := startStack(t, stack.Config{WithoutApp: true, ArchiveTimeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn := connect(t, ctx, s.DSN())
	if err := saas.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, conn, `CREATE TABLE truth (name text)`)
	backups := NewBackups(s, os.Stderr)
	if _, err := backups.Take(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, conn, `INSERT INTO truth VALUES ('A')`)
	t0 := time.Now()
	mustExec(t, ctx, conn, `INSERT INTO truth VALUES ('B')`)
	conn.Close(ctx)

	env := &Env{Stack: s, Backups: backups, T0: t0, Before: fixtures.Manifest{Scope: []int64{}},
		Params: Params{NoWALSwitch: true}, Progress: os.Stderr}
	rb, err := RunRunbook(ctx, "full-pitr", env)
	if err != nil {
		t.Fatalf("full-pitr: %v", err)
	}
	// The first finding says the target was not reached; the next what was reached instead.
	if len(env.Findings) < 2 || !strings.Contains(env.Findings[0], ErrTargetNotReached.Error()) || !strings.Contains(env.Findings[1], "before T0") {
		t.Errorf("findings %q, want one saying the target was not reached, then the point reached", env.Findings)
	}
	var names []string
	for _, st := range rb.Steps {
		names = append(names, st.Name)
		if st.Name == "switch WAL and wait for archive" {
			t.Errorf("WAL switched although NoWALSwitch")
		}
	}
	if !slices.Contains(names, "start db and replay WAL to the archive's end") {
		t.Errorf("steps %q lack the fallback recovery", names)
	}
	conn = connect(t, ctx, s.DSN())
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM truth`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		_, ls, _ := s.Exec(ctx, stack.DB, []string{"sh", "-c", "ls -la /archive; cat $PGDATA/postgresql.auto.conf"})
		t.Logf("archive: %s\nlog: %s", ls, env.logTail(ctx, stack.DB))
		t.Fatalf("truth has %d rows after restoring an archive that ends before A; want 0", n)
	}
}
