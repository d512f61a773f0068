package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// BackupTool is how the stack's database is backed up and its WAL archived.
type BackupTool string

// The backup tools a stack can use. The zero value is Plain.
const (
	// Plain is pg_basebackup into the backups volume and a cp archive_command into the archive
	// volume: the route the runbooks restore by hand.
	Plain BackupTool = "plain"
	// PgBackRest is pgBackRest with one repository on a labelled volume (RepoDir):
	// archive-push as archive_command, archive-get as restore_command, stanza-create and
	// check when the stack starts.
	PgBackRest BackupTool = "pgbackrest"
)

// BackupTools lists the backup tools Config.BackupTool accepts.
func BackupTools() []BackupTool { return []BackupTool{Plain, PgBackRest} }

// ParseBackupTool returns the backup tool called name; an unknown name is ErrBadConfig naming
// it and the known ones.
func ParseBackupTool(name string) (BackupTool, error) {
	if t := BackupTool(name); slices.Contains(BackupTools(), t) {
		return t, nil
	}
	known := make([]string, 0, len(BackupTools()))
	for _, t := range BackupTools() {
		known = append(known, string(t))
	}
	return "", fmt.Errorf("%w: unknown backup tool %q: use %s", ErrBadConfig, name, strings.Join(known, " or "))
}

// orPlain is the tool, Plain for the zero value.
func (t BackupTool) orPlain() BackupTool {
	if t == "" {
		return Plain
	}
	return t
}

// pgBackRest's repository and configuration, the same in every container of the stack that
// runs it (db, side databases, restore jobs).
const (
	// RepoDir is where the pgBackRest repository volume ("repo") is mounted.
	RepoDir = "/var/lib/pgbackrest"
	// DefaultStanza is the pgBackRest stanza of the stack's cluster unless Config.Stanza names
	// the team's own.
	DefaultStanza = "drdrill"
	// PgBackRestConf is the configuration file every container of a pgbackrest stack gets.
	PgBackRestConf = "/etc/pgbackrest/pgbackrest.conf"
)

// pgBackRestGlobal is drdrill's [global] section of PgBackRestConf. The cluster is reached over
// the local socket, where pg_hba trusts postgres: no password is in the file, in argv or in a
// log. Retention keeps every full backup a drill takes (a drill is short; Close removes the
// volume). lz4 trades a little repository size for restore speed on two cores.
var pgBackRestGlobal = [][2]string{
	{"repo1-path", RepoDir},
	{"repo1-retention-full", "9999"},
	{"start-fast", "y"},
	{"compress-type", "lz4"},
	{"log-level-console", "warn"},
	{"log-level-file", "off"},
}

// PgBackRestConfScript is a shell snippet that writes PgBackRestConf, the stack's own options
// (Config.PgBackRestOptions) replacing or joining drdrill's in [global]; a container of the db
// image runs it as postgres before it calls pgbackrest.
func (s *Stack) PgBackRestConfScript() string {
	return pgBackRestConfScript(s.Stanza(), s.cfg.PgBackRestOptions)
}

// Stanza is the stack's pgBackRest stanza.
func (s *Stack) Stanza() string {
	if s.cfg.Stanza != "" {
		return s.cfg.Stanza
	}
	return DefaultStanza
}

func pgBackRestConfScript(stanza string, opts map[string]string) string {
	var b strings.Builder
	b.WriteString("[global]\n")
	for _, kv := range pgBackRestGlobal {
		v := kv[1]
		if o, ok := opts[kv[0]]; ok {
			v = o
		}
		fmt.Fprintf(&b, "%s=%s\n", kv[0], v)
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if !slices.ContainsFunc(pgBackRestGlobal, func(kv [2]string) bool { return kv[0] == k }) {
			fmt.Fprintf(&b, "%s=%s\n", k, opts[k])
		}
	}
	fmt.Fprintf(&b, "\n[%s]\npg1-path=%s\n", stanza, PGDATA)
	return "cat > " + PgBackRestConf + " <<'DRDRILL_PGBR_EOF'\n" + b.String() + "DRDRILL_PGBR_EOF\n"
}

// PgBackRestCommand is the pgbackrest command line for a command of the stack's stanza, with
// its options after it: pgbackrest --stanza=STANZA <command> <options...>.
func (s *Stack) PgBackRestCommand(command string, options ...string) []string {
	return append([]string{"pgbackrest", "--stanza=" + s.Stanza(), command}, options...)
}

// pgBackRestRestoreCommand is the restore_command of a pgbackrest stack.
func (s *Stack) pgBackRestRestoreCommand() string {
	return `pgbackrest --stanza=` + s.Stanza() + ` archive-get %f "%p"`
}

// BackupTool is the stack's backup tool (Plain unless Config.BackupTool chose another).
func (s *Stack) BackupTool() BackupTool { return s.cfg.BackupTool.orPlain() }

// RestoreCommand is the restore_command of the stack's backup tool: cp from the archive
// volume (RestoreCommand) or pgbackrest archive-get.
func (s *Stack) RestoreCommand() string {
	if s.BackupTool() == PgBackRest {
		return s.pgBackRestRestoreCommand()
	}
	return RestoreCommand
}

// pgBackRestSettings are the primary's settings that make pgBackRest its archiver.
func (s *Stack) pgBackRestSettings(set map[string]string) {
	set["archive_command"] = unlessHeld(strings.Join(s.PgBackRestCommand("archive-push", "%p"), " "))
	set["restore_command"] = s.pgBackRestRestoreCommand()
}

// stanzaCreate creates the stanza in the new repository and checks it: check forces a WAL
// switch and waits until archive-push has stored the segment, so a stack that starts has a
// working archive.
func (s *Stack) stanzaCreate(ctx context.Context) error {
	for _, cmd := range []string{"stanza-create", "check"} {
		t := time.Now()
		code, out, err := s.Exec(ctx, DB, s.PgBackRestCommand(cmd))
		if err != nil {
			return fmt.Errorf("pgbackrest %s: %w", cmd, err)
		}
		if code != 0 {
			return fmt.Errorf("pgbackrest %s: exit %d: %s", cmd, code, s.Redact(strings.TrimSpace(out)))
		}
		s.logf("pgbackrest %s in %.1fs", cmd, time.Since(t).Seconds())
	}
	return nil
}

// ShellQuote joins args into one POSIX shell command line, each argument single-quoted, for the
// scripts containers of the stack run.
func ShellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
