package legacycleanup_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/dbmark"
	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

// shape: 5 tenants × 2 sites; per site 3 products, 4 users, 2 apps (the first is "insight"),
// 5 records. Sites are in id order: sites[0], sites[1] belong to the first tenant, and so on.
var shape = pgtest.Shape{Tenants: 5, SitesPerTenant: 2, Products: 3, Users: 4, Apps: 2, Records: 5, AppKey: "insight"}

// totals are all rows and live (not soft-deleted) rows per table.
type totals struct {
	Sites, Products, Users, Apps, Records        int64
	LiveSites, LiveProducts, LiveUsers, LiveApps int64
}

func snapshot(t *testing.T, pool *pgxpool.Pool) totals {
	t.Helper()
	var n totals
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM sites), (SELECT count(*) FROM products), (SELECT count(*) FROM users),
		(SELECT count(*) FROM apps), (SELECT count(*) FROM records),
		(SELECT count(*) FROM sites WHERE deleted_at IS NULL), (SELECT count(*) FROM products WHERE deleted_at IS NULL),
		(SELECT count(*) FROM users WHERE deleted_at IS NULL), (SELECT count(*) FROM apps WHERE deleted_at IS NULL)`).
		Scan(&n.Sites, &n.Products, &n.Users, &n.Apps, &n.Records, &n.LiveSites, &n.LiveProducts, &n.LiveUsers, &n.LiveApps)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testRun is the run ID the test databases are marked with (see dbmark.Write).
const testRun = "cleanup-test-run"

// run marks pool as testRun's database and runs the script on it as that run.
func run(t *testing.T, pool *pgxpool.Pool, ids []int64, opts legacycleanup.Options) (legacycleanup.Report, string, error) {
	t.Helper()
	if err := dbmark.Write(context.Background(), pool, testRun); err != nil {
		t.Fatal(err)
	}
	opts.RunID = testRun
	var log bytes.Buffer
	opts.Log = &log
	rep, err := legacycleanup.Run(context.Background(), pool, ids, opts)
	return rep, log.String(), err
}

func TestRun(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	seeded := totals{Sites: 10, Products: 30, Users: 40, Apps: 20, Records: 50,
		LiveSites: 10, LiveProducts: 30, LiveUsers: 40, LiveApps: 20}

	t.Run("purge with app ids removes only those apps", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		ids := []int64{sites[0].AppIDs[0], sites[1].AppIDs[0], sites[2].AppIDs[0], sites[3].AppIDs[0]}
		rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModePurge, Guardrails: legacycleanup.Guardrails{CheckKind: true, MaxScope: 4}})
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log)
		}
		want := seeded
		want.Apps, want.LiveApps = 16, 16
		if got := snapshot(t, pool); got != want {
			t.Fatalf("after purge of 4 app ids: %+v, want %+v", got, want)
		}
		if d := (legacycleanup.Counts{Tenants: 2, Apps: 4}); rep.Done != d || rep.AffectedSites != 4 {
			t.Fatalf("done = %+v affected %d, want %+v affected 4", rep.Done, rep.AffectedSites, d)
		}
		var left int64
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM apps WHERE id = ANY($1)", ids).Scan(&left); err != nil || left != 0 {
			t.Fatalf("listed apps left: %d (%v)", left, err)
		}
	})

	t.Run("purge with site ids deletes the sites and everything they hold", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		ids := []int64{sites[0].ID, sites[2].ID, sites[3].ID}
		rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModePurge, Batch: 2})
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log)
		}
		want := totals{Sites: 7, Products: 21, Users: 28, Apps: 14, Records: 35,
			LiveSites: 7, LiveProducts: 21, LiveUsers: 28, LiveApps: 14}
		if got := snapshot(t, pool); got != want {
			t.Fatalf("after purge of 3 site ids: %+v, want %+v", got, want)
		}
		if d := (legacycleanup.Counts{Sites: 3, Tenants: 2, Products: 9, Users: 12, Apps: 6, Records: 15}); rep.Done != d {
			t.Fatalf("done = %+v, want %+v", rep.Done, d)
		}
		if rep.Batches != 2 || !strings.Contains(log, "batch 2/2 committed") || !strings.Contains(log, "summary: mode=purge") {
			t.Fatalf("batches %d, log:\n%s", rep.Batches, log)
		}
	})

	t.Run("mark with site ids is reversible by clearing deleted_at", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		ids := []int64{sites[4].ID, sites[5].ID}
		rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModeMark})
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log)
		}
		want := seeded
		want.LiveSites, want.LiveProducts, want.LiveUsers, want.LiveApps = 8, 24, 32, 16
		if got := snapshot(t, pool); got != want {
			t.Fatalf("after mark of 2 site ids: %+v, want %+v", got, want)
		}
		if d := (legacycleanup.Counts{Sites: 2, Tenants: 1, Products: 6, Users: 8, Apps: 4, Records: 10}); rep.Done != d {
			t.Fatalf("done = %+v, want %+v", rep.Done, d)
		}
		// Marking again changes nothing: rows already marked are not counted twice.
		rep, _, err = run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModeMark})
		if err != nil || rep.Done != (legacycleanup.Counts{}) {
			t.Fatalf("second mark: done %+v, %v", rep.Done, err)
		}
		ctx := context.Background()
		for _, q := range []string{
			"UPDATE sites SET deleted_at = NULL WHERE id = ANY($1)",
			"UPDATE products SET deleted_at = NULL WHERE site_id = ANY($1)",
			"UPDATE users SET deleted_at = NULL WHERE site_id = ANY($1)",
			"UPDATE apps SET deleted_at = NULL WHERE site_id = ANY($1)",
		} {
			if _, err := pool.Exec(ctx, q, ids); err != nil {
				t.Fatal(err)
			}
		}
		if got := snapshot(t, pool); got != seeded {
			t.Fatalf("after clearing the marks: %+v, want %+v", got, seeded)
		}
	})

	t.Run("guardrails refuse and delete nothing", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		mixed := []int64{sites[0].AppIDs[0], sites[1].ID, sites[2].AppIDs[1], 999}
		cases := []struct {
			name string
			ids  []int64
			opts legacycleanup.Options
			msg  string
		}{
			{"check-kind with a site id", mixed, legacycleanup.Options{Mode: legacycleanup.ModePurge, Guardrails: legacycleanup.Guardrails{CheckKind: true}},
				`3 of 4 ids are not "insight" app ids: ` + itoa(sites[1].ID) + ` (site), ` + itoa(sites[2].AppIDs[1]) + ` (app "other-2"), 999 (not-found)`},
			{"check-kind in mark mode", []int64{sites[3].ID}, legacycleanup.Options{Mode: legacycleanup.ModeMark, Guardrails: legacycleanup.Guardrails{CheckKind: true}},
				itoa(sites[3].ID) + " (site)"},
			{"max-scope below the sites removed", []int64{sites[0].ID, sites[1].ID, sites[2].ID}, legacycleanup.Options{Mode: legacycleanup.ModePurge, Guardrails: legacycleanup.Guardrails{MaxScope: 2}},
				"--max-scope 2: 3 sites would be affected (3 removed, 0 losing an app)"},
			{"max-scope counts sites losing an app", []int64{sites[0].AppIDs[0], sites[1].AppIDs[0]}, legacycleanup.Options{Mode: legacycleanup.ModePurge, Guardrails: legacycleanup.Guardrails{MaxScope: 1}},
				"2 sites would be affected (0 removed, 2 losing an app)"},
			{"max-scope 1", []int64{sites[0].ID, sites[2].AppIDs[0]}, legacycleanup.Options{Mode: legacycleanup.ModeMark, Guardrails: legacycleanup.Guardrails{MaxScope: 1}}, "--max-scope 1: 2 sites would be affected (1 removed, 1 losing an app)"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rep, log, err := run(t, pool, c.ids, c.opts)
				if !errors.Is(err, legacycleanup.ErrRefused) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("err = %v, want ErrRefused containing %q", err, c.msg)
				}
				if !strings.Contains(log, "refused: ") || rep.Done != (legacycleanup.Counts{}) {
					t.Fatalf("done %+v, log:\n%s", rep.Done, log)
				}
				if got := snapshot(t, pool); got != seeded {
					t.Fatalf("a refused run changed data: %+v, want %+v", got, seeded)
				}
			})
		}
		// At the limit the run goes ahead.
		if _, log, err := run(t, pool, []int64{sites[0].ID, sites[1].ID}, legacycleanup.Options{Mode: legacycleanup.ModeMark, Guardrails: legacycleanup.Guardrails{MaxScope: 2}}); err != nil {
			t.Fatalf("max-scope equal to the scope: %v\n%s", err, log)
		}
	})

	t.Run("dry run reports the exact blast radius and changes nothing", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		var userID int64
		if err := pool.QueryRow(context.Background(), "SELECT min(id) FROM users").Scan(&userID); err != nil {
			t.Fatal(err)
		}
		// Two sites of two tenants; an app on one of them (already counted with its site); an app
		// of a third tenant; a user id (skipped); the same site twice (parsed once upstream, and
		// harmless here).
		ids := []int64{sites[0].AppIDs[1], sites[0].ID, sites[2].ID, sites[6].AppIDs[0], userID}
		for _, mode := range []legacycleanup.Mode{legacycleanup.ModePurge, legacycleanup.ModeMark} {
			rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: mode, Guardrails: legacycleanup.Guardrails{DryRun: true}})
			if err != nil {
				t.Fatalf("dry run: %v\n%s", err, log)
			}
			p := rep.Plan
			wantBySite := legacycleanup.Counts{Sites: 2, Tenants: 2, Products: 6, Users: 8, Apps: 4, Records: 10}
			wantByApp := legacycleanup.Counts{Sites: 1, Tenants: 1, Apps: 1}
			wantTotal := legacycleanup.Counts{Sites: 2, Tenants: 3, Products: 6, Users: 8, Apps: 5, Records: 10}
			if p.BySite != wantBySite || p.ByApp != wantByApp || p.Total != wantTotal || p.AffectedSites != 3 {
				t.Fatalf("%s plan: by site %+v by app %+v total %+v affected %d", mode, p.BySite, p.ByApp, p.Total, p.AffectedSites)
			}
			if p.Kinds[legacycleanup.KindSite] != 2 || p.Kinds[legacycleanup.KindApp] != 2 || p.Kinds[legacycleanup.KindUser] != 1 {
				t.Fatalf("kinds = %v", p.Kinds)
			}
			for _, line := range []string{"plan: ids=5 site=2 app=2 user=1", "plan: by site ids: sites=2 tenants=2 products=6 users=8 apps=4 records=10",
				"affected_sites=3", "dry run: nothing changed"} {
				if !strings.Contains(log, line) {
					t.Fatalf("log lacks %q:\n%s", line, log)
				}
			}
			if got := snapshot(t, pool); got != seeded {
				t.Fatalf("dry run changed data: %+v", got)
			}
		}
		// The real run does what the dry run said.
		rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModePurge, Batch: 2})
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log)
		}
		if rep.Done != rep.Plan.Total || rep.AffectedSites != rep.Plan.AffectedSites || rep.Skipped != 1 {
			t.Fatalf("done %+v affected %d skipped %d, planned %+v affected %d", rep.Done, rep.AffectedSites, rep.Skipped, rep.Plan.Total, rep.Plan.AffectedSites)
		}
		want := totals{Sites: 8, Products: 24, Users: 32, Apps: 15, Records: 40, LiveSites: 8, LiveProducts: 24, LiveUsers: 32, LiveApps: 15}
		if got := snapshot(t, pool); got != want {
			t.Fatalf("after the run: %+v, want %+v", got, want)
		}
	})

	t.Run("corrupt mode rewrites the listed sites' records and leaves updated_at", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		ctx := context.Background()
		ids := []int64{sites[0].ID, sites[3].ID, sites[4].AppIDs[0]} // an app id holds no records: skipped
		before := recordsOf(t, pool)
		rep, log, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModeCorrupt, Batch: 1})
		if err != nil {
			t.Fatalf("run: %v\n%s", err, log)
		}
		if d := (legacycleanup.Counts{Tenants: 2, Records: 10}); rep.Done != d || rep.Plan.Total != d || rep.AffectedSites != 2 || rep.Skipped != 1 || rep.Batches != 3 {
			t.Fatalf("done %+v affected %d skipped %d batches %d, want %+v, 2 sites, 1 skipped, 3 batches\n%s", rep.Done, rep.AffectedSites, rep.Skipped, rep.Batches, d, log)
		}
		if got := snapshot(t, pool); got != seeded {
			t.Fatalf("corrupt mode removed rows: %+v", got)
		}
		listed := map[int64]bool{sites[0].ID: true, sites[3].ID: true}
		for id, r := range recordsOf(t, pool) {
			b := before[id]
			if !r.updated.Equal(b.updated) {
				t.Fatalf("record %d: updated_at moved from %v to %v", id, b.updated, r.updated)
			}
			if changed := r.value != b.value; changed != listed[r.site] || (changed && !strings.HasPrefix(r.value, "corrupt:")) {
				t.Fatalf("record %d of site %d: value %q → %q (listed %v)", id, r.site, b.value, r.value, listed[r.site])
			}
		}
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM records WHERE value LIKE 'corrupt:%'").Scan(&n); err != nil || n != 10 {
			t.Fatalf("%d corrupt records (%v), want 10", n, err)
		}
		// The guardrails hold as for the other modes.
		if _, _, err := run(t, pool, ids, legacycleanup.Options{Mode: legacycleanup.ModeCorrupt, Guardrails: legacycleanup.Guardrails{MaxScope: 1}}); !errors.Is(err, legacycleanup.ErrRefused) {
			t.Fatalf("max-scope 1 over 2 sites: %v, want refused", err)
		}
	})

	t.Run("truncate mode empties the table of every tenant", func(t *testing.T) {
		pool := db.NewDatabase(t)
		pgtest.Seed(t, pool, shape)
		for _, c := range []struct {
			name string
			g    legacycleanup.Guardrails
			msg  string
		}{
			{"check-kind", legacycleanup.Guardrails{CheckKind: true}, "truncate mode removes no"},
			{"max-scope", legacycleanup.Guardrails{MaxScope: 9}, "--max-scope 9: 10 sites would be affected (rows of records)"},
		} {
			_, log, err := run(t, pool, nil, legacycleanup.Options{Mode: legacycleanup.ModeTruncate, Table: "records", Guardrails: c.g})
			if !errors.Is(err, legacycleanup.ErrRefused) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("%s: err %v, want refused with %q\n%s", c.name, err, c.msg, log)
			}
		}
		rep, log, err := run(t, pool, nil, legacycleanup.Options{Mode: legacycleanup.ModeTruncate, Table: "records", Guardrails: legacycleanup.Guardrails{DryRun: true}})
		if err != nil || rep.Plan.Total.Records != 50 || rep.Plan.AffectedSites != 10 || rep.Plan.Total.Tenants != 5 {
			t.Fatalf("dry run: %+v affected %d, %v\n%s", rep.Plan.Total, rep.Plan.AffectedSites, err, log)
		}
		if got := snapshot(t, pool); got != seeded {
			t.Fatalf("refused or dry runs changed data: %+v", got)
		}
		rep, log, err = run(t, pool, nil, legacycleanup.Options{Mode: legacycleanup.ModeTruncate, Table: "records"})
		if err != nil || rep.Done.Records != 50 || rep.Batches != 1 {
			t.Fatalf("truncate: done %+v batches %d, %v\n%s", rep.Done, rep.Batches, err, log)
		}
		want := seeded
		want.Records = 0
		if got := snapshot(t, pool); got != want {
			t.Fatalf("after truncate: %+v, want %+v", got, want)
		}
		for _, opts := range []legacycleanup.Options{
			{Mode: legacycleanup.ModeTruncate, Table: "sites"},
			{Mode: legacycleanup.ModeTruncate},
			{Mode: legacycleanup.ModePurge, Table: "records"},
		} {
			if _, _, err := run(t, pool, []int64{1}, opts); !errors.Is(err, legacycleanup.ErrBadInput) {
				t.Errorf("%+v: err %v, want bad input", opts, err)
			}
		}
	})

	t.Run("a database not the run's changes nothing", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		ids := []int64{sites[0].ID, sites[1].ID}
		var log bytes.Buffer
		opts := legacycleanup.Options{RunID: testRun, Mode: legacycleanup.ModePurge, Log: &log}
		_, err := legacycleanup.Run(context.Background(), pool, ids, opts)
		if !errors.Is(err, dbmark.ErrNotADrill) || !strings.Contains(err.Error(), "no drdrill_meta table") || legacycleanup.ExitCode(err) != legacycleanup.ExitNotADrill {
			t.Fatalf("unmarked: err = %v (exit %d), want ErrNotADrill naming the missing table, exit 4", err, legacycleanup.ExitCode(err))
		}
		if err := dbmark.Write(context.Background(), pool, "another-run"); err != nil {
			t.Fatal(err)
		}
		_, err = legacycleanup.Run(context.Background(), pool, ids, opts)
		if !errors.Is(err, dbmark.ErrNotADrill) || !strings.Contains(err.Error(), `belongs to run "another-run"`) {
			t.Fatalf("another run's: err = %v, want ErrNotADrill naming the run", err)
		}
		if got := snapshot(t, pool); got != seeded {
			t.Fatalf("a refused run changed data: %+v", got)
		}
		if strings.Contains(log.String(), "batch") {
			t.Fatalf("a refused run started a batch:\n%s", log.String())
		}
	})

	t.Run("a marker changed mid-run stops the next batch", func(t *testing.T) {
		pool := db.NewDatabase(t)
		sites := pgtest.Seed(t, pool, shape)
		if err := dbmark.Write(context.Background(), pool, testRun); err != nil {
			t.Fatal(err)
		}
		// The log line of the first commit swaps the mark, before the second batch begins.
		log := &hookWriter{on: "batch 1/2 committed", do: func() {
			if err := dbmark.Write(context.Background(), pool, "swapped"); err != nil {
				t.Error(err)
			}
		}}
		rep, err := legacycleanup.Run(context.Background(), pool, []int64{sites[0].ID, sites[1].ID}, legacycleanup.Options{RunID: testRun, Mode: legacycleanup.ModePurge, Batch: 1, Log: log})
		if !errors.Is(err, dbmark.ErrNotADrill) || rep.Batches != 1 {
			t.Fatalf("err = %v after %d batches, want ErrNotADrill after 1\n%s", err, rep.Batches, log.b.String())
		}
		if got := snapshot(t, pool); got.Sites != seeded.Sites-1 {
			t.Fatalf("%d sites left, want %d (only the first batch)", got.Sites, seeded.Sites-1)
		}
	})

	t.Run("bad options", func(t *testing.T) {
		pool := db.NewDatabase(t)
		for _, c := range []struct {
			name string
			ids  []int64
			opts legacycleanup.Options
		}{
			{"unknown mode", []int64{1}, legacycleanup.Options{Mode: "delete"}},
			{"no ids", nil, legacycleanup.Options{Mode: legacycleanup.ModeMark}},
			{"negative batch", []int64{1}, legacycleanup.Options{Mode: legacycleanup.ModeMark, Batch: -1}},
		} {
			if _, _, err := run(t, pool, c.ids, c.opts); !errors.Is(err, legacycleanup.ErrBadInput) {
				t.Errorf("%s: err = %v, want ErrBadInput", c.name, err)
			}
		}
		if _, err := legacycleanup.Run(context.Background(), pool, []int64{1}, legacycleanup.Options{Mode: legacycleanup.ModePurge}); !errors.Is(err, legacycleanup.ErrBadInput) || !strings.Contains(err.Error(), "no run id") {
			t.Errorf("no run id: err = %v, want ErrBadInput", err)
		}
	})
}

// hookWriter collects the log and calls do once, when a write contains on.
type hookWriter struct {
	b    bytes.Buffer
	on   string
	do   func()
	done bool
}

func (w *hookWriter) Write(p []byte) (int, error) {
	w.b.Write(p)
	if !w.done && strings.Contains(string(p), w.on) {
		w.done = true
		w.do()
	}
	return len(p), nil
}

func itoa(n int64) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

type record struct {
	site    int64
	value   string
	updated time.Time
}

// recordsOf reads every record by id.
func recordsOf(t *testing.T, pool *pgxpool.Pool) map[int64]record {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT id, site_id, value, updated_at FROM records")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]record{}
	var id int64
	var r record
	if _, err := pgx.ForEachRow(rows, []any{&id, &r.site, &r.value, &r.updated}, func() error { out[id] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
