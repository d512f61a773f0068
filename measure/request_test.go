package measure

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// templateService is a service with another API than the reference one: writes are
// POST /t/{tenant}/w/{unit}/pages/{key} (the tenant must own the unit) answered 201 (new) or 200 (seen before: not a success for this
// stack file), health is GET /w/{unit}/status answered 204 or 503.
// owner is the tenant of each unit of the test, as the URL spells them.
var owner = map[string]string{"1": "100", "2": "200"}

type templateService struct {
	mu     sync.Mutex
	seen   map[string]bool
	n201   int
	down   map[string]bool
	other  int // requests outside the template
	health int // health requests answered
}

func (s *templateService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) == 6 && parts[0] == "t" && owner[parts[3]] == parts[1] {
		parts = parts[2:] // the tenant is the unit's: the rest is the write
	}
	switch {
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "w" && parts[2] == "pages":
		if s.seen[r.URL.Path] {
			w.WriteHeader(http.StatusOK)
			return
		}
		s.seen[r.URL.Path] = true
		s.n201++
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "w" && parts[2] == "status":
		s.health++
		if s.down[parts[1]] {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.other++
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestRequestTemplates drives traffic and the prober through a stack file's templates: only
// the template's success statuses are acknowledged, only its healthy ones count as up.
func TestRequestTemplates(t *testing.T) {
	sites := []SiteRef{{1, 100}, {2, 200}}
	svc := &templateService{seen: map[string]bool{}, down: map[string]bool{"2": true}}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	l, err := CreateLedger(filepath.Join(t.TempDir(), "ledger.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := Request{Method: http.MethodPost, URL: "/t/{tenant}/w/{unit}/pages/{key}", Body: `{"text":"{value}"}`, OK: []int{201}}
	tr, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: srv.URL, Sites: sites, Rate: 200, Ledger: l, Write: write, UpdateShare: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "100 acknowledged writes", 10*time.Second, func() bool { return l.Acked() >= 100 })
	st := tr.Stop()
	svc.mu.Lock()
	created, other := svc.n201, svc.other
	svc.mu.Unlock()
	if st.Acked != int64(created) || other != 0 {
		t.Errorf("acked %d, the service created %d (and saw %d requests outside the template)", st.Acked, created, other)
	}
	if st.Failed["status 200"] == 0 {
		t.Errorf("no 200 counted as a failure (failed: %v): updates answered 200 are not this template's success", st.Failed)
	}

	p, err := StartProber(context.Background(), ProberConfig{BaseURL: srv.URL, Sites: sites, Interval: 20 * time.Millisecond,
		Health: Request{Method: http.MethodGet, URL: "/w/{unit}/status", OK: []int{204}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two probe rounds", 5*time.Second, func() bool {
		svc.mu.Lock()
		defer svc.mu.Unlock()
		return svc.health >= 4
	})
	tl := p.Stop()
	up := map[int64]bool{}
	for _, tr := range tl.Transitions {
		up[tr.Site] = tr.Up
	}
	if !up[1] || up[2] {
		t.Errorf("up = %v, want site 1 up (204) and site 2 down (503)", up)
	}
}

func TestRequestFill(t *testing.T) {
	site := SiteRef{ID: 42, Tenant: 7}
	tests := []struct {
		url, body, key, value string
		wantURL, wantBody     string
	}{
		{"/v1/sites/{unit}/records/{key}", `{"value":"{value}"}`, "live-1", "v1", "/v1/sites/42/records/live-1", `{"value":"v1"}`},
		{"/t/{tenant}/w/{unit}", "", "", "", "/t/7/w/42", ""},
		{"/{unit}{unit}/{nope}/{", "{{key}}", "k", "", "/4242/{nope}/{", "{k}"},
		{"/plain", "no placeholders", "k", "v", "/plain", "no placeholders"},
		{"/{key}", "{value}", "{value}", "{key}", "/{value}", "{key}"}, // a value is not expanded again
	}
	for _, tt := range tests {
		r := Request{URL: tt.url, Body: tt.body}
		url, body := r.fill(site, tt.key, tt.value)
		if url != tt.wantURL || body != tt.wantBody {
			t.Errorf("fill(%q, %q) = %q, %q; want %q, %q", tt.url, tt.body, url, body, tt.wantURL, tt.wantBody)
		}
		rep := strings.NewReplacer("{unit}", "42", "{tenant}", "7", "{key}", tt.key, "{value}", tt.value)
		if url != rep.Replace(tt.url) || body != rep.Replace(tt.body) {
			t.Errorf("fill(%q, %q) differs from strings.Replacer's %q, %q", tt.url, tt.body, rep.Replace(tt.url), rep.Replace(tt.body))
		}
	}
}
