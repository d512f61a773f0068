package notesd_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stacks/notes/notesd"
	"github.com/drdrill/drdrill/stacks/notes/purge"
)

// step is one request and what it must answer: the status and, when set, a part of the body.
type step struct {
	method, path, body string
	status             int
	want               string
}

func (s step) check(t *testing.T, url string) {
	t.Helper()
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, url+s.path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", s.method, s.path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != s.status || !bytes.Contains(got, []byte(s.want)) {
		t.Errorf("%s %s = %d %s, want %d with %q", s.method, s.path, resp.StatusCode, got, s.status, s.want)
	}
}

const seedSQL = `INSERT INTO orgs VALUES (1, 'one', 'billing@one.test', now()), (2, 'two', 'billing@two.test', now());
INSERT INTO workspaces VALUES (10, 1, 'w10', now(), NULL), (11, 1, 'w11', now(), NULL), (20, 2, 'w20', now(), now());
INSERT INTO pages VALUES (1, 10, 'seeded', 'first', now());
INSERT INTO comments VALUES (1, 1, 'ann', 'nice', now());`

func TestAPI(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	pool := db.Pool(t)
	ctx := context.Background()
	schema, err := os.ReadFile("../schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(schema)); err != nil {
		t.Fatalf("apply schema.sql: %v", err)
	}
	if _, err := pool.Exec(ctx, seedSQL); err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(notesd.NewHandler(pool, notesd.Options{}))
	defer srv.Close()

	before := []step{
		{"GET", "/ready", "", 204, ""},
		{"GET", "/v1/workspaces/10", "", 200, `{"id":10,"org_id":1,"title":"w10"}`},
		{"GET", "/v1/workspaces/20", "", 404, "not found"}, // marked at seeding
		{"GET", "/v1/workspaces/999", "", 404, "not found"},
		{"GET", "/v1/workspaces/ten", "", 400, "not an integer"},
		{"GET", "/v1/workspaces/10/pages/seeded", "", 200, `{"body":"first"}`},
		{"PUT", "/v1/workspaces/10/pages/live-1", `{"body":"v1"}`, 201, ""},
		{"PUT", "/v1/workspaces/10/pages/live-1", `{"body":"v2"}`, 200, ""},
		{"GET", "/v1/workspaces/10/pages/live-1", "", 200, `{"body":"v2"}`},
		{"GET", "/v1/workspaces/10/pages/absent", "", 404, "not found"},
		{"PUT", "/v1/workspaces/11/pages/live-1", `{"body":"other"}`, 201, ""},
		{"PUT", "/v1/workspaces/999/pages/live-1", `{"body":"v"}`, 404, "not found"},
		{"PUT", "/v1/workspaces/20/pages/live-1", `{"body":"v"}`, 404, "not found"},
		{"PUT", "/v1/workspaces/x/pages/live-1", `{"body":"v"}`, 400, "not an integer"},
		{"PUT", "/v1/workspaces/10/pages/live-2", `{"body":`, 400, "bad JSON"},
		{"PUT", "/v1/workspaces/10/pages/live-2", `{"text":"v"}`, 400, "bad JSON"},
		{"PUT", "/v1/workspaces/10/pages/live-2", `{"body":"v"} {}`, 400, "bad JSON"},
		{"PUT", "/v1/workspaces/10/pages/" + strings.Repeat("s", notesd.MaxSlugBytes+1), `{"body":"v"}`, 400, "slug"},
		{"PUT", "/v1/workspaces/10/pages/live-2", `{"body":"` + strings.Repeat("b", notesd.MaxPageBytes+1) + `"}`, 400, "body"},
		{"PUT", "/v1/workspaces/10/pages/live-2", `{"body":"` + strings.Repeat("b", notesd.MaxBodyBytes) + `"}`, 400, "request body"},
		{"GET", "/v1/workspaces/10/pages/live-2", "", 404, ""},
	}
	for _, s := range before {
		s.check(t, srv.URL)
	}

	var out bytes.Buffer
	if err := purge.Run(ctx, pool, purge.Options{IDs: []int64{10}, Mode: purge.ModeMark}, &out); err != nil {
		t.Fatalf("notes-purge mark: %v\n%s", err, out.String())
	}
	after := []step{
		{"GET", "/v1/workspaces/10", "", 404, "not found"},
		{"PUT", "/v1/workspaces/10/pages/live-3", `{"body":"v"}`, 404, "not found"},
		{"PUT", "/v1/workspaces/10/pages/live-1", `{"body":"v3"}`, 404, "not found"},
		{"GET", "/v1/workspaces/10/pages/live-1", "", 404, "not found"},
		{"GET", "/v1/workspaces/11", "", 200, `"title":"w11"`},
		{"GET", "/v1/workspaces/11/pages/live-1", "", 200, `{"body":"other"}`},
	}
	for _, s := range after {
		s.check(t, srv.URL)
	}
	var body string
	if err := pool.QueryRow(ctx, "SELECT body FROM pages WHERE workspace_id = 10 AND slug = 'live-1'").Scan(&body); err != nil || body != "v2" {
		t.Errorf("marked workspace's page = %q, %v; want v2 kept", body, err)
	}

	if err := purge.Run(ctx, pool, purge.Options{IDs: []int64{10}}, &out); err != nil {
		t.Fatalf("notes-purge purge: %v\n%s", err, out.String())
	}
	step{"GET", "/v1/workspaces/10/pages/seeded", "", 404, ""}.check(t, srv.URL)
}

// TestUnavailable needs no server: nothing listens on port 1, so every database answer is 503
// and bad input is still 400.
func TestUnavailable(t *testing.T) {
	pool, err := notesd.NewPool(context.Background(), "postgres://nobody:secret@127.0.0.1:1/notes?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var log bytes.Buffer
	srv := httptest.NewServer(notesd.NewHandler(pool, notesd.Options{ErrorLog: slog.New(slog.NewTextHandler(&log, nil))}))
	defer srv.Close()
	for _, s := range []step{
		{"GET", "/ready", "", 503, "database unavailable"},
		{"GET", "/v1/workspaces/10", "", 503, "database unavailable"},
		{"PUT", "/v1/workspaces/10/pages/p", `{"body":"v"}`, 503, "database unavailable"},
		{"GET", "/v1/workspaces/10/pages/p", "", 503, "database unavailable"},
		{"GET", "/v1/workspaces/ten", "", 400, "not an integer"},
		{"PUT", "/v1/workspaces/10/pages/p", `nope`, 400, "bad JSON"},
	} {
		s.check(t, srv.URL)
	}
	if strings.Contains(log.String(), "secret") {
		t.Errorf("error log holds the password:\n%s", log.String())
	}
	if _, err := notesd.NewPool(context.Background(), "postgres://u:secret@host:notaport/db"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("NewPool(bad URL) = %v, want an error without the password", err)
	}
}
