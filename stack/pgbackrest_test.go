package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestParseBackupTool(t *testing.T) {
	tests := []struct {
		in   string
		want BackupTool
		err  string
	}{
		{"plain", Plain, ""},
		{"pgbackrest", PgBackRest, ""},
		{"barman", "", `unknown backup tool "barman": use plain or pgbackrest`},
		{"", "", `unknown backup tool ""`},
		{"PgBackRest", "", `unknown backup tool "PgBackRest"`},
	}
	for _, tt := range tests {
		got, err := ParseBackupTool(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseBackupTool(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseBackupTool(%q) err = %v, want ErrBadConfig containing %q", tt.in, err, tt.err)
		}
	}
	c := Config{BackupTool: "tar"}
	if err := c.setDefaults(); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), `"tar"`) {
		t.Errorf("Config with backup tool tar: err = %v, want ErrBadConfig naming it", err)
	}
}

// TestPgBackRestStack starts a stack with pgBackRest: the repository is a labelled volume
// Close removes, the stanza exists and its check passed before Start returned, WAL reaches
// the repository through archive-push (pg_stat_archiver counts it, info lists it), and no
// secret is in the stack's log or in the configuration file.
func TestPgBackRestStack(t *testing.T) {
	c := docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := testRunID(t)
	var log bytes.Buffer
	s, err := Start(ctx, Config{RunID: id, WithoutApp: true, BackupTool: PgBackRest, ArchiveTimeout: time.Second, Log: &log})
	t.Cleanup(func() { s.Close(context.Background()) })
	if err != nil {
		t.Fatalf("start: %v\n%s", err, log.String())
	}
	if s.BackupTool() != PgBackRest {
		t.Errorf("BackupTool() = %q", s.BackupTool())
	}
	repo := s.Volume("repo")
	if repo != "drdrill-"+id+"-repo" {
		t.Fatalf("repo volume %q", repo)
	}
	v, err := c.InspectVolume(repo)
	if err != nil || v.Labels[LabelRun] != id || v.Labels[LabelOwner] != processOwner {
		t.Fatalf("repo volume labels %v (%v)", v, err)
	}
	for _, want := range []string{"pgbackrest stanza-create in", "pgbackrest check in"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log has no %q:\n%s", want, log.String())
		}
	}

	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var archiveCommand, restoreCommand string
	var seg string
	if err := conn.QueryRow(ctx, `SELECT current_setting('archive_command'), current_setting('restore_command'), pg_walfile_name(pg_switch_wal())`).Scan(&archiveCommand, &restoreCommand, &seg); err != nil {
		t.Fatal(err)
	}
	if archiveCommand != unlessHeld("pgbackrest --stanza=drdrill archive-push %p") || restoreCommand != `pgbackrest --stanza=drdrill archive-get %f "%p"` {
		t.Errorf("archive_command %q, restore_command %q", archiveCommand, restoreCommand)
	}
	waitArchived(t, s, seg)
	code, out, err := s.Exec(ctx, DB, s.PgBackRestCommand("info", "--output=json"))
	if err != nil || code != 0 {
		t.Fatalf("info: exit %d %v %s", code, err, out)
	}
	var info []struct {
		Name    string
		Status  struct{ Code int }
		Archive []struct{ Max string }
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("info json: %v\n%s", err, out)
	}
	// Status 2: the stanza exists and has no backup yet.
	if len(info) != 1 || info[0].Name != DefaultStanza || info[0].Status.Code != 2 || len(info[0].Archive) != 1 || info[0].Archive[0].Max < seg {
		t.Errorf("info = %+v, want stanza %s with no backup and WAL up to %s", info, DefaultStanza, seg)
	}
	// A held archive: the segment completed while held never reaches the repository, the one
	// after release does, and a backup taken then verifies across the gap.
	checkHold(t, s, func(seg string) bool {
		code, _, err := s.Exec(ctx, DB, s.PgBackRestCommand("archive-get", seg, "/tmp/"+seg))
		if err != nil {
			t.Fatal(err)
		}
		return code == 0
	})
	for _, cmd := range [][]string{s.PgBackRestCommand("backup", "--type=full"), s.PgBackRestCommand("verify")} {
		if code, out, err := s.Exec(ctx, DB, cmd); err != nil || code != 0 {
			t.Errorf("%v after a held archive: exit %d, %v: %s", cmd, code, err, out)
		}
	}
	_, conf, err := s.Exec(ctx, DB, []string{"cat", PgBackRestConf})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range s.Secrets() {
		if strings.Contains(conf, secret) || strings.Contains(log.String(), secret) {
			t.Errorf("a secret of the run is in %s or the stack's log", PgBackRestConf)
		}
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InspectVolume(repo); err == nil {
		t.Errorf("repo volume %s left after Close", repo)
	}
	if n := leftovers(t, c, id); n != 0 {
		t.Errorf("%d resources left after Close", n)
	}
}

// TestPgBackRestConfOptions: the team's options replace drdrill's of the same name (each
// option once: pgBackRest refuses a repeated one) or follow them, sorted; the stanza section is
// unchanged.
func TestPgBackRestConfOptions(t *testing.T) {
	got := pgBackRestConfScript(DefaultStanza, map[string]string{"process-max": "4", "compress-type": "zst"})
	want := "start-fast=y\ncompress-type=zst\nlog-level-console=warn\nlog-level-file=off\nprocess-max=4\n\n[" + DefaultStanza + "]\npg1-path=" + PGDATA + "\n"
	if !strings.Contains(got, want) {
		t.Errorf("conf script:\n%s\nwant it to hold:\n%s", got, want)
	}
	if plain := pgBackRestConfScript(DefaultStanza, nil); strings.Contains(plain, "process-max") || !strings.Contains(plain, "compress-type=lz4\n") {
		t.Errorf("conf script without options:\n%s", plain)
	}
}
