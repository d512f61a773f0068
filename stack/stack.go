package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	dc "github.com/ory/dockertest/v3/docker"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/drdrill/drdrill/dbmark"
	"github.com/drdrill/drdrill/images"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for wait.ForSQL
)

// Stack is one run's set of containers, network and volumes.
type Stack struct {
	cfg      Config
	labels   map[string]string
	password string
	token    string // the app's admin token (SAASD_ADMIN_TOKEN): its destructive routes need it
	docker   *dc.Client
	network  string // name
	netID    string
	volumes  map[string]string // "pgdata" → docker volume name

	mu       sync.Mutex
	services map[Service]*service
	held     bool // the primary drops the WAL segments it completes (HoldArchive)

	closeOnce sync.Once
	closeErr  error
}

// service is one container of the run and what faults need to know about it.
type service struct {
	name     Service
	c        *testcontainers.DockerContainer
	hostPort int
}

// NewRunID returns a time-ordered run ID unique enough for one engine.
func NewRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// Start creates the run's network and volumes, starts db (and app unless cfg.WithoutApp), and
// returns once Postgres accepts queries on the drdrill database and the app answers 200 on
// /healthz. On error, everything it created is removed before it returns.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	Configure()
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	begin := time.Now()
	docker, err := images.Connect(ctx)
	if err != nil {
		return nil, err
	}
	for _, img := range []string{cfg.DBImage, cfg.AppImage} {
		if img == cfg.AppImage && cfg.WithoutApp {
			continue
		}
		if _, err := docker.InspectImage(img); errors.Is(err, dc.ErrNoSuchImage) {
			return nil, fmt.Errorf("image %s %w: run `make images`", img, ErrImageMissing)
		} else if err != nil {
			return nil, fmt.Errorf("inspect image %s: %w", img, err)
		}
	}
	host, _ := os.Hostname()
	s := &Stack{
		cfg:      cfg,
		password: randomHex(16),
		token:    randomHex(16),
		docker:   docker,
		volumes:  map[string]string{},
		services: map[Service]*service{},
		labels: map[string]string{
			LabelRun:     cfg.RunID,
			LabelPID:     strconv.Itoa(os.Getpid()),
			LabelHost:    host,
			LabelStarted: strconv.FormatInt(begin.Unix(), 10),
			LabelPIDNS:   pidNamespace(),
			LabelOwner:   processOwner,
		},
	}
	if cfg.Group != "" {
		s.labels[LabelGroup] = cfg.Group
	}
	if cfg.Keep {
		s.labels[LabelKeep] = "on-failure"
	}
	// Whatever the stack logs (errors quote commands) passes through the redaction of its password.
	s.cfg.Log = RedactWriter(s.cfg.Log, s.Secrets()...)
	// Everything below is labelled at creation, so one sweep by label undoes any prefix of it,
	// including after a panic.
	ok := false
	defer func() {
		if !ok {
			if cerr := s.Close(context.WithoutCancel(ctx)); cerr != nil {
				err = errors.Join(err, fmt.Errorf("clean up failed start: %w", cerr))
			}
		}
	}()

	s.network = "drdrill-" + cfg.RunID
	nw, err := docker.CreateNetwork(dc.CreateNetworkOptions{Context: ctx, Name: s.network, Driver: "bridge", Labels: s.Labels()})
	if err != nil {
		return nil, fmt.Errorf("create network %s: %w", s.network, err)
	}
	s.netID = nw.ID
	for _, v := range s.cfg.volumes() {
		name, err := s.NewVolume(ctx, v.Name)
		if err != nil {
			return nil, err
		}
		s.volumes[v.Name] = name
	}

	t := time.Now()
	mounts := map[string]string{}
	for _, v := range s.cfg.volumes() {
		mounts[s.volumes[v.Name]] = v.Path
	}
	db, err := s.startPostgres(ctx, DB, mounts, "", s.primarySettings(), cfg.DBHostPort, false, cfg.StartupTimeout)
	if err != nil {
		return nil, err
	}
	s.logf("db ready in %.1fs (127.0.0.1:%d)", time.Since(t).Seconds(), db.hostPort)
	if s.BackupTool() == PgBackRest {
		if err := s.stanzaCreate(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.mark(ctx); err != nil {
		return nil, err
	}

	if !cfg.WithoutApp {
		t = time.Now()
		if _, err := s.startApp(ctx); err != nil {
			return nil, err
		}
		s.logf("app ready in %.1fs (%s)", time.Since(t).Seconds(), s.AppURL())
	}
	s.logf("run %s up in %.1fs", cfg.RunID, time.Since(begin).Seconds())
	ok = true
	return s, nil
}

// mark writes the run's ID into the new database (dbmark.Write): the faulty script acts
// only on a database so marked with the run it is told. Written at birth, it is in every base
// backup, and so in every database a runbook restores.
func (s *Stack) mark(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		return fmt.Errorf("mark the drill database: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := dbmark.Write(ctx, conn, s.cfg.RunID); err != nil {
		return fmt.Errorf("mark the drill database: %w", err)
	}
	return nil
}

// plainArchiveCommand copies a completed WAL segment into the archive under a name of its own,
// then renames it: a restore reading the archive meanwhile (a side database replaying to T0
// while the primary archives the segment the switch completed) finds the whole segment or
// none. Copied under its final name, a segment read half-written stopped the restore with
// "archive file … has wrong size: 12713984 instead of 16777216" (FATAL), where a missing one is
// the archive's end.
const plainArchiveCommand = "test ! -f " + ArchiveDir + "/%f && cp %p " + ArchiveDir + "/%f.part && mv " + ArchiveDir + "/%f.part " + ArchiveDir + "/%f"

// primarySettings are the db's Postgres settings: WAL archived to /archive (or pushed to the
// pgBackRest repository), every restore reading from it, and cfg.Settings on top.
func (s *Stack) primarySettings() map[string]string {
	set := map[string]string{
		"wal_level":        "replica",
		"archive_mode":     "on",
		"archive_command":  unlessHeld(plainArchiveCommand),
		"archive_timeout":  strconv.Itoa(int(s.cfg.ArchiveTimeout / time.Second)),
		"restore_command":  RestoreCommand,
		"listen_addresses": "*",
		"max_wal_size":     "2GB", // fewer checkpoints while seeding millions of rows
		"max_connections":  "200",
		// JIT compiled every manifest and verifier query (cost above 100,000) for about a
		// second each, more than the queries themselves at the scoped sizes the verifier reads
		// every round. Plans and results are unchanged; durability is not touched.
		"jit": "off",
		// The commit time of every transaction (pg_xact_commit_timestamp): tenant-repair finds
		// the transactions that rewrote rows after T0 without moving their updated-at column.
		"track_commit_timestamp": "on",
	}
	if s.BackupTool() == PgBackRest {
		s.pgBackRestSettings(set)
	}
	maps.Copy(set, s.cfg.Settings)
	return set
}

func (s *Stack) startApp(ctx context.Context) (*service, error) {
	app := s.cfg.App
	env := map[string]string{
		"LISTEN_ADDR":       ":" + strconv.Itoa(app.Port),
		"SAASD_ADMIN_TOKEN": s.token,
	}
	maps.Copy(env, s.cfg.AppEnv)
	// The drill's own database, whatever the stack's environment says (a compose file's
	// DATABASE_URL points at its own server): the app must never write elsewhere.
	env[app.DSNEnv] = s.InternalDSN()
	port := strconv.Itoa(app.Port) + "/tcp"
	req := testcontainers.ContainerRequest{
		Image:        s.cfg.AppImage,
		Cmd:          append(slices.Clone(app.Command), s.cfg.AppArgs...),
		Env:          env,
		ExposedPorts: []string{port},
		// The health path answers only once the service reaches the database.
		WaitingFor: wait.ForHTTP(app.Health).WithPort(port).WithStatusCodeMatcher(app.Healthy).
			WithStartupTimeout(s.cfg.StartupTimeout).WithPollInterval(100 * time.Millisecond),
	}
	return s.run(ctx, App, req, s.cfg.AppHostPort, app.Port)
}

// run creates and starts one labelled container on the run's network under alias name, with
// containerPort published on 127.0.0.1:hostPort (0: a free port, retried if another process
// takes it first). The host port is fixed at creation so that it survives Stop/Start.
func (s *Stack) run(ctx context.Context, name Service, req testcontainers.ContainerRequest, hostPort, containerPort int) (*service, error) {
	fixed := hostPort != 0
	for attempt := 1; ; attempt++ {
		p := hostPort
		if !fixed {
			var err error
			if p, err = freePort(); err != nil {
				return nil, fmt.Errorf("%s: find a free port on 127.0.0.1: %w", name, err)
			}
		}
		// A start cancelled while Docker created its container (a base-backup candidate that
		// failed verification meanwhile) can leave that container behind under this run's name,
		// with no ID handed back to remove it by: it would take the name from the next start.
		// No container of this run goes by that name unless it is such a leftover (a running
		// service of the name is refused before this).
		if err := s.removeLeftover(ctx, name); err != nil {
			return nil, err
		}
		r := req
		r.Name = s.containerName(name)
		r.Labels = s.Labels()
		r.Labels[LabelService] = string(name)
		r.Networks = []string{s.network}
		r.NetworkAliases = map[string][]string{s.network: {string(name)}}
		bind := containerPort
		prev := r.HostConfigModifier
		r.HostConfigModifier = func(hc *dockerHostConfig) {
			if prev != nil {
				prev(hc)
			}
			bindLoopback(hc, bind, p)
		}
		c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
			ContainerRequest: r,
			Started:          true,
			Logger:           tclog.NewNoopLogger(),
		})
		if err == nil {
			svc := &service{name: name, c: c.(*testcontainers.DockerContainer), hostPort: p}
			s.mu.Lock()
			s.services[name] = svc
			s.mu.Unlock()
			return svc, nil
		}
		hint := ""
		if ctx.Err() == nil && !portTaken(err) {
			hint = s.logsHint(name)
		}
		// A container that failed to start still exists; remove it before a retry or return.
		if c != nil {
			_ = s.docker.RemoveContainer(dc.RemoveContainerOptions{ID: c.GetContainerID(), Force: true, RemoveVolumes: true, Context: context.WithoutCancel(ctx)})
		}
		if portTaken(err) {
			if fixed {
				return nil, fmt.Errorf("%s: host port 127.0.0.1:%d %w by another process: free it, or set the port to 0 to pick a free one", name, p, ErrPortInUse)
			}
			if attempt < 3 {
				continue
			}
		}
		return nil, fmt.Errorf("start %s (%s): %w%s", name, req.Image, err, hint)
	}
}

