package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	dc "github.com/ory/dockertest/v3/docker"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// postgresScript is the command of every Postgres container of the stack (the image has no
// entrypoint). It runs the optional Init hook, creates a cluster only if the data directory
// has none (so a restart, or a data directory restored by Init, keeps its data), and then
// becomes the server with the settings passed as arguments.
//
// initdb skips its fsyncs: a fresh cluster that a machine crash would lose belongs to a drill
// that crash has ended anyway, and it saves about half a second.
const postgresScript = `set -e
if [ -n "$DRDRILL_INIT" ]; then
  echo "drdrill: running init script"
  sh -ec "$DRDRILL_INIT"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$DRDRILL_PASSWORD" > "$pwfile"
  initdb --no-sync -D "$PGDATA" -U postgres -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >/dev/null
  rm -f "$pwfile"
  # Anyone on the run's network (and the harness through the 127.0.0.1 port) with the password.
  printf 'host all all all scram-sha-256\nhost replication all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE $DRDRILL_DATABASE" | postgres --single -D "$PGDATA" postgres >/dev/null
  echo "drdrill: initialized cluster with database $DRDRILL_DATABASE"
fi
exec postgres -D "$PGDATA" "$@"
`

// readWriteCheck fails while the server is still recovering: a restored side database is only
// ready once it has been promoted.
const readWriteCheck = `DO $$BEGIN IF pg_is_in_recovery() THEN RAISE EXCEPTION 'still in recovery'; END IF; END$$`

// startPostgres runs one Postgres container of the run under alias name.
func (s *Stack) startPostgres(ctx context.Context, name Service, mounts map[string]string, init string, settings map[string]string, hostPort int, standby bool, timeout time.Duration) (*service, error) {
	args := []string{"/bin/sh", "-c", postgresScript, "drdrill-postgres"}
	if s.BackupTool() == PgBackRest {
		// Every Postgres of the stack archives or restores through pgbackrest: each gets its
		// configuration before anything else runs.
		init = s.PgBackRestConfScript() + init
	}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", k+"="+settings[k])
	}
	var ms testcontainers.ContainerMounts
	for _, vol := range slices.Sorted(maps.Keys(mounts)) {
		ms = append(ms, testcontainers.VolumeMount(vol, testcontainers.ContainerMountTarget(mounts[vol])))
	}
	port := strconv.Itoa(DBPort) + "/tcp"
	query := readWriteCheck
	if standby {
		query = "SELECT 1"
	}
	req := testcontainers.ContainerRequest{
		Image: s.cfg.DBImage,
		Cmd:   args,
		Env: map[string]string{
			"PGDATA":           PGDATA,
			"DRDRILL_PASSWORD": s.password,
			"DRDRILL_DATABASE": Database,
			"DRDRILL_INIT":     init,
		},
		ExposedPorts: []string{port},
		Mounts:       ms,
		// SIGINT is Postgres' fast shutdown; the default SIGTERM waits for every client to leave.
		ConfigModifier: func(c *container.Config) { c.StopSignal = "SIGINT" },
		// Ready means: the password works, the drdrill database exists, and (unless a standby
		// was asked for) the server accepts writes.
		WaitingFor: wait.ForSQL(port, "pgx", func(_ string, p network.Port) string {
			return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", s.password, p.Num(), Database)
		}).WithQuery(query).WithStartupTimeout(timeout).WithPollInterval(100 * time.Millisecond),
	}
	return s.run(ctx, name, req, hostPort, DBPort)
}

// ScratchSettings are the Postgres settings of a side database that is read from and dropped
// (a tenant restore's): fsync off. Its recovery then skips the fsync of every file of the
// restored data directory that it does first (SyncDataDirectory: gigabytes just copied, written
// back to disk before the first WAL record is replayed) and the fsyncs of its checkpoints. A
// machine crash would lose it, and the drill with it; nothing else can. A database that goes
// back into service (full-pitr's restored live one) keeps fsync on.
var ScratchSettings = map[string]string{"fsync": "off"}

