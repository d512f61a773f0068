package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/dbmark"
	"github.com/drdrill/drdrill/internal/pgtest"
)

const runID = "legacy-test-1a2b"

func writeIDs(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// seededDB is one throwaway database of the test's server, seeded with 2 tenants × 2 sites.
type seededDB struct {
	pool  *pgxpool.Pool
	sites []pgtest.SeededSite
	dsn   string
}

func newSeededDB(t *testing.T, db *pgtest.DB) seededDB {
	t.Helper()
	pool := db.NewDatabase(t)
	sites := pgtest.Seed(t, pool, pgtest.Shape{Tenants: 2, SitesPerTenant: 2, Products: 1, Users: 1, Apps: 2, Records: 2, AppKey: "insight"})
	var name string
	if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return seededDB{pool: pool, sites: sites, dsn: strings.Replace(db.DSN(), "/postgres?", "/"+name+"?", 1)}
}

func (d seededDB) countSites(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := d.pool.QueryRow(context.Background(), "SELECT count(*) FROM sites").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExitCodes(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	drill := newSeededDB(t, db)
	pool, sites, dsn := drill.pool, drill.sites, drill.dsn
	if err := dbmark.Write(context.Background(), pool, runID); err != nil {
		t.Fatal(err)
	}
	dsnFile := writeIDs(t, dsn+"\n")
	// A second database, seeded the same but never marked: a real database the script must not touch.
	foreign := newSeededDB(t, db)
	foreignFile := writeIDs(t, foreign.dsn+"\n")
	foreignIDs := writeIDs(t, fmt.Sprintf("%d\n%d\n", foreign.sites[0].ID, foreign.sites[1].ID))
	countForeign := func() int64 { return foreign.countSites(t) }
	countSites := func() int64 { return drill.countSites(t) }
	siteIDs := fmt.Sprintf("# wrong list: site ids\n%d\n%d\n", sites[0].ID, sites[1].ID)
	appIDs := fmt.Sprintf("%d\n%d\n", sites[2].AppIDs[0], sites[3].AppIDs[0])

	cases := []struct {
		name      string
		args      []string
		code      int
		stderr    string // substring
		stdout    string // substring
		sitesLeft int64
	}{
		{"no mode", []string{"--ids", writeIDs(t, "1\n"), "--run-id", runID, "--dsn-file", dsnFile}, 2, `--mode "": want mark, purge, corrupt or truncate`, "", 4},
		{"unknown mode", []string{"--mode", "delete", "--ids", writeIDs(t, "1\n"), "--run-id", runID, "--dsn-file", dsnFile}, 2, `--mode "delete"`, "", 4},
		{"unknown flag", []string{"--mode", "purge", "--force"}, 2, "flag provided but not defined: -force", "", 4},
		{"no ids flag", []string{"--mode", "purge", "--run-id", runID, "--dsn-file", dsnFile}, 2, "--ids FILE is required", "", 4},
		{"unreadable ids file", []string{"--mode", "purge", "--ids", "/nonexistent/ids.txt", "--run-id", runID, "--dsn-file", dsnFile}, 2, "read ids file: open /nonexistent/ids.txt", "", 4},
		{"empty ids file", []string{"--mode", "purge", "--ids", writeIDs(t, ""), "--run-id", runID, "--dsn-file", dsnFile}, 2, "no ids in the file", "", 4},
		{"non-numeric line", []string{"--mode", "purge", "--ids", writeIDs(t, "# ids\n1\n\nsite-42\n"), "--run-id", runID, "--dsn-file", dsnFile}, 2, `ids.txt:4: "site-42": not an integer id`, "", 4},
		{"negative max-scope", []string{"--mode", "purge", "--ids", writeIDs(t, "1\n"), "--run-id", runID, "--dsn-file", dsnFile, "--max-scope", "-1"}, 2, "--max-scope -1", "", 4},
		{"unreachable database", []string{"--mode", "purge", "--ids", writeIDs(t, "1\n"), "--run-id", runID, "--dsn", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, 1, "connect to 127.0.0.1:1/x", "", 4},
		{"check-kind refuses site ids", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile, "--check-kind"}, 3,
			fmt.Sprintf("%d (site), %d (site)", sites[0].ID, sites[1].ID), "refused:", 4},
		{"max-scope refuses", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile, "--max-scope", "1"}, 3, "2 sites would be affected", "", 4},
		{"dry run", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile, "--dry-run"}, 0, "",
			"plan: total (would be deleted): sites=2 tenants=1 products=2 users=2 apps=4 records=4 affected_sites=2", 4},
		{"app ids pass the guardrails", []string{"--mode", "purge", "--ids", writeIDs(t, appIDs), "--run-id", runID, "--dsn-file", dsnFile, "--check-kind", "--max-scope", "2"}, 0, "",
			"summary: mode=purge ids=2 batches=1/1 sites=0 tenants=1 products=0 users=0 apps=2 records=0 affected_sites=2", 4},
		{"ids from an unset variable", []string{"--mode", "purge", "--run-id", runID, "--dsn-file", dsnFile, "--ids", "env:NO_SUCH_IDS_VAR"}, 2, "environment variable NO_SUCH_IDS_VAR is not set", "", 4},
		{"ids from stdin, bad line", []string{"--mode", "purge", "--run-id", runID, "--dsn-file", dsnFile, "--ids", "-"}, 2, `-:2: "2x"`, "", 4},
		{"DATABASE_URL is never a default", []string{"--mode", "purge", "--run-id", runID, "--ids", writeIDs(t, siteIDs)}, 2,
			"no database: give --dsn-file FILE (there is no default, DATABASE_URL is ignored)", "", 4},
		{"no run id", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--dsn-file", dsnFile}, 2, "--run-id RUN is required", "", 4},
		{"another run's database", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--run-id", "other-run", "--dsn-file", dsnFile}, 4,
			`not this drill's database: it belongs to run "` + runID + `", not --run-id "other-run"`, "refused:", 4},
		{"a database without the marker", []string{"--mode", "purge", "--ids", foreignIDs, "--run-id", runID, "--dsn-file", foreignFile}, 4,
			"not this drill's database: it has no drdrill_meta table", "refused:", 4},
		{"a bad URL is not echoed", []string{"--mode", "purge", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", writeIDs(t, "postgres://u:s3cret-pw@[::1/x\n")}, 2,
			"bad database URL (from --dsn-file", "", 4},
		{"truncate takes no ids", []string{"--mode", "truncate", "--table", "records", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile}, 2, "truncate mode takes no ids", "", 4},
		{"truncate a referenced table", []string{"--mode", "truncate", "--table", "sites", "--run-id", runID, "--dsn-file", dsnFile}, 2, `--table "sites": truncate mode empties one of products, users, apps, records`, "", 4},
		{"a table without truncate", []string{"--mode", "purge", "--table", "records", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile}, 2, "--table is for truncate mode only", "", 4},
		{"truncate on another run's database", []string{"--mode", "truncate", "--table", "records", "--run-id", "other-run", "--dsn-file", dsnFile}, 4, "not this drill's database", "refused:", 4},
		{"truncate refused by check-kind", []string{"--mode", "truncate", "--table", "records", "--run-id", runID, "--dsn-file", dsnFile, "--check-kind"}, 3, "truncate mode removes no", "", 4},
		{"truncate dry run", []string{"--mode", "truncate", "--table", "records", "--run-id", runID, "--dsn-file", dsnFile, "--dry-run"}, 0, "", "plan: truncate records: rows=8 of sites=4 tenants=2", 4},
		{"corrupt site ids", []string{"--mode", "corrupt", "--ids", writeIDs(t, siteIDs), "--run-id", runID, "--dsn-file", dsnFile}, 0, "",
			"summary: mode=corrupt ids=2 batches=1/1 sites=0 tenants=1 products=0 users=0 apps=0 records=4 affected_sites=2", 4},
		{"the incident: site ids, purge, no guardrail", []string{"--mode", "purge", "--run-id", runID, "--dsn-file", dsnFile, "--ids", "env:CLEANUP_IDS"}, 0, "",
			"summary: mode=purge ids=2 batches=1/1 sites=2 tenants=1 products=2 users=2 apps=4 records=4", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// DATABASE_URL points at the marked database in every case: it must never be used.
			// The ids of the last case come from the environment, as in a drill's container.
			t.Setenv("DATABASE_URL", dsn)
			t.Setenv("CLEANUP_IDS", siteIDs)
			var stdout, stderr bytes.Buffer
			code := run(c.args, strings.NewReader("1\n2x\n"), &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) || !strings.Contains(stdout.String(), c.stdout) {
				t.Fatalf("exit %d, want %d\nstderr (want %q):\n%s\nstdout (want %q):\n%s", code, c.code, c.stderr, stderr.String(), c.stdout, stdout.String())
			}
			if n := countSites(); n != c.sitesLeft {
				t.Fatalf("%d sites left, want %d", n, c.sitesLeft)
			}
			if n := countForeign(); n != 4 {
				t.Fatalf("the unmarked database lost sites: %d left of 4", n)
			}
			if strings.Contains(stderr.String()+stdout.String(), "s3cret-pw") {
				t.Fatalf("the password reached the output:\n%s%s", stderr.String(), stdout.String())
			}
		})
	}
}
