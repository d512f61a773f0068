package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/saas"
)

// TestReferenceStack is the foundation end to end on real containers: start the stack, seed
// 50 tenants, read them back through the HTTP API, verify the manifest, permanently delete one
// site (its products, users, apps and records go with it, its health fails), soft-delete
// another (recoverable), close the stack, and find nothing labelled with the run left.
func TestReferenceStack(t *testing.T) {
	if testing.Short() {
		t.Skip("real containers: not in -short mode")
	}
	ctx := t.Context()
	stack.Configure()
	s, err := stack.Start(ctx, stack.Config{Log: testLog{t}})
	if s != nil {
		t.Cleanup(func() { s.Close(context.Background()) })
	}
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p, err := fixtures.Quick.Set("tenants", "50")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.Seed(ctx, pool, p, 7, nil); err != nil {
		t.Fatal(err)
	}
	gen, err := fixtures.NewGenerator(p, 7)
	if err != nil {
		t.Fatal(err)
	}

	// Every tenant reads back through the API with exactly the sites the generator made.
	for i := range p.Tenants {
		var tn saas.Tenant
		getJSON(t, s.AppURL()+fmt.Sprintf("/v1/tenants/%d", gen.TenantID(i)), http.StatusOK, &tn)
		if want := gen.SitesOf(i); fmt.Sprint(tn.SiteIDs) != fmt.Sprint(want) {
			t.Fatalf("tenant %d: API sites %v, generator %v", tn.ID, tn.SiteIDs, want)
		}
	}
	before, err := fixtures.TakeManifest(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Tenants) != p.Tenants {
		t.Fatalf("manifest has %d tenants, want %d", len(before.Tenants), p.Tenants)
	}
	rows := p.Rows()
	for _, table := range saas.Tables {
		var n int64
		for _, tm := range before.Tenants {
			n += tm.Tables[table].Rows
		}
		if n != rows[table] {
			t.Errorf("manifest counts %d %s, the profile seeds %d", n, table, rows[table])
		}
	}
	again, err := fixtures.TakeManifest(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := before.Diff(again); len(d) != 0 {
		t.Fatalf("manifest not stable: %d tenants differ", len(d))
	}

	// A permanent delete takes the site's products, users, apps and records with it.
	hard, soft := gen.SitesOf(0)[0], gen.SitesOf(1)[0]
	var site saas.Site
	getJSON(t, fmt.Sprintf("%s/v1/sites/%d", s.AppURL(), hard), http.StatusOK, &site)
	if c := site.Counts; c == nil || c.Products == 0 || c.Users == 0 || c.Apps == 0 || c.Records == 0 {
		t.Fatalf("site %d before delete: counts %+v", hard, site.Counts)
	}
	// Destructive routes answer only to the run's admin token.
	do(t, http.MethodDelete, fmt.Sprintf("%s/v1/sites/%d?mode=hard", s.AppURL(), hard), http.StatusUnauthorized)
	do(t, http.MethodDelete, fmt.Sprintf("%s/v1/sites/%d?mode=hard", s.AppURL(), hard), http.StatusUnauthorized, "not-the-token")
	do(t, http.MethodDelete, fmt.Sprintf("%s/v1/sites/%d?mode=hard", s.AppURL(), hard), http.StatusOK, s.AdminToken())
	for _, table := range []string{"products", "users", "apps", "records"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE site_id = $1", hard).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d %s of site %d remain after a permanent delete", n, table, hard)
		}
	}
	var h saas.Health
	getJSON(t, fmt.Sprintf("%s/v1/sites/%d/health", s.AppURL(), hard), http.StatusServiceUnavailable, &h)
	if h.Status != saas.StatusMissing {
		t.Errorf("health of a purged site: %q, want %q", h.Status, saas.StatusMissing)
	}

	// A soft delete fails health and is recoverable whole.
	do(t, http.MethodDelete, fmt.Sprintf("%s/v1/sites/%d?mode=soft", s.AppURL(), soft), http.StatusOK, s.AdminToken())
	getJSON(t, fmt.Sprintf("%s/v1/sites/%d/health", s.AppURL(), soft), http.StatusServiceUnavailable, &h)
	if h.Status != saas.StatusDeleted {
		t.Errorf("health of a soft-deleted site: %q, want %q", h.Status, saas.StatusDeleted)
	}
	do(t, http.MethodPost, fmt.Sprintf("%s/v1/sites/%d/restore", s.AppURL(), soft), http.StatusOK)
	getJSON(t, fmt.Sprintf("%s/v1/sites/%d/health", s.AppURL(), soft), http.StatusOK, &h)
	after, err := fixtures.TakeManifest(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	diff := before.Diff(after)
	if len(diff) != 1 || diff[0].Tenant != gen.TenantID(0) {
		t.Errorf("after the purge and the undone soft delete, tenants differing: %+v; want only tenant %d", diff, gen.TenantID(0))
	}

	pool.Close()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := stack.Remaining(ctx, s.RunID()); err != nil || n != 0 {
		t.Errorf("%d resources labelled with run %s remain after Close (err %v)", n, s.RunID(), err)
	}
}

