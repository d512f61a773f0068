package purge

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/internal/pgtest"
)

// seedSQL makes two orgs, workspaces 10 and 11 (org 1) and 20 (org 2), each with 2 members
// and 3 pages, each page with 2 comments, and 2 comments whose page_ref names no page.
const seedSQL = `TRUNCATE orgs, workspaces, members, pages, comments;
INSERT INTO orgs VALUES (1, 'one', 'billing@one.test', now()), (2, 'two', 'billing@two.test', now());
INSERT INTO workspaces VALUES (10, 1, 'w10', now(), NULL), (11, 1, 'w11', now(), NULL), (20, 2, 'w20', now(), NULL);
INSERT INTO members SELECT w * 10 + k, w, 'm' || k || '@test', 'editor', now()
	FROM unnest(ARRAY[10, 11, 20]) w, generate_series(1, 2) k;
INSERT INTO pages SELECT w * 100 + k, w, 'p' || k, 'text', now()
	FROM unnest(ARRAY[10, 11, 20]) w, generate_series(1, 3) k;
INSERT INTO comments SELECT p.id * 10 + k, p.id, 'ann', 'nice', now() FROM pages p, generate_series(1, 2) k;
INSERT INTO comments VALUES (1, 77, 'ann', 'orphan', now()), (2, 78, 'ann', 'orphan', now());`

func startDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := pgtest.Start(t, pgtest.Options{})
	pool := db.Pool(t)
	schema, err := os.ReadFile("../schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(schema)); err != nil {
		t.Fatalf("apply schema.sql: %v", err)
	}
	return pool
}