// PostgresSpec describes a side database: same image, network, password and labels as db.
type PostgresSpec struct {
	// Alias is the side database's service name and its host name on the run's network.
	Alias string
	// Volumes maps volumes to mount paths. A key is a name Volume knows ("archive", "backups",
	// or one from NewVolume) or a Docker volume name. Without a volume at
	// /var/lib/postgresql/data, a labelled one named <alias>-pgdata is created.
	Volumes map[string]string
	// Init is a shell script run as postgres before the server starts (PGDATA is set): copy
	// a base backup into $PGDATA, write recovery settings, touch recovery.signal. If PGDATA
	// still has no PG_VERSION afterwards, a fresh cluster is created.
	Init string
	// Settings are Postgres settings (-c name=value) on top of the primary's (so that its WAL
	// can be replayed: same max_connections, restore_command='cp /archive/%f %p'). Archiving is
	// off unless set here, so a restored copy never writes into the primary's archive.
	Settings map[string]string
	// Standby: ready as soon as it answers queries. Otherwise StartPostgres waits until the
	// server accepts writes (recovery finished and promoted).
	Standby bool
	// StartupTimeout bounds recovery and start; 0: 5 minutes.
	StartupTimeout time.Duration
}

// Postgres is a side database started by StartPostgres.
type Postgres struct {
	s    *Stack
	name Service
	port int
}

// StartPostgres starts a side database on the run's network, typically to restore a backup
// next to the live one, and waits until it is ready (see PostgresSpec.Standby). Faults work
// on it under Service(spec.Alias).
func (s *Stack) StartPostgres(ctx context.Context, spec PostgresSpec) (*Postgres, error) {
	name := Service(spec.Alias)
	if !runIDPattern.MatchString(spec.Alias) || name == DB || name == App {
		return nil, fmt.Errorf("%w: side database alias %q: want a new name of letters, digits, '_', '.', '-'", ErrBadConfig, spec.Alias)
	}
	if _, err := s.service(name); err == nil {
		return nil, fmt.Errorf("%w: side database alias %q already used in run %s", ErrBadConfig, spec.Alias, s.cfg.RunID)
	}
	if spec.StartupTimeout == 0 {
		spec.StartupTimeout = 5 * time.Minute
	}
	mounts := map[string]string{}
	hasData := false
	for vol, path := range spec.Volumes {
		if v := s.Volume(vol); v != "" {
			vol = v
		}
		mounts[vol] = path
		hasData = hasData || path == PGDATA
	}
	if !hasData {
		v, err := s.NewVolume(ctx, spec.Alias+"-pgdata")
		if err != nil {
			return nil, err
		}
		mounts[v] = PGDATA
	}
	// Start from the primary's settings: recovery refuses to run with a lower max_connections
	// (and a few others) than the server that wrote the WAL.
	settings := s.primarySettings()
	settings["archive_mode"] = "off"
	delete(settings, "archive_command")
	delete(settings, "archive_timeout")
	maps.Copy(settings, spec.Settings)
	t := time.Now()
	svc, err := s.startPostgres(ctx, name, mounts, spec.Init, settings, 0, spec.Standby, spec.StartupTimeout)
	if err != nil {
		return nil, err
	}
	s.logf("%s ready in %.1fs (127.0.0.1:%d)", name, time.Since(t).Seconds(), svc.hostPort)
	return &Postgres{s: s, name: name, port: svc.hostPort}, nil
}

// Service is the side database's service name, for faults and Exec.
func (p *Postgres) Service() Service { return p.name }

// DSN reaches the side database's drdrill database from the harness.
func (p *Postgres) DSN() string { return p.s.dsn("127.0.0.1", p.port) }

// InternalDSN reaches it from containers on the run's network.
func (p *Postgres) InternalDSN() string { return p.s.dsn(string(p.name), DBPort) }

// Terminate removes the side database's container (its volumes stay until Close). Nil-safe.
func (p *Postgres) Terminate(ctx context.Context) error {
	if p == nil {
		return nil
	}
	svc, err := p.s.service(p.name)
	if err != nil {
		return nil
	}
	err = p.s.docker.RemoveContainer(dc.RemoveContainerOptions{ID: svc.c.GetContainerID(), Force: true, Context: context.WithoutCancel(ctx)})
	if err != nil {
		return fmt.Errorf("terminate %s: %w", p.name, err)
	}
	p.s.mu.Lock()
	delete(p.s.services, p.name)
	p.s.mu.Unlock()
	return nil
}