func getJSON(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d", url, resp.Status, status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// do sends a request (with the admin token, when one is given) and wants status.
func do(t *testing.T, method, url string, status int, token ...string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range token {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %s, want %d", method, url, resp.Status, status)
	}
}

// TestStackPgBackRestOptions drills a stack file that chooses pgBackRest with the team's own
// stanza and options: the configuration every container gets holds them, the repository's backup files are
// compressed as they say (zst, not drdrill's lz4), and tenant-restore brings every tenant back.
func TestStackPgBackRestOptions(t *testing.T) {
	s, err := LoadStack("testdata/notes-pgbackrest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if tool := (Config{Stack: s}).Tool(); tool != stack.PgBackRest {
		t.Fatalf("tool %q, want pgbackrest from the stack file", tool)
	}
	d := testDrill(t, Config{Scenario: "stack file pgbackrest options", Stack: s, Tenants: 20})
	ctx := t.Context()
	code, conf, err := d.st.Exec(ctx, stack.DB, []string{"cat", stack.PgBackRestConf})
	if err != nil || code != 0 {
		t.Fatalf("read %s: exit %d, %v", stack.PgBackRestConf, code, err)
	}
	for _, want := range []string{"compress-type=zst\n", "compress-level=3\n", "process-max=2\n", "repo1-path=" + stack.RepoDir + "\n", "[notes-prod]\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("pgbackrest.conf lacks %q:\n%s", want, conf)
		}
	}
	code, files, err := d.st.Exec(ctx, stack.DB, []string{"sh", "-c", "ls " + stack.RepoDir + "/backup/" + d.st.Stanza() + "/*/pg_data/PG_VERSION*"})
	if err != nil || code != 0 || !strings.Contains(files, "PG_VERSION.zst") {
		t.Errorf("backup files %q (exit %d, %v): want them zst-compressed", files, code, err)
	}
	purgeAndRestore(t, d)
	if sm := d.Results().Summary; sm.AffectedTenants == 0 || sm.RestoredTenants != sm.AffectedTenants {
		t.Errorf("restored %d of %d affected tenants", sm.RestoredTenants, sm.AffectedTenants)
	}
	if got := d.Results().Params.BackupTool; got != "pgbackrest" {
		t.Errorf("results say backup tool %q", got)
	}
}

// TestStackSeedCommand drills a stack seeded by its own command: drdrill takes the rows the
// command made (counted against the SQL it ran), lists the units, chooses the faulty list among
// them, and restores every tenant the incident hit.
func TestStackSeedCommand(t *testing.T) {
	s, err := LoadStack("testdata/notes-seedcommand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := testDrill(t, Config{Scenario: "stack file seeding command", Stack: s})
	want := map[string]int64{"orgs": 30, "workspaces": 60, "members": 180, "pages": 600, "comments": 1200}
	if got := d.SeedStats().Rows; !maps.Equal(got, want) {
		t.Errorf("seeded rows %v, want what the command inserted: %v", got, want)
	}
	if len(d.sites) != 60 || len(d.targets.SiteIDs) != d.profile.VictimSites || len(d.targets.Tenants) != d.profile.VictimTenants {
		t.Errorf("%d units, faulty list of %d units of %d tenants; want 60 units and the profile's %d of %d",
			len(d.sites), len(d.targets.SiteIDs), len(d.targets.Tenants), d.profile.VictimSites, d.profile.VictimTenants)
	}
	purgeAndRestore(t, d)
	r := d.Results()
	if r.Incident.AffectedSites != d.profile.VictimSites || r.Summary.RestoredTenants != r.Summary.AffectedTenants {
		t.Errorf("incident took %d units; restored %d of %d tenants", r.Incident.AffectedSites, r.Summary.RestoredTenants, r.Summary.AffectedTenants)
	}
}

// purgeAndRestore runs the faulty script in purge mode with the unit IDs, tenant-restore, and
// ends the drill.
func purgeAndRestore(t *testing.T, d *Drill) {
	t.Helper()
	ctx := t.Context()
	if err := d.RunIncident(ctx, IncidentSpec{Mode: "purge", IDKind: "site"}); err != nil {
		t.Fatal(err)
	}
	if err := d.RunRunbook(ctx, "tenant-restore"); err != nil {
		t.Fatal(err)
	}
	if err := d.End(ctx); err != nil {
		t.Fatal(err)
	}
}
