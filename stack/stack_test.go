package stack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
)

// childEnv makes the test binary a harness that starts a stack and blocks (see TestCleanAfterKill).
const childEnv = "DRDRILL_STACK_TEST_CHILD"

func TestMain(m *testing.M) {
	Configure()
	if id := os.Getenv(childEnv); id != "" {
		os.Exit(child(id))
	}
	os.Exit(m.Run())
}

// child is a harness holding a stack. Mode "block" waits for SIGKILL; mode "signal" closes
// the stack the way cmd/drdrill does: SIGINT or SIGTERM cancels the work's context, and the
// Close deferred next to Start removes the run.
func child(id string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := Start(ctx, Config{RunID: id, WithoutApp: true, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv(childEnv+"_MODE") != "signal" {
		fmt.Println("READY", s.RunID())
		select {} // until SIGKILL
	}
	defer s.Close(context.WithoutCancel(ctx))
	fmt.Println("READY", s.RunID())
	<-ctx.Done() // the drill's work, cut short by the signal
	return 0
}

// docker skips the test when no engine answers or the Postgres image is missing.
func docker(t *testing.T) *dc.Client {
	t.Helper()
	prereq.RealContainers(t)
	c, err := images.Connect(context.Background())
	if err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	if _, err := c.InspectImage(images.Postgres); err != nil {
		prereq.Missing(t, prereq.Docker, "%s missing: run `make images`", images.Postgres)
	}
	return c
}

// appImage returns the app image to test with: $DRDRILL_TEST_APP_IMAGE, or drdrill/saasd:dev
// (re)built from stacks/reference/cmd/saasd.
func appImage(t *testing.T) string {
	t.Helper()
	if img := os.Getenv("DRDRILL_TEST_APP_IMAGE"); img != "" {
		return img
	}
	var log bytes.Buffer
	if err := images.Ensure(context.Background(), images.Options{SourceDir: "..", Only: []string{images.App}, Progress: &log}); err != nil {
		t.Fatalf("build %s: %v\n%s", images.App, err, log.String())
	}
	return images.App
}

func testRunID(t *testing.T) string {
	name := t.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(strings.TrimPrefix(name, "Test"))
	if len(name) > 20 {
		name = name[:20]
	}
	return fmt.Sprintf("test-%s-%06d", name, time.Now().UnixNano()%1e6)
}

// leftovers counts the resources on the engine labelled with run id.
func leftovers(t *testing.T, c *dc.Client, id string) int {
	t.Helper()
	n, err := Remaining(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStack(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	app := appImage(t)
	var log bytes.Buffer
	s, err := Start(ctx, Config{RunID: testRunID(t), AppImage: app, ArchiveTimeout: 5 * time.Second, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	id := s.RunID()
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close(ctx)
		}
	})
	t.Log(strings.TrimSpace(log.String()))

	t.Run("db answers through 127.0.0.1 with the run's password", func(t *testing.T) {
		if !strings.HasPrefix(s.DSN(), "postgres://postgres:"+s.Password()+"@127.0.0.1:") {
			t.Errorf("DSN %q", s.DSN())
		}
		if want := "@db:5432/drdrill"; !strings.Contains(s.InternalDSN(), want) {
			t.Errorf("InternalDSN %q, want %s", s.InternalDSN(), want)
		}
		for setting, want := range map[string]string{"wal_level": "replica", "archive_mode": "on", "archive_timeout": "5s", "server_version_num": "15"} {
			got := query(t, s.DSN(), "SHOW "+setting)
			if !strings.HasPrefix(got, want) {
				t.Errorf("%s = %q, want %q", setting, got, want)
			}
		}
		wrong := strings.Replace(s.DSN(), s.Password(), "wrong", 1)
		if conn, err := pgx.Connect(ctx, wrong); err == nil {
			conn.Close(ctx)
			t.Error("connected with a wrong password")
		}
	})

	t.Run("ports published on 127.0.0.1 only, resources labelled", func(t *testing.T) {
		cid, _ := s.ContainerID(DB)
		info, err := c.InspectContainer(cid)
		if err != nil {
			t.Fatal(err)
		}
		for port, bs := range info.HostConfig.PortBindings {
			for _, b := range bs {
				if b.HostIP != "127.0.0.1" {
					t.Errorf("port %s bound on %q", port, b.HostIP)
				}
			}
		}
		for _, k := range []string{LabelRun, LabelPID, LabelHost, LabelStarted} {
			if info.Config.Labels[k] != s.Labels()[k] || s.Labels()[k] == "" {
				t.Errorf("label %s = %q, want %q", k, info.Config.Labels[k], s.Labels()[k])
			}
		}
		if got := leftovers(t, c, id); got < 5 { // db, network, 3 volumes
			t.Errorf("%d labelled resources, want >= 5", got)
		}
	})

	t.Run("the archive never shows a segment half-copied", func(t *testing.T) {
		// A restore reading the archive while a segment is archived must find all of it or
		// none. The db's own archive_command archives a 64 MB file while a loop watches its
		// name in the archive and writes down every size it sees there.
		cmd := strings.NewReplacer("%p", "/tmp/drdrill-test-seg", "%f", "DRDRILLTESTSEGMENT").Replace(query(t, s.DSN(), "SHOW archive_command"))
		script := `set -eu
head -c 67108864 /dev/zero > /tmp/drdrill-test-seg
( while :; do stat -c %s /archive/DRDRILLTESTSEGMENT 2>/dev/null || true; done ) > /tmp/drdrill-test-sizes &
watcher=$!
sleep 0.2
sh -c ` + ShellQuote([]string{cmd}) + `
sleep 0.2
kill $watcher
sort -u /tmp/drdrill-test-sizes
rm -f /archive/DRDRILLTESTSEGMENT /tmp/drdrill-test-seg /tmp/drdrill-test-sizes`
		code, out, err := s.Exec(ctx, DB, []string{"sh", "-c", script})
		if err != nil || code != 0 {
			t.Fatalf("archive by hand: exit %d %v %s", code, err, out)
		}
		sizes := strings.Fields(out)
		if len(sizes) == 0 || slices.ContainsFunc(sizes, func(v string) bool { return v != "67108864" }) {
			t.Errorf("sizes seen under the segment's name while it was archived: %v, want only 67108864", sizes)
		}
	})

	t.Run("exec in db runs as postgres", func(t *testing.T) {
		code, out, err := s.Exec(ctx, DB, []string{"psql", "-tAc", "select current_user", Database})
		if err != nil || code != 0 || strings.TrimSpace(out) != "postgres" {
			t.Errorf("exec = %d %q %v", code, out, err)
		}
		code, _, err = s.Exec(ctx, DB, []string{"sh", "-c", "exit 3"})
		if err != nil || code != 3 {
			t.Errorf("exit code = %d, %v; want 3", code, err)
		}
	})

	t.Run("WAL reaches the archive volume", func(t *testing.T) {
		exec1(t, s.DSN(), "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')")
		exec1(t, s.DSN(), "SELECT pg_switch_wal()")
		waitFor(t, 30*time.Second, "a WAL segment in /archive", func() bool {
			_, out, _ := s.Exec(ctx, DB, []string{"sh", "-c", "ls /archive | grep -c '^0000'"})
			return strings.TrimSpace(out) != "0" && strings.TrimSpace(out) != ""
		})
	})

	t.Run("a held archive drops the segments completed while held, not those after", func(t *testing.T) {
		checkHold(t, s, func(seg string) bool {
			code, _, err := s.Exec(ctx, DB, []string{"test", "-f", "/archive/" + seg})
			if err != nil {
				t.Fatal(err)
			}
			return code == 0
		})
	})

	t.Run("app healthy, 503 while db stopped, 200 after", func(t *testing.T) {
		waitHealth(t, s.AppURL(), http.StatusOK)
		if err := s.Stop(ctx, DB); err != nil {
			t.Fatal(err)
		}
		waitHealth(t, s.AppURL(), http.StatusServiceUnavailable)
		if err := s.Start(ctx, DB); err != nil {
			t.Fatal(err)
		}
		waitHealth(t, s.AppURL(), http.StatusOK)
		if got := query(t, s.DSN(), "SELECT v FROM t"); got != "before" {
			t.Errorf("after restart t.v = %q, want before", got)
		}
	})
	t.Run("app 503 while db disconnected, 200 after", func(t *testing.T) {
		if err := s.Disconnect(ctx, DB); err != nil {
			t.Fatal(err)
		}
		waitHealth(t, s.AppURL(), http.StatusServiceUnavailable)
		if err := s.Connect(ctx, DB); err != nil {
			t.Fatal(err)
		}
		waitHealth(t, s.AppURL(), http.StatusOK)
	})

	t.Run("pause freezes db, unpause thaws it", func(t *testing.T) {
		if err := s.Pause(ctx, DB); err != nil {
			t.Fatal(err)
		}
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(qctx, s.DSN())
		if err == nil {
			err = conn.Ping(qctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			t.Error("paused db answered")
		}
		if err := s.Unpause(ctx, DB); err != nil {
			t.Fatal(err)
		}
		if got := query(t, s.DSN(), "SELECT 1"); got != "1" {
			t.Errorf("after unpause: %q", got)
		}
	})

	t.Run("kill db, start it, committed data survives crash recovery", func(t *testing.T) {
		exec1(t, s.DSN(), "INSERT INTO t VALUES ('committed before kill')")
		if err := s.Kill(ctx, DB); err != nil {
			t.Fatal(err)
		}
		if _, err := pgx.Connect(ctx, s.DSN()); err == nil {
			t.Error("killed db answered")
		}
		if err := s.Start(ctx, DB); err != nil {
			t.Fatal(err)
		}
		if got := query(t, s.DSN(), "SELECT count(*) FROM t"); got != "2" {
			t.Errorf("rows after kill = %s, want 2", got)
		}
	})

	t.Run("side database restored from a base backup and the archive", func(t *testing.T) {
		code, out, err := s.Exec(ctx, DB, []string{"pg_basebackup", "-D", "/backups/base", "-Fp", "-Xstream", "-c", "fast"})
		if err != nil || code != 0 {
			t.Fatalf("pg_basebackup: %d %v\n%s", code, err, out)
		}
		exec1(t, s.DSN(), "INSERT INTO t VALUES ('after backup')")
		exec1(t, s.DSN(), "SELECT pg_switch_wal()")
		waitFor(t, 30*time.Second, "the last segment archived", func() bool {
			return query(t, s.DSN(), "SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver") == "true"
		})
		p, err := s.StartPostgres(ctx, PostgresSpec{
			Alias:   "restore1",
			Volumes: map[string]string{"backups": "/backups", "archive": "/archive"},
			Init:    `cp -a /backups/base/. "$PGDATA"/ && chmod 700 "$PGDATA" && touch "$PGDATA/recovery.signal"`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, p.DSN(), "SELECT count(*) FROM t"); got != "3" {
			t.Errorf("restored rows = %s, want 3 (two before the backup, one replayed from the archive)", got)
		}
		if !strings.Contains(p.InternalDSN(), "@restore1:5432/") {
			t.Errorf("InternalDSN %q", p.InternalDSN())
		}
		if err := p.Terminate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ContainerID("restore1"); !errors.Is(err, ErrUnknownService) {
			t.Errorf("after Terminate: %v, want ErrUnknownService", err)
		}
	})

	t.Run("fresh side database, extra volume", func(t *testing.T) {
		v, err := s.NewVolume(ctx, "scratch")
		if err != nil || s.Volume("scratch") != v {
			t.Fatalf("NewVolume = %q, %v; Volume = %q", v, err, s.Volume("scratch"))
		}
		p, err := s.StartPostgres(ctx, PostgresSpec{Alias: "side", Volumes: map[string]string{"scratch": "/scratch"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, p.DSN(), "SELECT current_database()"); got != Database {
			t.Errorf("side database = %q", got)
		}
		// Left running on purpose: Close must remove it.
	})

	t.Run("Close removes every labelled resource", func(t *testing.T) {
		start := time.Now()
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		closed = true
		t.Logf("Close took %.1fs", time.Since(start).Seconds())
		if n := leftovers(t, c, id); n != 0 {
			t.Errorf("%d resources labelled %s=%s remain", n, LabelRun, id)
		}
		if err := s.Close(ctx); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestStartErrors(t *testing.T) {
	c := docker(t)
	ctx := context.Background()

	t.Run("missing image", func(t *testing.T) {
		_, err := Start(ctx, Config{RunID: testRunID(t), DBImage: "drdrill/nope:0", WithoutApp: true})
		if !errors.Is(err, ErrImageMissing) || !strings.Contains(err.Error(), "image drdrill/nope:0 not found: run `make images`") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad run id", func(t *testing.T) {
		_, err := Start(ctx, Config{RunID: "has space"})
		if !errors.Is(err, ErrBadConfig) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad app spec", func(t *testing.T) {
		for _, app := range []AppSpec{{Port: 70000}, {Health: "healthz"}} {
			_, err := Start(ctx, Config{RunID: testRunID(t), App: app})
			if !errors.Is(err, ErrBadConfig) {
				t.Errorf("%+v: err = %v", app, err)
			}
		}
	})
	t.Run("port in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		id := testRunID(t)
		_, err = Start(ctx, Config{RunID: id, WithoutApp: true, DBHostPort: port})
		t.Log(err)
		if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
			t.Errorf("err = %v", err)
		}
		if n := leftovers(t, c, id); n != 0 {
			t.Errorf("failed Start left %d resources", n)
		}
	})
	t.Run("docker unreachable", func(t *testing.T) {
		t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
		_, err := Start(ctx, Config{RunID: testRunID(t)})
		t.Log(err)
		if !errors.Is(err, ErrDockerUnreachable) || !strings.Contains(err.Error(), "/nonexistent/docker.sock") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestAppSpec starts the app with a stack file's health check: a path and status that only
// the saasd's unknown-route handler gives (404), so a Start that waited on the default /healthz
// 200 would not tell them apart from this one.
func TestAppSpec(t *testing.T) {
	docker(t)
	ctx := context.Background()
	s, err := Start(ctx, Config{RunID: testRunID(t), App: AppSpec{Health: "/drdrill-no-such-route", HealthStatus: 404, DSNEnv: "DATABASE_URL"}})
	if s != nil {
		t.Cleanup(func() { s.Close(context.Background()) })
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.AppHealthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.HasSuffix(s.AppHealthURL(), "/drdrill-no-such-route") {
		t.Errorf("GET %s = %d, want 404 from the health path given", s.AppHealthURL(), resp.StatusCode)
	}
}

// startChild starts the test binary as a harness holding run id's stack and waits for READY.
func startChild(t *testing.T, id, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+id, childEnv+"_MODE="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		CleanWith(context.Background(), io.Discard, CleanOptions{Runs: []string{id}})
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "READY "+id) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q\n%s", line, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("child not ready after 2m\n%s", stderr.String())
	}
	return cmd
}

// TestCloseAfterSignal interrupts a harness holding a stack: it must remove the run itself.
func TestCloseAfterSignal(t *testing.T) {
	c := docker(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			id := testRunID(t)
			cmd := startChild(t, id, "signal")
			if n := leftovers(t, c, id); n < 5 {
				t.Fatalf("%d resources before the signal, want >= 5", n)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child after %v: %v", sig, err)
			}
			if n := leftovers(t, c, id); n != 0 {
				t.Errorf("%d resources of run %s left after %v", n, id, sig)
			}
		})
	}
}

// TestCleanAfterKill SIGKILLs a harness process holding a stack, so nothing of it runs its
// cleanup, and checks that Clean then removes every resource of that run.
func TestCleanAfterKill(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	id := testRunID(t)
	cmd := startChild(t, id, "block")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	before := leftovers(t, c, id)
	if before < 5 {
		t.Fatalf("after SIGKILL %d resources of the run, want the db, network and 3 volumes", before)
	}
	var report bytes.Buffer
	n, err := CleanWith(ctx, &report, CleanOptions{Runs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if n != before {
		t.Errorf("Clean removed %d, want %d\n%s", n, before, report.String())
	}
	if !strings.Contains(report.String(), "process gone") {
		t.Errorf("report does not say why:\n%s", report.String())
	}
	if left := leftovers(t, c, id); left != 0 {
		t.Errorf("%d resources of run %s left after Clean", left, id)
	}
}

func TestCleanKeepsLiveRun(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	s, err := Start(ctx, Config{RunID: testRunID(t), WithoutApp: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	var report bytes.Buffer
	n, err := CleanWith(ctx, &report, CleanOptions{Runs: []string{s.RunID()}})
	if err != nil || n != 0 {
		t.Errorf("Clean of a live run removed %d, %v", n, err)
	}
	if !strings.Contains(report.String(), "process alive") {
		t.Errorf("report:\n%s", report.String())
	}
	if leftovers(t, c, s.RunID()) < 5 {
		t.Error("live run's resources are gone")
	}
}

func TestRunDead(t *testing.T) {
	host, _ := os.Hostname()
	me := fmt.Sprint(os.Getpid())
	now := fmt.Sprint(time.Now().Unix())
	// A pid above the kernel's maximum (4194304) never exists.
	const gone = "4194305"
	tests := []struct {
		name       string
		labels     map[string]string
		otherHosts bool
		dead       bool
		why        string
	}{
		{"this process", map[string]string{LabelHost: host, LabelPID: me, LabelStarted: now}, false, false, "process alive"},
		{"pid gone", map[string]string{LabelHost: host, LabelPID: gone, LabelStarted: now}, false, true, "process gone"},
		{"pid reused by a newer process", map[string]string{LabelHost: host, LabelPID: me, LabelStarted: "1000"}, false, true, "reused"},
		{"other host kept", map[string]string{LabelHost: "elsewhere", LabelPID: gone, LabelStarted: now}, false, false, "elsewhere"},
		{"other host asked", map[string]string{LabelHost: "elsewhere", LabelPID: gone, LabelStarted: now}, true, true, "asked"},
		{"not made by this package", map[string]string{LabelRun: "x"}, true, false, "no drdrill.pid"},
		// With the pid namespace label, the pid is judged only from the same namespace.
		{"same namespace, alive", map[string]string{LabelHost: host, LabelPID: me, LabelStarted: now, LabelPIDNS: pidNamespace()}, false, false, "process alive"},
		{"same namespace, gone", map[string]string{LabelHost: host, LabelPID: gone, LabelStarted: now, LabelPIDNS: pidNamespace()}, false, true, "process gone"},
		{"another namespace, same hostname: its pid is not ours to see", map[string]string{LabelHost: host, LabelPID: gone, LabelStarted: now, LabelPIDNS: "boot/4026530000"}, false, false, "another pid namespace"},
		{"another namespace, removal asked", map[string]string{LabelHost: host, LabelPID: gone, LabelStarted: now, LabelPIDNS: "boot/4026530000"}, true, true, "asked"},
		{"same namespace, other hostname (renamed container)", map[string]string{LabelHost: "elsewhere", LabelPID: me, LabelStarted: now, LabelPIDNS: pidNamespace()}, false, false, "process alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dead, why := (&run{labels: tt.labels}).dead(host, tt.otherHosts)
			if dead != tt.dead || !strings.Contains(why, tt.why) {
				t.Errorf("dead = %v (%s), want %v (%s)", dead, why, tt.dead, tt.why)
			}
		})
	}
}

func TestProcessStart(t *testing.T) {
	start, ok := processStart(os.Getpid())
	if !ok {
		t.Skip("no /proc")
	}
	if now := time.Now().Unix(); start > now+1 || start < now-3600 {
		t.Errorf("this process started at %d, now %d", start, now)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Process.Kill()
	child, ok := processStart(cmd.Process.Pid)
	if !ok || child < start {
		t.Errorf("child started at %d (%v), parent at %d", child, ok, start)
	}
}

// checkHold holds s's WAL archive across one segment switch and releases it before the next:
// archived (whether a segment reached the archive) must say no for the first and yes for the
// second.
func checkHold(t *testing.T, s *Stack, archived func(seg string) bool) {
	t.Helper()
	// switched writes a row, switches segment and waits until the archiver has handled the
	// segment (copied or dropped); it returns the segment's name.
	switched := func() string {
		exec1(t, s.DSN(), "CREATE TABLE IF NOT EXISTS held (v text); INSERT INTO held VALUES ('x')")
		seg := query(t, s.DSN(), "SELECT pg_walfile_name(pg_switch_wal())")
		waitArchived(t, s, seg)
		return seg
	}
	release, err := s.HoldArchive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.ArchiveHeld() {
		t.Error("ArchiveHeld = false while held")
	}
	if seg := switched(); archived(seg) {
		t.Errorf("segment %s, completed while the archive was held, reached the archive", seg)
	}
	if err := release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.ArchiveHeld() {
		t.Error("ArchiveHeld = true after release")
	}
	if seg := switched(); !archived(seg) {
		t.Errorf("segment %s, completed after release, did not reach the archive", seg)
	}
}

// waitArchived waits until the archiver has handled WAL segment seg: archived, or dropped
// while the archive is held.
func waitArchived(t *testing.T, s *Stack, seg string) {
	t.Helper()
	waitFor(t, 30*time.Second, "segment "+seg+" handled by the archiver", func() bool {
		return query(t, s.DSN(), "SELECT last_archived_wal >= '"+seg+"' FROM pg_stat_archiver") == "true"
	})
}

func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var v any
	if err := conn.QueryRow(ctx, sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return fmt.Sprint(v)
}

func exec1(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, d)
		}
		<-tick.C
	}
}

func waitHealth(t *testing.T, base string, want int) {
	t.Helper()
	client := http.Client{Timeout: 2 * time.Second}
	last := 0
	waitFor(t, 30*time.Second, fmt.Sprintf("/healthz %d (last %d)", want, last), func() bool {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		last = resp.StatusCode
		return resp.StatusCode == want
	})
}

// BenchmarkStartClose measures a full stack (db and app, warm images) from Start to the app
// answering /healthz, and Close. go test -run '^$' -bench StartClose -benchtime 3x ./stack
func BenchmarkStartClose(b *testing.B) {
	if _, err := images.Connect(context.Background()); err != nil {
		b.Skip(err)
	}
	if err := images.Ensure(context.Background(), images.Options{SourceDir: ".."}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var start, close time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		s, err := Start(ctx, Config{RunID: fmt.Sprintf("bench-%06d-%d", time.Now().UnixNano()%1e6, i)})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := s.Close(ctx); err != nil {
			b.Fatal(err)
		}
		start += t1.Sub(t0)
		close += time.Since(t1)
	}
	b.ReportMetric(start.Seconds()/float64(b.N), "start-s/op")
	b.ReportMetric(close.Seconds()/float64(b.N), "close-s/op")
}

// TestRemoveRunFindsLateContainers: a container of the run that the first listing missed (the
// engine finishing a create that a SIGINT interrupted on the client side) is removed with the
// volume it holds, and one that holds no volume by the last sweep; another run's container
// using the same kind of volume is left alone.
func TestRemoveRunFindsLateContainers(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	id, other := testRunID(t), testRunID(t)+"x"
	labels := func(run string) map[string]string { return map[string]string{LabelRun: run} }
	vol, err := c.CreateVolume(dc.CreateVolumeOptions{Name: "drdrill-" + id + "-late", Labels: labels(id), Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name, run string, binds []string) *dc.Container {
		t.Helper()
		ct, err := c.CreateContainer(dc.CreateContainerOptions{Name: name, Context: ctx,
			Config:     &dc.Config{Image: images.Postgres, Cmd: []string{"true"}, Labels: labels(run)},
			HostConfig: &dc.HostConfig{Binds: binds}})
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	// Created after the run's containers were "listed": removeVolume meets it as a user.
	create("drdrill-"+id+"-late-db", id, []string{vol.Name + ":/data"})
	if err := removeVolume(ctx, c, vol.Name, []string{LabelRun + "=" + id}); err != nil {
		t.Fatalf("remove volume held by a late container of the run: %v", err)
	}
	// A late container with no volume, and another run's container: the sweep takes only ours.
	create("drdrill-"+id+"-late-app", id, nil)
	mine := create("drdrill-"+other+"-db", other, nil)
	defer c.RemoveContainer(dc.RemoveContainerOptions{ID: mine.ID, Force: true})
	if _, _, err := removeRun(ctx, c, id, ""); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, c, id); left != 0 {
		t.Errorf("%d resources of run %s left", left, id)
	}
	if left := leftovers(t, c, other); left != 1 {
		t.Errorf("the other run has %d resources, want its container untouched", left)
	}
}

// TestCloseRemovesOnlyItsOwn: Close takes what this process created and nothing else, even
// under the same run ID: another process's volume labelled with the run stays, and a container
// drdrill did not create, attached to the run's network, is neither removed nor disconnected
// (the network stays, and the log says why).
func TestCloseRemovesOnlyItsOwn(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	id := testRunID(t)
	var log bytes.Buffer
	s, err := Start(ctx, Config{RunID: id, WithoutApp: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	// Another process that (wrongly) used the same run ID: its owner token differs.
	theirs, err := c.CreateVolume(dc.CreateVolumeOptions{Name: "drdrill-" + id + "-theirs", Context: ctx,
		Labels: map[string]string{LabelRun: id, LabelOwner: "another-process"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.RemoveVolumeWithOptions(dc.RemoveVolumeOptions{Name: theirs.Name})
	// A container of the user's, without drdrill's labels, attached to the run's network.
	foreign, err := c.CreateContainer(dc.CreateContainerOptions{Name: "not-drdrill-" + id, Context: ctx,
		Config:     &dc.Config{Image: images.Postgres, Cmd: []string{"sleep", "300"}},
		HostConfig: &dc.HostConfig{NetworkMode: s.Network()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.RemoveContainer(dc.RemoveContainerOptions{ID: foreign.ID, Force: true})
	if err := c.StartContainer(foreign.ID, nil); err != nil {
		t.Fatal(err)
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "network drdrill-"+id+" kept: containers drdrill did not create are attached (not-drdrill-"+id+")") {
		t.Errorf("Close does not say why the network stays:\n%s", log.String())
	}
	ct, err := c.InspectContainer(foreign.ID)
	if err != nil {
		t.Fatalf("the foreign container was removed: %v", err)
	}
	if _, attached := ct.NetworkSettings.Networks[s.Network()]; !ct.State.Running || !attached {
		t.Errorf("the foreign container was stopped or disconnected: running %v, networks %v", ct.State.Running, ct.NetworkSettings.Networks)
	}
	if _, err := c.InspectVolume(theirs.Name); err != nil {
		t.Errorf("another process's volume of the same run ID was removed: %v", err)
	}
	// What is left: the network (held by the foreign container) and their volume.
	if left := leftovers(t, c, id); left != 2 {
		t.Errorf("%d resources of run %s left, want 2 (the kept network, their volume)", left, id)
	}
	if err := c.RemoveContainer(dc.RemoveContainerOptions{ID: foreign.ID, Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := removeRun(ctx, c, id, ""); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, c, id); left != 0 {
		t.Errorf("%d resources of run %s left after the final sweep", left, id)
	}
}

// TestStartTakesTheNameOfALeftover: a side database's start cancelled while the engine created
// its container (a backup candidate that failed verification meanwhile) leaves that container
// under the run's name with no ID handed back; the next start under the same alias must not
// fail on the name.
func TestStartTakesTheNameOfALeftover(t *testing.T) {
	c := docker(t)
	ctx := context.Background()
	s, err := Start(ctx, Config{RunID: testRunID(t), WithoutApp: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.WithoutCancel(ctx))
	left, err := c.CreateContainer(dc.CreateContainerOptions{Name: s.containerName("side"), Context: ctx,
		Config: &dc.Config{Image: images.Postgres, Cmd: []string{"true"}, Labels: map[string]string{LabelRun: s.RunID()}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.StartPostgres(ctx, PostgresSpec{Alias: "side", Standby: true})
	if err != nil {
		t.Fatalf("start over a leftover of the same name: %v", err)
	}
	defer p.Terminate(context.WithoutCancel(ctx))
	if _, err := c.InspectContainerWithContext(left.ID, ctx); err == nil {
		t.Error("the leftover container is still there")
	}
}