// removeLeftover removes the container of this run named for service name, if there is one.
func (s *Stack) removeLeftover(ctx context.Context, name Service) error {
	err := s.docker.RemoveContainer(dc.RemoveContainerOptions{ID: s.containerName(name), Force: true, RemoveVolumes: true, Context: ctx})
	var missing *dc.NoSuchContainer
	if err == nil || errors.As(err, &missing) {
		return nil
	}
	return fmt.Errorf("%s: remove the container a cancelled start left: %w", name, err)
}

// logsHint returns the tail of a failed container's output, which says why far better than
// a wait timeout does.
func (s *Stack) logsHint(name Service) string {
	var out strings.Builder
	err := s.docker.Logs(dc.LogsOptions{Container: s.containerName(name), Stdout: true, Stderr: true, Tail: "15", OutputStream: &out, ErrorStream: &out})
	if err != nil || out.Len() == 0 {
		return ""
	}
	return "\ncontainer output (last lines):\n" + out.String()
}

func portTaken(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is already allocated")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Stack) containerName(name Service) string {
	return "drdrill-" + s.cfg.RunID + "-" + string(name)
}

func (s *Stack) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "stack: "+format+"\n", args...)
	}
}

// RunID is the run's ID, the value of the drdrill.run label.
func (s *Stack) RunID() string { return s.cfg.RunID }

