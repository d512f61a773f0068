// Package pgtest starts a throwaway Postgres 15 container for package tests.
//
// It exists so that the saas and cleanup tests run against a real server, not a mock, without
// waiting for the full drill stack. The container runs the locally built image drdrill/postgres:15
// (no pull), carries the label drdrill.run=<run id>, binds its port to 127.0.0.1 only, keeps its
// data directory on tmpfs (fast, and nothing to clean up but the container) and is terminated by
// t.Cleanup even when starting it fails half-way.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", used by wait.ForSQL
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/drdrill/drdrill/images"
	"github.com/drdrill/drdrill/internal/prereq"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// Image is the Postgres image the tests run; it must already exist locally.
const Image = images.Postgres

// RunLabel is the label every Docker resource of a drdrill run carries.
const RunLabel = stack.LabelRun

// labels are the run's labels as package stack sets them, so that `drdrill clean` removes what a
// killed test process left behind (it judges a run by its pid, host and start time).
func labels(runID string) map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		stack.LabelRun:     runID,
		stack.LabelPID:     strconv.Itoa(os.Getpid()),
		stack.LabelHost:    host,
		stack.LabelStarted: strconv.FormatInt(time.Now().Unix(), 10),
	}
}

// dataDir is a tmpfs owned by the image's postgres user (uid 100, gid 102 in the debootstrap
// root): initdb refuses a directory it cannot chmod, and Docker 20.10 ignores mode= on tmpfs.
const dataDir = stack.PGDATA

// DB is one running throwaway Postgres.
type DB struct {
	Container testcontainers.Container
	port      int
}

// Options tune the server.
type Options struct {
	// Settings are passed as `postgres -c name=value`.
	Settings map[string]string
	// Volume puts the data directory on a labelled Docker volume (removed at cleanup) instead
	// of tmpfs: slower, but fsync costs what it costs in a drill, so benchmarks are honest.
	// Data on a volume survives Stop/Start.
	Volume bool
}

// Start starts a Postgres container for the test and returns when it accepts queries. The host
// port is fixed at creation (a free port picked now) so that Stop and Start keep the same DSN,
// which lets tests restart the server under a live connection pool. Start fails the test on error.
func Start(t testing.TB, opts Options) *DB {
	t.Helper()
	prereq.RealContainers(t)
	stack.Configure() // no Ryuk (no registry), ports reached on 127.0.0.1
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	port, err := freePort()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	args := []string{"-c", "listen_addresses=*"}
	for k, v := range opts.Settings {
		args = append(args, "-c", k+"="+v)
	}
	// initdb only when the data directory is empty: after a Stop/Start the tmpfs is new and
	// empty again, which stands for a database replaced by a fresh one.
	// initdb's pg_hba.conf admits local and loopback clients only; the published port arrives
	// from the bridge gateway, so admit every host (a throwaway server on 127.0.0.1).
	script := "set -e; if [ ! -s " + dataDir + "/PG_VERSION ]; then initdb -D " + dataDir +
		" --auth=trust -U postgres >/dev/null; echo 'host all all all trust' >> " + dataDir + "/pg_hba.conf; fi; exec postgres -D " +
		dataDir + " " + stack.ShellQuote(args)

	runID := "pgtest-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var binds []string
	if opts.Volume {
		name, err := newVolume(ctx, t, runID)
		if err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		binds = []string{name + ":" + dataDir}
	}
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        Image,
			Cmd:          []string{"sh", "-c", script},
			Labels:       labels(runID),
			ExposedPorts: []string{"5432/tcp"},
			HostConfigModifier: func(hc *container.HostConfig) {
				if binds != nil {
					hc.Binds = binds
				} else {
					hc.Tmpfs = map[string]string{dataDir: "rw,uid=100,gid=102,mode=0700"}
				}
				hc.PortBindings = network.PortMap{
					network.MustParsePort("5432/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}},
				}
			},
			WaitingFor: wait.ForSQL("5432/tcp", "pgx", func(host string, p network.Port) string {
				return fmt.Sprintf("postgres://postgres@%s:%s/postgres?sslmode=disable", host, p.Port())
			}).WithStartupTimeout(60 * time.Second).WithPollInterval(100 * time.Millisecond),
		},
		Started: true,
	}
	c, err := testcontainers.GenericContainer(ctx, req)
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatalf("pgtest: start %s: %v", Image, err)
	}
	return &DB{Container: c, port: port}
}

// DSN is the URL of database "postgres" through the port published on 127.0.0.1.
func (d *DB) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", d.port)
}

// Migrate creates the saas schema with its constraints on the server.
func (d *DB) Migrate(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, d.DSN())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer pool.Close()
	if err := saas.Migrate(ctx, pool); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Pool opens a pool on the server, closed when the test ends.
func (d *DB) Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), d.DSN())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Ready waits until the server answers a query, up to the deadline of ctx.
func (d *DB) Ready(ctx context.Context) error {
	db, err := sql.Open("pgx", d.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err = db.PingContext(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres on port %d not ready: %w", d.port, err)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newVolume creates a volume labelled with the run and registers its removal; registered before
// the container's cleanup, it runs after it (t.Cleanup is last in, first out), once the volume
// is no longer in use.
func newVolume(ctx context.Context, t testing.TB, runID string) (string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", fmt.Errorf("docker client: %w", err)
	}
	name := runID + "-pgdata"
	t.Cleanup(func() {
		defer cli.Close()
		if _, err := cli.VolumeRemove(context.Background(), name, client.VolumeRemoveOptions{Force: true}); err != nil {
			t.Errorf("pgtest: remove volume %s: %v", name, err)
		}
	})
	if _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: labels(runID)}); err != nil {
		return "", fmt.Errorf("create volume %s: %w", name, err)
	}
	return name, nil
}
