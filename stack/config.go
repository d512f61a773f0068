package stack

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/drdrill/drdrill/images"
)

// Configure sets the testcontainers settings drdrill depends on, unless the user set them:
// TESTCONTAINERS_RYUK_DISABLED=true (Ryuk is an image nobody can pull here, and drdrill
// cleans up by label itself) and TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (the harness may run
// in a container, where testcontainers would otherwise use the bridge gateway). Call it before
// the first testcontainers call of the process: testcontainers reads its config once. Start
// calls it too.
//
// It also silences testcontainers' own logging (its default logger is process-wide): drdrill
// prints its own progress lines to Config.Log.
func Configure() {
	tclog.SetDefault(tclog.NewNoopLogger())
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if _, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !ok {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// Service names a container of the run; it is also its alias on the run's network.
type Service string

// The two services of the reference stack. Side databases are services too, named by their
// PostgresSpec.Alias.
const (
	DB  Service = "db"
	App Service = "app"
)

// Labels every Docker resource of a run carries.
const (
	LabelRun     = "drdrill.run"     // run ID
	LabelPID     = "drdrill.pid"     // pid of the harness process that owns the run
	LabelHost    = "drdrill.host"    // hostname of that process
	LabelStarted = "drdrill.started" // unix time the run started, to detect a reused pid
	LabelService = "drdrill.service" // db, app, or a side database's alias (containers only)
	// LabelPIDNS is the kernel boot ID and pid namespace of the owner process: its pid means
	// something only to a process of the same namespace (containers sharing a hostname do not
	// share one).
	LabelPIDNS = "drdrill.pidns"
	// LabelOwner is a random token of the process that created the resource: Close removes only
	// what carries its own, whatever another process named its run.
	LabelOwner = "drdrill.owner"
	LabelGroup = "drdrill.group" // the drill run the scenario belongs to (shards share it)
	// LabelKeep marks a run started with Config.Keep: the default sweep of `drdrill clean`
	// leaves it; only a removal that names it (CleanOptions.Runs or Kept) takes it.
	LabelKeep = "drdrill.keep"
)

// Volumes of the db container, by the names Volume accepts, and where they are mounted.
var dbVolumes = []struct{ Name, Path string }{
	{"pgdata", PGDATA},
	{"archive", ArchiveDir},
	{"backups", BackupsDir},
}

// repoVolume is the pgBackRest repository's volume, added to dbVolumes with PgBackRest.
var repoVolume = struct{ Name, Path string }{"repo", RepoDir}

// volumes are the db container's volumes for the configured backup tool.
func (c *Config) volumes() []struct{ Name, Path string } {
	if c.BackupTool.orPlain() == PgBackRest {
		return append(slices.Clone(dbVolumes), repoVolume)
	}
	return dbVolumes
}

// Where the db container's volumes are mounted: side databases and restore jobs mount them at
// the same places.
const (
	PGDATA     = "/var/lib/postgresql/data" // the data directory of every Postgres container
	ArchiveDir = "/archive"                 // the WAL archive
	BackupsDir = "/backups"                 // base backups
)

// RestoreCommand is the restore_command that reads WAL from the archive at ArchiveDir.
const RestoreCommand = "cp " + ArchiveDir + "/%f %p"

// Ports the services listen on inside their containers.
const (
	DBPort  = 5432
	AppPort = 8080
)

// Database is the database Start creates for the service.
const Database = "drdrill"

// Environment variables that override the default images of Config (DBImage, AppImage).
const (
	EnvDBImage  = "DRDRILL_DB_IMAGE"
	EnvAppImage = "DRDRILL_APP_IMAGE"
)

// Config describes one stack. Only RunID is worth setting in most tests; the zero value of
// every other field has a working default.
type Config struct {
	// RunID names the run in labels and resource names ([A-Za-z0-9][A-Za-z0-9_.-]*, at most
	// 40 characters); empty: a time-based ID. Give each process's runs their own (the runner
	// adds a random suffix): Close removes only this process's resources anyway.
	RunID string
	// Group labels the run with the drill run it belongs to (see LabelGroup); may be empty.
	Group string
	// Keep labels the run as one to keep for inspection if its drill fails (see LabelKeep).
	Keep bool
	// DBImage and AppImage default to $DRDRILL_DB_IMAGE and $DRDRILL_APP_IMAGE, else to
	// images.Postgres and images.App.
	DBImage, AppImage string
	// ArchiveTimeout bounds how old the newest archived WAL can be, hence the RPO of a
	// restore from the archive; 0: 60s.
	ArchiveTimeout time.Duration
	// Settings are extra Postgres settings (-c name=value); they override the defaults.
	Settings map[string]string
	// Log receives progress lines ("stack: db ready in 2.1s"); nil: silent.
	Log io.Writer
	// DBHostPort and AppHostPort fix the host ports on 127.0.0.1; 0 picks free ones.
	DBHostPort, AppHostPort int
	// App describes the app service (a stack file's app service); its zero fields take the
	// reference service's values.
	App AppSpec
	// AppEnv adds environment variables to the app container (over LISTEN_ADDR and
	// SAASD_ADMIN_TOKEN; never over App.DSNEnv, which always holds the drill's database);
	// AppArgs are arguments after App.Command (e.g. "-migrate").
	AppEnv  map[string]string
	AppArgs []string
	// WithoutApp starts only the database (for tests that need no HTTP service).
	WithoutApp bool
	// StartupTimeout bounds the wait for each service to be ready; 0: 90s.
	StartupTimeout time.Duration
	// BackupTool chooses how the database is backed up and its WAL archived: Plain (the
	// zero value) or PgBackRest, whose repository gets its own labelled volume ("repo", at
	// RepoDir) and whose stanza is created and checked before Start returns.
	BackupTool BackupTool
	// PgBackRestOptions are the team's own options of pgbackrest.conf's [global] section
	// (a stack file's backup.pgbackrest), written after drdrill's.
	PgBackRestOptions map[string]string
	// Stanza is the team's pgBackRest stanza name (a stack file's backup.stanza); default
	// DefaultStanza.
	Stanza string
}

// AppSpec is how the app service runs and says it is ready. The zero value is the reference
// service (drdrill/saasd:dev's /saasd on AppPort, ready when /healthz answers 200).
type AppSpec struct {
	Command []string // the container's command; default [/saasd]
	Port    int      // the port it listens on inside its container; default AppPort
	// Health is the HTTP path that answers HealthStatus once the service reaches its database
	// (0: any 2xx); default /healthz and 200.
	Health       string
	HealthStatus int
	// DSNEnv is the variable of the app's environment that receives the database's DSN (never
	// its argv); default DATABASE_URL.
	DSNEnv string
}

// Healthy says whether code is the app's healthy answer.
func (a AppSpec) Healthy(code int) bool {
	if a.HealthStatus == 0 {
		return code >= 200 && code < 300
	}
	return code == a.HealthStatus
}

func (a AppSpec) withDefaults() AppSpec {
	if len(a.Command) == 0 {
		a.Command = []string{"/saasd"}
	}
	a.Port = cmp.Or(a.Port, AppPort)
	if a.Health == "" {
		a.Health, a.HealthStatus = "/healthz", cmp.Or(a.HealthStatus, 200)
	}
	a.DSNEnv = cmp.Or(a.DSNEnv, "DATABASE_URL")
	return a
}

// Errors a caller may want to tell apart; cmd/drdrill maps them to exit codes and hints.
var (
	// ErrDockerUnreachable: no Docker engine answered at DOCKER_HOST or the default socket.
	ErrDockerUnreachable = images.ErrDockerUnreachable
	// ErrImageMissing: an image the stack needs is not on the engine; `make images` builds it.
	ErrImageMissing = errors.New("not found")
	// ErrPortInUse: a fixed host port is taken by another process.
	ErrPortInUse = errors.New("in use")
	// ErrBadConfig: a Config or PostgresSpec value is invalid.
	ErrBadConfig = errors.New("bad stack config")
	// ErrUnknownService: a fault named a service the stack does not have.
	ErrUnknownService = errors.New("unknown service")
)

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

func (c *Config) setDefaults() error {
	if c.RunID == "" {
		c.RunID = NewRunID()
	}
	if !runIDPattern.MatchString(c.RunID) {
		return fmt.Errorf("%w: run ID %q: use letters, digits, '_', '.', '-' (at most 40)", ErrBadConfig, c.RunID)
	}
	// The environment may name other images (undocumented in the CLI: tests use it to run a
	// drill against an image that does not exist, without touching the real ones).
	if c.DBImage == "" {
		c.DBImage = cmp.Or(os.Getenv(EnvDBImage), images.Postgres)
	}
	if c.AppImage == "" {
		c.AppImage = cmp.Or(os.Getenv(EnvAppImage), images.App)
	}
	if c.ArchiveTimeout == 0 {
		c.ArchiveTimeout = 60 * time.Second
	}
	if c.ArchiveTimeout < time.Second {
		return fmt.Errorf("%w: archive timeout %v: Postgres counts it in whole seconds, use >= 1s", ErrBadConfig, c.ArchiveTimeout)
	}
	if c.BackupTool != "" {
		if _, err := ParseBackupTool(string(c.BackupTool)); err != nil {
			return err
		}
	}
	c.App = c.App.withDefaults()
	if c.App.Port < 1 || c.App.Port > 65535 {
		return fmt.Errorf("%w: app port %d: want 1-65535", ErrBadConfig, c.App.Port)
	}
	if !strings.HasPrefix(c.App.Health, "/") {
		return fmt.Errorf("%w: app health path %q: want an absolute path such as /healthz", ErrBadConfig, c.App.Health)
	}
	if c.StartupTimeout == 0 {
		c.StartupTimeout = 90 * time.Second
	}
	for _, p := range []int{c.DBHostPort, c.AppHostPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%w: host port %d: want 1-65535, or 0 for a free one", ErrBadConfig, p)
		}
	}
	return nil
}