// Network is the name of the run's private Docker network (for one-shot job containers).
func (s *Stack) Network() string { return s.network }

// Labels returns a copy of the labels every resource of the run carries; give them to any
// container, network or volume you create for the run so that Close and Clean remove it.
func (s *Stack) Labels() map[string]string { return maps.Clone(s.labels) }

// Password is the postgres superuser's password, random per run.
func (s *Stack) Password() string { return s.password }

// AdminToken is the app's admin token, random per run: its destructive routes (DELETE of a
// site) answer only to "Authorization: Bearer <token>".
func (s *Stack) AdminToken() string { return s.token }

// Secrets are the run's secrets (password, admin token), for redaction.
func (s *Stack) Secrets() []string { return []string{s.password, s.token} }

// DSN reaches the drdrill database from the harness, through 127.0.0.1.
func (s *Stack) DSN() string { return s.dsn("127.0.0.1", s.hostPort(DB)) }

// DBHostPort is the db's port on 127.0.0.1.
func (s *Stack) DBHostPort() int { return s.hostPort(DB) }

// InternalDSN reaches the drdrill database from containers on the run's network.
func (s *Stack) InternalDSN() string { return s.dsn(string(DB), DBPort) }

func (s *Stack) dsn(host string, port int) string {
	return fmt.Sprintf("postgres://postgres:%s@%s:%d/%s?sslmode=disable", s.password, host, port, Database)
}