// state is the database in one line: workspaces (* when marked), then row counts.
func state(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `SELECT
		'ws=' || coalesce((SELECT string_agg(id || CASE WHEN deleted_at IS NULL THEN '' ELSE '*' END, ',' ORDER BY id) FROM workspaces), '')
		|| ' members=' || (SELECT count(*) FROM members) || ' pages=' || (SELECT count(*) FROM pages)
		|| ' comments=' || (SELECT count(*) FROM comments)
		|| ' orphans=' || (SELECT count(*) FROM comments WHERE page_ref NOT IN (SELECT id FROM pages))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const seeded = "ws=10,11,20 members=6 pages=9 comments=20 orphans=2"

func TestRun(t *testing.T) {
	pool := startDB(t)
	tests := []struct {
		name    string
		opts    Options
		premark string // SQL run after seeding
		code    int
		state   string
		out     []string
	}{
		{"purge removes the workspaces, their members, pages and pages' comments",
			Options{IDs: []int64{10, 999}}, "", ExitDone,
			"ws=11,20 members=4 pages=6 comments=14 orphans=2",
			[]string{"purge: batch 1/1: 2 ids, 1 workspaces deleted, 6 comments deleted", "purge: done:"}},
		{"purge in batches",
			Options{IDs: []int64{10, 11, 20, 30}, Batch: 2}, "", ExitDone,
			"ws= members=0 pages=0 comments=2 orphans=2",
			[]string{"purge: batch 1/2: 2 ids, 2 workspaces deleted, 12 comments deleted",
				"purge: batch 2/2: 2 ids, 1 workspaces deleted, 6 comments deleted",
				"purge: done: 4 ids in 2/2 batches, 3 workspaces deleted"}},
		{"purge takes marked workspaces too",
			Options{IDs: []int64{10}}, "UPDATE workspaces SET deleted_at = now() WHERE id = 10", ExitDone,
			"ws=11,20 members=4 pages=6 comments=14 orphans=2", nil},
		{"mark hides, deletes nothing",
			Options{IDs: []int64{10, 11}, Mode: ModeMark}, "", ExitDone,
			"ws=10*,11*,20 members=6 pages=9 comments=20 orphans=2",
			[]string{"mark: batch 1/1: 2 ids, 2 workspaces marked"}},
		{"mark skips what is marked already",
			Options{IDs: []int64{10, 11}, Mode: ModeMark}, "UPDATE workspaces SET deleted_at = now() WHERE id = 10", ExitDone,
			"ws=10*,11*,20 members=6 pages=9 comments=20 orphans=2",
			[]string{"mark: batch 1/1: 2 ids, 1 workspaces marked"}},
		{"dry run changes nothing",
			Options{IDs: []int64{10, 11, 20}, Guardrails: Guardrails{DryRun: true}}, "", ExitDone, seeded,
			[]string{"purge would delete 3 workspaces, 6 members, 9 pages, 18 comments", "purge: dry run: nothing changed"}},
		{"check-kind refuses ids that are not workspaces",
			Options{IDs: []int64{10, 999, 998}, Guardrails: Guardrails{CheckKind: true}}, "", ExitRefused, seeded,
			[]string{"2 not workspaces"}},
		{"check-kind passes workspace ids",
			Options{IDs: []int64{20}, Guardrails: Guardrails{CheckKind: true}}, "", ExitDone,
			"ws=10,11 members=4 pages=6 comments=14 orphans=2", nil},
		{"check-kind refuses even a dry run",
			Options{IDs: []int64{1}, Guardrails: Guardrails{CheckKind: true, DryRun: true}}, "", ExitRefused, seeded, nil},
		{"max-scope refuses more workspaces",
			Options{IDs: []int64{10, 11, 999}, Guardrails: Guardrails{MaxScope: 1}}, "", ExitRefused, seeded, nil},
		{"max-scope counts workspaces, not ids",
			Options{IDs: []int64{10, 11, 999}, Guardrails: Guardrails{MaxScope: 2}}, "", ExitDone,
			"ws=20 members=2 pages=3 comments=8 orphans=2", nil},
		{"max-scope in mark mode counts live workspaces",
			Options{IDs: []int64{10, 11}, Mode: ModeMark, Guardrails: Guardrails{MaxScope: 1}},
			"UPDATE workspaces SET deleted_at = now() WHERE id = 10", ExitDone,
			"ws=10*,11*,20 members=6 pages=9 comments=20 orphans=2", nil},
		{"no ids is bad input", Options{}, "", ExitBadInput, seeded, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := pool.Exec(ctx, seedSQL); err != nil {
				t.Fatalf("seed: %v", err)
			}
			if tt.premark != "" {
				if _, err := pool.Exec(ctx, tt.premark); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := Run(ctx, pool, tt.opts, &out)
			if code := ExitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tt.code, out.String())
			}
			if got := state(t, pool); got != tt.state {
				t.Errorf("state %q, want %q", got, tt.state)
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestRunRefusalMessage(t *testing.T) {
	pool := startDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, seedSQL); err != nil {
		t.Fatalf("seed: %v", err)
	}
	tests := []struct {
		guard Guardrails
		ids   []int64
		want  string
	}{
		{Guardrails{CheckKind: true}, []int64{10, 5, 11, 6}, "refused by guardrail check-kind: 2 of 4 ids are not workspaces (first: 5, 6)"},
		{Guardrails{MaxScope: 2}, []int64{10, 11, 20}, "refused by guardrail max-scope: 3 workspaces would be affected, more than max-scope=2"},
	}
	for _, tt := range tests {
		t.Run(tt.guard.String(), func(t *testing.T) {
			err := Run(ctx, pool, Options{IDs: tt.ids, Guardrails: tt.guard}, &bytes.Buffer{})
			if !errors.Is(err, ErrRefused) || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if got := state(t, pool); got != seeded {
		t.Errorf("state after refusals %q, want %q", got, seeded)
	}
}

// TestRunDatabaseError needs no server: nothing listens on port 1.
func TestRunDatabaseError(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/notes?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var out bytes.Buffer
	err = Run(context.Background(), pool, Options{IDs: []int64{1}}, &out)
	if code := ExitCode(err); code != ExitError || !strings.Contains(err.Error(), "plan:") {
		t.Fatalf("exit %d (%v), want %d from the plan\n%s", code, err, ExitError, out.String())
	}
}
