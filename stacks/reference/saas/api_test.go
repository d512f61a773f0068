package saas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// api is a small client over the handler under test.
type api struct {
	t     *testing.T
	url   string
	token string // sent as the admin token when set
}

// testToken is the admin token of the handlers under test.
const testToken = "test-admin-token"

func (a api) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// must does the request, checks the status and decodes the body into v (when not nil).
func (a api) must(method, path string, body any, want int, v any) {
	a.t.Helper()
	status, out := a.do(method, path, body)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

func newAPI(t *testing.T, pool *pgxpool.Pool) api {
	srv := httptest.NewServer(saas.NewHandler(pool, saas.Options{AdminToken: testToken}))
	t.Cleanup(srv.Close)
	return api{t: t, url: srv.URL, token: testToken}
}

// seedSite creates through the API a tenant with one site holding products, users, apps and
// records, and returns the site.
func seedSite(a api, host string, products, users, apps, records int) saas.Site {
	a.t.Helper()
	var tn saas.Tenant
	a.must("POST", "/v1/tenants", map[string]string{"name": "Acme " + host, "plan": "premium"}, 201, &tn)
	var s saas.Site
	a.must("POST", fmt.Sprintf("/v1/tenants/%d/sites", tn.ID), map[string]string{"hostname": host}, 201, &s)
	for i := range products {
		a.must("POST", fmt.Sprintf("/v1/sites/%d/products", s.ID), map[string]any{"kind": fmt.Sprint("p", i), "seats": 5}, 201, nil)
	}
	for i := range users {
		a.must("POST", fmt.Sprintf("/v1/sites/%d/users", s.ID), map[string]any{"email": fmt.Sprintf("u%d@%s", i, host), "name": "U"}, 201, nil)
	}
	for i := range apps {
		a.must("POST", fmt.Sprintf("/v1/sites/%d/apps", s.ID), map[string]any{"app_key": fmt.Sprint("app", i)}, 201, nil)
	}
	for i := range records {
		a.must("PUT", fmt.Sprintf("/v1/sites/%d/records/seed-%03d", s.ID, i), map[string]any{"value": "v"}, 201, nil)
	}
	return s
}

func count(t *testing.T, pool *pgxpool.Pool, table string, siteID int64) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE site_id = $1", siteID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAPI(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	db.Migrate(t)
	pool := db.Pool(t)
	a := newAPI(t, pool)

	t.Run("create and read back", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		s := seedSite(a, "read.example.com", 2, 3, 1, 4)
		var tn saas.Tenant
		a.must("GET", fmt.Sprintf("/v1/tenants/%d", s.TenantID), nil, 200, &tn)
		if tn.Name != "Acme read.example.com" || tn.Plan != "premium" || len(tn.SiteIDs) != 1 || tn.SiteIDs[0] != s.ID {
			t.Fatalf("tenant read back = %+v", tn)
		}
		var got saas.Site
		a.must("GET", fmt.Sprintf("/v1/sites/%d", s.ID), nil, 200, &got)
		want := saas.SiteCounts{Products: 2, Users: 3, Apps: 1, Records: 4, LiveProducts: 2, LiveUsers: 3, LiveApps: 1}
		if got.Hostname != "read.example.com" || got.Counts == nil || *got.Counts != want {
			t.Fatalf("site read back = %+v counts %+v, want %+v", got, got.Counts, want)
		}
		var ps []saas.Product
		a.must("GET", fmt.Sprintf("/v1/sites/%d/products", s.ID), nil, 200, &ps)
		var us []saas.User
		a.must("GET", fmt.Sprintf("/v1/sites/%d/users", s.ID), nil, 200, &us)
		var as []saas.App
		a.must("GET", fmt.Sprintf("/v1/sites/%d/apps", s.ID), nil, 200, &as)
		if len(ps) != 2 || len(us) != 3 || len(as) != 1 || ps[0].Seats != 5 || as[0].Name != "app0" || as[0].Version != "1.0.0" {
			t.Fatalf("lists: %d products %d users %d apps: %+v %+v", len(ps), len(us), len(as), ps, as)
		}
		var recs []saas.Record
		a.must("GET", fmt.Sprintf("/v1/sites/%d/records?prefix=seed-00&limit=3", s.ID), nil, 200, &recs)
		if len(recs) != 3 || recs[0].Key != "seed-000" || recs[2].Key != "seed-002" {
			t.Fatalf("records with prefix and limit = %+v", recs)
		}
		a.must("GET", fmt.Sprintf("/v1/sites/%d/records?prefix=nope", s.ID), nil, 200, &recs)
		if len(recs) != 0 {
			t.Fatalf("records with an unmatched prefix = %+v", recs)
		}
	})

	t.Run("record upsert 201 then 200", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		s := seedSite(a, "upsert.example.com", 1, 1, 0, 0)
		path := fmt.Sprintf("/v1/sites/%d/records/live-1", s.ID)
		var r1, r2, r3 saas.Record
		a.must("PUT", path, map[string]string{"value": "one"}, 201, &r1)
		a.must("PUT", path, map[string]string{"value": "two"}, 200, &r2)
		a.must("GET", path, nil, 200, &r3)
		if r1.ID != r2.ID || r3.Value != "two" || r3.SiteID != s.ID || r3.TenantID != s.TenantID || r3.Key != "live-1" {
			t.Fatalf("upsert: %+v then %+v, read %+v", r1, r2, r3)
		}
		if !r2.UpdatedAt.After(r1.UpdatedAt) && !r2.UpdatedAt.Equal(r1.UpdatedAt) {
			t.Fatalf("updated_at went back: %v then %v", r1.UpdatedAt, r2.UpdatedAt)
		}
		var n int64
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM records WHERE site_id=$1 AND key='live-1' AND value='two'", s.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("committed row: n=%d err=%v", n, err)
		}
	})

	t.Run("validation and not found", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		s := seedSite(a, "valid.example.com", 1, 1, 0, 0)
		site := fmt.Sprintf("/v1/sites/%d", s.ID)
		long := strings.Repeat("k", saas.MaxKeyBytes+1)
		cases := []struct {
			name, method, path string
			body               any
			status             int
			msg                string // a substring of the error message
		}{
			{"non-numeric site id", "GET", "/v1/sites/abc/health", nil, 400, `site id "abc" is not a positive integer`},
			{"negative site id", "PUT", "/v1/sites/-4/records/k", `{"value":"x"}`, 400, `site id "-4"`},
			{"non-numeric tenant id", "GET", "/v1/tenants/x1", nil, 400, `tenant id "x1"`},
			{"empty value", "PUT", site + "/records/k", `{"value":""}`, 400, "value must not be empty"},
			{"missing value", "PUT", site + "/records/k", `{}`, 400, "value is missing"},
			{"key too long", "PUT", site + "/records/" + long, `{"value":"x"}`, 400, "key is 201 bytes, more than the 200 allowed"},
			{"bad JSON", "PUT", site + "/records/k", `{"value":`, 400, "bad JSON body"},
			{"value not a string", "PUT", site + "/records/k", `{"value":5}`, 400, "bad JSON body"},
			{"two JSON values", "PUT", site + "/records/k", `{"value":"a"}{}`, 400, "more than one JSON value"},
			{"empty body", "POST", "/v1/tenants", "", 400, "empty body"},
			{"tenant without name", "POST", "/v1/tenants", `{"plan":"free"}`, 400, "name must not be empty"},
			{"bad hostname", "POST", fmt.Sprintf("/v1/tenants/%d/sites", s.TenantID), `{"hostname":"a b"}`, 400, `character ' ' at byte 1`},
			{"duplicate hostname", "POST", fmt.Sprintf("/v1/tenants/%d/sites", s.TenantID), `{"hostname":"valid.example.com"}`, 409, "already exists (request "},
			{"NUL in a prefix", "GET", site + "/records?prefix=a%00b", nil, 400, "prefix contains a NUL byte"},
			{"bad UTF-8 in a prefix", "GET", site + "/records?prefix=%ff%fe", nil, 400, "prefix is not valid UTF-8"},
			{"bad email", "POST", site + "/users", `{"email":"nobody","name":"N"}`, 400, `email "nobody"`},
			{"negative seats", "POST", site + "/products", `{"kind":"jira","seats":-1}`, 400, "seats -1"},
			{"bad limit", "GET", site + "/records?limit=0", nil, 400, `limit "0"`},
			{"bad delete mode", "DELETE", site + "?mode=purge", nil, 400, `mode "purge": want soft or hard`},
			{"unknown site", "GET", "/v1/sites/999/records/k", nil, 404, "site 999 not found or deleted"},
			{"unknown site write", "PUT", "/v1/sites/999/records/k", `{"value":"x"}`, 404, "site 999 not found or deleted"},
			{"unknown record", "GET", site + "/records/nope", nil, 404, `record "nope" of site`},
			{"unknown tenant", "GET", "/v1/tenants/999", nil, 404, "tenant 999 not found"},
			{"unknown tenant site", "POST", "/v1/tenants/999/sites", `{"hostname":"x.example.com"}`, 404, "tenant 999 not found"},
			{"no route", "GET", "/v2/nothing", nil, 404, "no route GET /v2/nothing"},
			{"wrong method", "PATCH", site + "/records/k", nil, 405, "allowed: GET, PUT"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, out := api{t: t, url: a.url, token: a.token}.do(c.method, c.path, c.body)
				var e saas.Error
				if err := json.Unmarshal(out, &e); err != nil {
					t.Fatalf("body %q is not a JSON error: %v", out, err)
				}
				if status != c.status || !strings.Contains(e.Error, c.msg) {
					t.Fatalf("%s %s: %d %q, want %d containing %q", c.method, c.path, status, e.Error, c.status, c.msg)
				}
				// No answer shows the database's own words (constraint names, key values, SQL).
				for _, db := range []string{"duplicate key", "violates", "Key (", "SQLSTATE", "constraint"} {
					if strings.Contains(e.Error, db) {
						t.Errorf("%s %s: the answer %q shows the database's error text", c.method, c.path, e.Error)
					}
				}
			})
		}
	})

	t.Run("health healthy, soft-deleted, restored, degraded", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		s := seedSite(a, "soft.example.com", 1, 2, 2, 3)
		health := fmt.Sprintf("/v1/sites/%d/health", s.ID)
		expect := func(status int, want string) {
			t.Helper()
			var h saas.Health
			a.must("GET", health, nil, status, &h)
			if h.Status != want || h.Site != s.ID {
				t.Fatalf("health = %+v, want %s", h, want)
			}
		}
		expect(200, saas.StatusHealthy)

		// An app removed on its own before the site's soft delete must stay removed after the
		// site's restore.
		var apps []saas.App
		a.must("GET", fmt.Sprintf("/v1/sites/%d/apps", s.ID), nil, 200, &apps)
		if _, err := pool.Exec(context.Background(), "UPDATE apps SET deleted_at = now() - interval '1 hour' WHERE id = $1", apps[0].ID); err != nil {
			t.Fatal(err)
		}

		var del saas.DeleteResult
		a.must("DELETE", fmt.Sprintf("/v1/sites/%d?mode=soft", s.ID), nil, 200, &del)
		if want := (saas.DeleteResult{Site: s.ID, Mode: "soft", Sites: 1, Products: 1, Users: 2, Apps: 1, Records: 3}); del != want {
			t.Fatalf("soft delete = %+v, want %+v", del, want)
		}
		expect(503, saas.StatusDeleted)
		a.must("PUT", fmt.Sprintf("/v1/sites/%d/records/live-x", s.ID), map[string]string{"value": "x"}, 404, nil)
		a.must("GET", fmt.Sprintf("/v1/sites/%d/records", s.ID), nil, 404, nil)
		var tn saas.Tenant
		a.must("GET", fmt.Sprintf("/v1/tenants/%d", s.TenantID), nil, 200, &tn)
		if len(tn.SiteIDs) != 0 || len(tn.DeletedSiteIDs) != 1 {
			t.Fatalf("tenant after soft delete = %+v", tn)
		}
		// Soft delete keeps every row.
		for _, table := range []string{"products", "users", "apps", "records"} {
			if n := count(t, pool, table, s.ID); n == 0 {
				t.Fatalf("%s of a soft-deleted site: 0 rows", table)
			}
		}

		var res saas.DeleteResult
		a.must("POST", fmt.Sprintf("/v1/sites/%d/restore", s.ID), nil, 200, &res)
		if want := (saas.DeleteResult{Site: s.ID, Mode: "restore", Sites: 1, Products: 1, Users: 2, Apps: 1, Records: 3}); res != want {
			t.Fatalf("restore = %+v, want %+v", res, want)
		}
		expect(200, saas.StatusHealthy)
		a.must("GET", fmt.Sprintf("/v1/sites/%d/apps", s.ID), nil, 200, &apps)
		if len(apps) != 1 {
			t.Fatalf("apps after restore = %d, want 1 (the one removed before stays removed)", len(apps))
		}

		if _, err := pool.Exec(context.Background(), "UPDATE users SET deleted_at = now() WHERE site_id = $1", s.ID); err != nil {
			t.Fatal(err)
		}
		expect(503, saas.StatusDegraded)
		a.must("GET", "/v1/sites/424242/health", nil, 503, nil)
	})

	t.Run("destructive routes need the admin token", func(t *testing.T) {
		s := seedSite(a, "guarded.example.com", 1, 1, 1, 1)
		path := fmt.Sprintf("/v1/sites/%d?mode=hard", s.ID)
		for _, tok := range []string{"", "wrong-token"} {
			if status, out := (api{t: t, url: a.url, token: tok}).do("DELETE", path, nil); status != http.StatusUnauthorized {
				t.Errorf("DELETE with token %q: %d %s, want 401", tok, status, out)
			}
		}
		a.must("GET", fmt.Sprintf("/v1/sites/%d", s.ID), nil, 200, nil) // still there
		// A service started without a token refuses those routes to everyone.
		open := httptest.NewServer(saas.NewHandler(pool, saas.Options{}))
		defer open.Close()
		if status, out := (api{t: t, url: open.URL, token: testToken}).do("DELETE", path, nil); status != http.StatusForbidden {
			t.Errorf("DELETE on a service without a token: %d %s, want 403", status, out)
		}
		a.must("GET", fmt.Sprintf("/v1/sites/%d", s.ID), nil, 200, nil)
	})

	t.Run("hard delete cascades and health says missing", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		s := seedSite(a, "hard.example.com", 3, 4, 2, 5)
		other := seedSite(a, "bystander.example.com", 1, 1, 1, 1)
		var del saas.DeleteResult
		a.must("DELETE", fmt.Sprintf("/v1/sites/%d?mode=hard", s.ID), nil, 200, &del)
		if want := (saas.DeleteResult{Site: s.ID, Mode: "hard", Sites: 1, Products: 3, Users: 4, Apps: 2, Records: 5}); del != want {
			t.Fatalf("hard delete = %+v, want %+v", del, want)
		}
		for _, table := range []string{"products", "users", "apps", "records"} {
			if n := count(t, pool, table, s.ID); n != 0 {
				t.Fatalf("%s of a hard-deleted site: %d rows, want 0", table, n)
			}
			if n := count(t, pool, table, other.ID); n != 1 {
				t.Fatalf("%s of the bystander site: %d rows, want 1", table, n)
			}
		}
		var h saas.Health
		a.must("GET", fmt.Sprintf("/v1/sites/%d/health", s.ID), nil, 503, &h)
		if h.Status != saas.StatusMissing {
			t.Fatalf("health after hard delete = %+v", h)
		}
		a.must("GET", fmt.Sprintf("/v1/sites/%d/health", other.ID), nil, 200, nil)
		a.must("DELETE", fmt.Sprintf("/v1/sites/%d?mode=hard", s.ID), nil, 404, nil)
		a.must("POST", fmt.Sprintf("/v1/sites/%d/restore", s.ID), nil, 404, nil)
	})

	t.Run("bulk health matches per-site health", func(t *testing.T) {
		a := api{t: t, url: a.url, token: a.token}
		up := seedSite(a, "bulk-up.example.com", 1, 1, 0, 0)
		soft := seedSite(a, "bulk-soft.example.com", 1, 1, 0, 0)
		noUser := seedSite(a, "bulk-nouser.example.com", 1, 0, 0, 0)
		a.must("DELETE", fmt.Sprintf("/v1/sites/%d", soft.ID), nil, 200, nil)
		ids := []int64{noUser.ID, 777777, up.ID, soft.ID}
		var got saas.BulkHealth
		a.must("POST", "/v1/health/sites", map[string]any{"sites": ids}, 200, &got)
		want := []string{saas.StatusDegraded, saas.StatusMissing, saas.StatusHealthy, saas.StatusDeleted}
		if len(got.Sites) != len(ids) || got.Healthy != 1 || got.Down != 3 {
			t.Fatalf("bulk health = %+v", got)
		}
		for i, h := range got.Sites {
			if h.Site != ids[i] || h.Status != want[i] {
				t.Fatalf("site %d: %+v, want %s", ids[i], h, want[i])
			}
			var one saas.Health
			status, body := a.do("GET", fmt.Sprintf("/v1/sites/%d/health", ids[i]), nil)
			if err := json.Unmarshal(body, &one); err != nil || one != h || (status == 200) != (h.Status == saas.StatusHealthy) {
				t.Fatalf("per-site health of %d = %d %+v, bulk said %+v", ids[i], status, one, h)
			}
		}
		var down saas.BulkHealth
		a.must("POST", "/v1/health/sites?list=down", map[string]any{"sites": ids}, 200, &down)
		if down.Healthy != 1 || down.Down != 3 || len(down.Sites) != 3 || down.Sites[0] != got.Sites[0] || down.Sites[1] != got.Sites[1] || down.Sites[2] != got.Sites[3] {
			t.Fatalf("bulk health, down sites only = %+v, want the three of %+v that are not healthy", down, got)
		}
		a.must("POST", "/v1/health/sites", `{"sites":[]}`, 400, nil)
		a.must("POST", "/v1/health/sites?list=some", map[string]any{"sites": ids}, 400, nil)
	})

	t.Run("healthz", func(t *testing.T) {
		api{t: t, url: a.url}.must("GET", "/healthz", nil, 200, nil)
	})
}