// AppHealthURL is the URL of the app's health path from the harness; empty without app.
func (s *Stack) AppHealthURL() string {
	if u := s.AppURL(); u != "" {
		return u + s.cfg.App.Health
	}
	return ""
}

// AppHealthy says whether code is the app's healthy answer on its health path.
func (s *Stack) AppHealthy(code int) bool { return s.cfg.App.Healthy(code) }

// AppURL is the app's base URL from the harness (http://127.0.0.1:<port>); empty without app.
func (s *Stack) AppURL() string {
	if p := s.hostPort(App); p != 0 {
		return fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	return ""
}

// Volume returns the Docker volume name of "pgdata", "archive" or "backups" (mounted in db at
// /var/lib/postgresql/data, /archive and /backups), of "repo" (RepoDir, PgBackRest only), or
// of a volume made by NewVolume; "" if none.
func (s *Stack) Volume(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.volumes[name]
}

// NewVolume creates a labelled volume named drdrill-<run>-<name> and returns its Docker name.
// Volume(name) returns it afterwards.
func (s *Stack) NewVolume(ctx context.Context, name string) (string, error) {
	if !runIDPattern.MatchString(name) {
		return "", fmt.Errorf("%w: volume name %q: use letters, digits, '_', '.', '-'", ErrBadConfig, name)
	}
	full := "drdrill-" + s.cfg.RunID + "-" + name
	if _, err := s.docker.CreateVolume(dc.CreateVolumeOptions{Context: ctx, Name: full, Labels: s.Labels()}); err != nil {
		return "", fmt.Errorf("create volume %s: %w", full, err)
	}
	s.mu.Lock()
	s.volumes[name] = full
	s.mu.Unlock()
	return full, nil
}

func (s *Stack) hostPort(name Service) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[name]; svc != nil {
		return svc.hostPort
	}
	return 0
}

func (s *Stack) service(name Service) (*service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[name]; svc != nil {
		return svc, nil
	}
	return nil, fmt.Errorf("%w %q in run %s", ErrUnknownService, name, s.cfg.RunID)
}

// ContainerID returns the Docker ID of a service's container (for tools that need it).
func (s *Stack) ContainerID(name Service) (string, error) {
	svc, err := s.service(name)
	if err != nil {
		return "", err
	}
	return svc.c.GetContainerID(), nil
}

// Exec runs cmd in a service's container (as the image's user: postgres in db) and returns
// its exit code and combined output. A non-zero exit code is not an error. env ("NAME=value")
// is added to the process's environment: secrets go there, never into cmd, which any user of
// the host sees in ps; errors quote cmd redacted and env not at all.
func (s *Stack) Exec(ctx context.Context, name Service, cmd []string, env ...string) (int, string, error) {
	svc, err := s.service(name)
	if err != nil {
		return 0, "", err
	}
	opts := []tcexec.ProcessOption{tcexec.Multiplexed()}
	if len(env) > 0 {
		opts = append(opts, tcexec.WithEnv(env))
	}
	code, r, err := svc.c.Exec(ctx, cmd, opts...)
	if err != nil {
		return code, "", fmt.Errorf("exec %s in %s: %w", s.Redact(fmt.Sprint(cmd)), name, err)
	}
	var out strings.Builder
	if r != nil {
		if _, err := io.Copy(&out, r); err != nil {
			return code, out.String(), fmt.Errorf("exec %s in %s: read output: %w", s.Redact(fmt.Sprint(cmd)), name, err)
		}
	}
	return code, out.String(), nil
}

// Close removes every container, network and volume labelled with the run's ID, whoever
// created it. It is safe to call more than once and concurrently (later calls wait for the
// first and return its result), and it runs to completion even if ctx is cancelled: it is
// what a Ctrl-C ends with.
func (s *Stack) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		t := time.Now()
		n, kept, err := removeRun(ctx, s.docker, s.cfg.RunID, processOwner)
		s.closeErr = err
		for _, k := range kept {
			s.logf("%s", k)
		}
		s.logf("run %s removed in %.1fs (%d resources)", s.cfg.RunID, time.Since(t).Seconds(), n)
	})
	return s.closeErr
}