// TestSurvivesDatabaseRestart checks that the pool gives 503 while the server is down and comes
// back by itself when a server (here an empty one, as after a restore from scratch) answers
// again at the same address.
func TestSurvivesDatabaseRestart(t *testing.T) {
	db := pgtest.Start(t, pgtest.Options{})
	db.Migrate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := saas.NewPool(ctx, db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a := newAPI(t, pool)
	s := seedSite(a, "restart.example.com", 1, 1, 0, 1)
	a.must("GET", "/healthz", nil, 200, nil)

	kill := 0 * time.Second
	if err := db.Container.Stop(ctx, &kill); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a.must("GET", "/healthz", nil, 503, nil)
	a.must("GET", fmt.Sprintf("/v1/sites/%d/health", s.ID), nil, 503, nil)
	a.must("PUT", fmt.Sprintf("/v1/sites/%d/records/live-1", s.ID), map[string]string{"value": "x"}, 503, nil)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("three requests against a dead database took %v: should fail fast", d)
	}

	if err := db.Container.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	// The restarted server is a fresh cluster: give it the schema and the site back, as a
	// restore would, and the same pool must serve it without a restart of the service.
	db.Migrate(t)
	a.must("GET", "/healthz", nil, 200, nil)
	s2 := seedSite(a, "restart.example.com", 1, 1, 0, 0)
	a.must("GET", fmt.Sprintf("/v1/sites/%d/health", s2.ID), nil, 200, nil)
}
