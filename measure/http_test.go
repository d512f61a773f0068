package measure

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeService is the part of the reference service's API that traffic and the prober use,
// with faults on chosen sites. It logs what it answered, so the test knows the truth.
type fakeService struct {
	mu      sync.Mutex
	tenant  map[int64]int64 // site → tenant
	gone    map[int64]bool  // PUT → 404, health → 503 missing
	flaky   map[int64]bool  // every other PUT → 503, not stored
	slow    map[int64]bool  // PUT stored, then no answer until the client gives up
	down    map[int64]bool  // health → 503 degraded
	records map[siteKey]string
	acked   map[string]bool      // values answered 2xx
	ackedAt map[string]time.Time // when each was answered (just before the answer is written)
	status  map[int]int          // answers by status
	n       int
	bulk    bool // serves POST /v1/health/sites (the reference service does)
	// downOnly: the bulk answer honours ?list=down (the reference service does); otherwise it
	// names every site, as a service that ignores the parameter would.
	downOnly bool
	bulkN    int // bulk requests answered
	healthN  int // health GETs answered
	// said: per site, each health answer given of it (named or counted), timed just before the
	// answer is written.
	said map[int64][]healthSaid
	// healthDelay: each health answer is given this long after its request came (a service
	// under load), so that a time stamped at the request would be told apart from the answer's.
	healthDelay time.Duration
}

// healthSaid is one health answer the fake service gave of a site.
type healthSaid struct {
	at      time.Time
	healthy bool
}

// firstSaid is when the service first answered healthy (or not) of site at or after from.
func (f *fakeService) firstSaid(site int64, healthy bool, from time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.said[site] {
		if s.healthy == healthy && !s.at.Before(from) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

func newFakeService(sites []SiteRef) *fakeService {
	f := &fakeService{tenant: map[int64]int64{}, gone: map[int64]bool{}, flaky: map[int64]bool{}, slow: map[int64]bool{},
		down: map[int64]bool{}, records: map[siteKey]string{}, acked: map[string]bool{}, ackedAt: map[string]time.Time{}, status: map[int]int{},
		said: map[int64][]healthSaid{}}
	for _, s := range sites {
		f.tenant[s.ID] = s.Tenant
	}
	return f
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/health/sites" && f.bulk && r.Method == http.MethodPost {
		time.Sleep(f.healthDelay) // the service's own slowness, not a wait for anything
		var in struct{ Sites []int64 }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		type health struct {
			Site           int64
			Status, Reason string
		}
		var out struct {
			Sites         []health
			Healthy, Down int // as the reference service counts them
		}
		f.mu.Lock()
		f.bulkN++
		now := time.Now() // the answer is written right after the loop
		for _, id := range in.Sites {
			h := health{Site: id, Status: "healthy"}
			if f.gone[id] {
				h.Status, h.Reason = "missing", "no such site"
			} else if f.down[id] {
				h.Status, h.Reason = "degraded", "no users"
			}
			if h.Status == "healthy" {
				out.Healthy++
			} else {
				out.Down++
			}
			f.said[id] = append(f.said[id], healthSaid{now, h.Status == "healthy"})
			if h.Status != "healthy" || !f.downOnly || r.URL.Query().Get("list") != "down" {
				out.Sites = append(out.Sites, h)
			}
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(out)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v1 sites {id} records {key} | health
	if len(parts) < 4 || parts[0] != "v1" || parts[1] != "sites" {
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	site, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		http.Error(w, `{"error":"bad id"}`, http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet && parts[3] == "health" {
		time.Sleep(f.healthDelay) // the service's own slowness, not a wait for anything
	}
	f.mu.Lock()
	switch {
	case r.Method == http.MethodGet && parts[3] == "health":
		code, body := http.StatusOK, `{"site":1,"status":"healthy"}`
		if f.gone[site] {
			code, body = http.StatusServiceUnavailable, `{"status":"missing","reason":"no such site"}`
		} else if f.down[site] {
			code, body = http.StatusServiceUnavailable, `{"status":"degraded","reason":"no users"}`
		}
		f.healthN++
		f.said[site] = append(f.said[site], healthSaid{time.Now(), code == http.StatusOK})
		f.mu.Unlock()
		w.WriteHeader(code)
		w.Write([]byte(body))
	case r.Method == http.MethodPut && parts[3] == "records" && len(parts) == 5:
		var in struct{ Value string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Value == "" {
			f.mu.Unlock()
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		k := siteKey{site, parts[4]}
		f.n++
		code := http.StatusCreated
		if _, ok := f.records[k]; ok {
			code = http.StatusOK
		}
		switch {
		case f.gone[site]:
			code = http.StatusNotFound
		case f.flaky[site] && f.n%2 == 0:
			code = http.StatusServiceUnavailable
		default:
			f.records[k] = in.Value
		}
		if f.slow[site] && code < 300 {
			f.mu.Unlock()
			<-r.Context().Done() // committed, but the answer never arrives
			return
		}
		f.status[code]++
		if code < 300 {
			f.acked[in.Value] = true
			f.ackedAt[in.Value] = time.Now()
		}
		f.mu.Unlock()
		w.WriteHeader(code)
		w.Write([]byte(`{}`))
	default:
		f.mu.Unlock()
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}

func (f *fakeService) observed() []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Record
	for k, v := range f.records {
		out = append(out, Record{Tenant: f.tenant[k.site], Site: k.site, Key: k.key, Value: v})
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes: the condition is the service's
// state, which the test cannot be told about otherwise.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTrafficLedgersExactlyTheAcks(t *testing.T) {
	sites := []SiteRef{{1, 100}, {2, 100}, {3, 200}, {4, 300}, {5, 400}}
	f := newFakeService(sites)
	f.gone[3] = true  // deleted: 404, never ledgered
	f.flaky[4] = true // 503s: unknown outcome, ledgered as such
	f.slow[5] = true  // committed, answer lost: unknown outcome
	srv := httptest.NewServer(f)
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "ledger.tsv")
	l, err := CreateLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	const rate = 400.0
	tr, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: srv.URL, Sites: sites, Rate: rate, Workers: 16,
		Seed: 1, Ledger: l, RunID: "run7", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitFor(t, "300 acknowledged writes", 20*time.Second, func() bool { return l.Acked() >= 300 })
	stats := tr.Stop()
	elapsed := time.Since(start)
	writes := closeAndLoad(t, l, path)

	f.mu.Lock()
	serverAcks, status := len(f.acked), f.status
	f.mu.Unlock()
	// The ledger holds exactly the 2xx answers traffic read. An answer the service sent but
	// traffic never read (its timeout struck first) is a write of unknown outcome.
	acked := 0
	unknownValues := map[string]bool{}
	for _, x := range writes {
		if x.Outcome == Unknown {
			unknownValues[x.Value] = true
			continue
		}
		acked++
		if !f.acked[x.Value] {
			t.Errorf("ledgered %+v, which the service never acknowledged", x)
		}
		if x.Site == 3 || x.Site == 5 {
			t.Errorf("ledgered an ack for site %d: %+v", x.Site, x)
		}
	}
	unread := 0
	for v := range f.acked {
		if !unknownValues[v] {
			continue
		}
		unread++
	}
	if int64(acked) != stats.Acked || acked+unread != serverAcks || serverAcks != status[200]+status[201] {
		t.Errorf("ledger %d acks + %d unread answers, stats %d, service answered %d (200: %d, 201: %d)",
			acked, unread, stats.Acked, serverAcks, status[200], status[201])
	}
	// Failures are counted by the answer read; an answer the timeout beat is a timeout.
	timeouts := stats.Failed["timeout"]
	for _, code := range []int{404, 503} {
		got, served := stats.Failed["status "+strconv.Itoa(code)], int64(status[code])
		if served == 0 || got > served || got < served-timeouts {
			t.Errorf("%ds counted %d, service answered %d (%d timeouts)", code, got, served, timeouts)
		}
	}
	if stats.Failed["timeout"] == 0 || stats.Unknown != stats.Failed["status 503"]+stats.Failed["timeout"] {
		t.Errorf("unknown %d, want 503s + timeouts (%v)", stats.Unknown, stats.Failed)
	}
	if stats.Created == 0 || stats.Created == stats.Acked {
		t.Errorf("created %d of %d acks: want both creates and updates", stats.Created, stats.Acked)
	}
	if got := float64(stats.Attempted) / elapsed.Seconds(); got > rate*1.15 {
		t.Errorf("attempted %.0f writes/s, more than the rate %v", got, rate)
	}
	t.Logf("%d attempted in %v (%.0f/s, target %v), %d acked, failed %v, skipped %d", stats.Attempted, elapsed.Round(time.Millisecond),
		float64(stats.Attempted)/elapsed.Seconds(), rate, stats.Acked, stats.Failed, stats.Skipped)

	// Every value in the service was written there by this traffic; a foreign one was not.
	obs := f.observed()
	for _, r := range obs {
		if !tr.Wrote(r.Site, r.Key, r.Value) {
			t.Fatalf("Wrote(%d, %s, %s) = false", r.Site, r.Key, r.Value)
		}
	}
	if tr.Wrote(obs[0].Site, obs[0].Key+"x", obs[0].Value) || tr.Wrote(obs[0].Site, obs[0].Key, "other-1") {
		t.Error("Wrote accepted a value traffic did not write there")
	}

	// Nothing lost: committed-but-unanswered writes on site 5 are not "changed".
	t0 := time.Now()
	var lost, changed, unledgered int
	for _, x := range CheckWrites(writes, obs, t0) {
		lost, changed, unledgered = lost+x.Lost, changed+x.Changed, unledgered+x.Unledgered
	}
	if lost+changed+unledgered != 0 {
		t.Fatalf("untouched service: lost %d changed %d unledgered %d", lost, changed, unledgered)
	}
	// Drop 5 acknowledged records behind the checker's back: exactly their writes are lost.
	want := 0
	f.mu.Lock()
	dropped := 0
	for k, v := range f.records {
		if dropped == 5 {
			break
		}
		if !f.acked[v] {
			continue
		}
		for _, x := range writes {
			if x.Site == k.site && x.Key == k.key && x.Outcome == Acked {
				want++
			}
		}
		delete(f.records, k)
		dropped++
	}
	f.mu.Unlock()
	lost = 0
	for _, x := range CheckWrites(writes, f.observed(), t0) {
		lost += x.Lost
	}
	if lost != want {
		t.Errorf("lost %d, want %d (the acks of 5 dropped records)", lost, want)
	}
}

// closeAndLoad closes the ledger l and reads back the file it wrote, at path.
func closeAndLoad(t *testing.T, l *Ledger, path string) []Write {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	writes, err := LoadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	return writes
}

// TestTrafficWrites: traffic against a healthy service ledgers every write it sends as
// acknowledged, none failed, none skipped; with a long pace each release sends the writes due
// since the last, Rate × Pace of them at once (40), and the default writers take a whole
// release. Each write is ledgered at the time its answer came, though a release's answers are
// read together half a pace later: the service's own record of when it answered is the
// ground truth. How close it holds its rate is a wall-clock figure, measured by
// BenchmarkTrafficRate, not asserted here.
func TestTrafficWrites(t *testing.T) {
	for _, tt := range []struct {
		name   string
		rate   float64
		pace   time.Duration
		atOnce bool
		acked  int64
	}{
		{"default pace", 250, 0, false, 250},
		{"40 writes a release", 400, 100 * time.Millisecond, false, 80},
		{"answers read as they come", 250, 0, true, 250},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sites := []SiteRef{{1, 100}, {2, 200}}
			f := newFakeService(sites)
			srv := httptest.NewServer(f)
			defer srv.Close()
			path := filepath.Join(t.TempDir(), "ledger.tsv")
			l, err := CreateLedger(path)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			tr, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: srv.URL, Sites: sites, Rate: tt.rate, Pace: tt.pace, ReadAtOnce: tt.atOnce, Ledger: l})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, fmt.Sprintf("%d acknowledged writes", tt.acked), 10*time.Second, func() bool { return int64(l.Acked()) >= tt.acked })
			if want := cmp.Or(tt.pace, DefaultPace); tr.Pace() != want {
				t.Errorf("pace %s, want %s", tr.Pace(), want)
			}
			s := tr.Stop()
			if s.Acked < tt.acked || s.FailedTotal() != 0 || s.Skipped != 0 {
				t.Errorf("%d acked, %d failed, %d skipped; want at least %d acked, none failed or skipped", s.Acked, s.FailedTotal(), s.Skipped, tt.acked)
			}
			writes := closeAndLoad(t, l, path)
			// Ledgered when the answer came: after the service answered, and on the whole
			// within milliseconds of it (the reading came half a pace later: 25 or 50 ms).
			f.mu.Lock()
			defer f.mu.Unlock()
			var lags []time.Duration
			for _, w := range writes {
				answered, ok := f.ackedAt[w.Value]
				if !ok {
					t.Fatalf("ledgered %+v, which the service never acknowledged", w)
				}
				if w.At.Before(answered) {
					t.Errorf("write %d ledgered %v before the service answered it", w.Seq, answered.Sub(w.At))
				}
				lags = append(lags, w.At.Sub(answered))
			}
			slices.Sort(lags)
			if med := lags[len(lags)/2]; med > 10*time.Millisecond {
				t.Errorf("writes ledgered a median %v after the service answered them (max %v), want their answers' arrival", med, lags[len(lags)-1])
			}
		})
	}
}

// BenchmarkTrafficRate reports the acknowledged writes per second traffic achieves for a
// target of 250/s against an in-process service (go test -bench TrafficRate ./measure).
func BenchmarkTrafficRate(b *testing.B) {
	sites := []SiteRef{{1, 100}, {2, 200}}
	srv := httptest.NewServer(newFakeService(sites))
	defer srv.Close()
	const rate = 250.0
	for b.Loop() {
		l, err := CreateLedger(filepath.Join(b.TempDir(), "ledger.tsv"))
		if err != nil {
			b.Fatal(err)
		}
		tr, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: srv.URL, Sites: sites, Rate: rate, Ledger: l})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		deadline := time.Now().Add(10 * time.Second)
		tick := time.NewTicker(5 * time.Millisecond)
		for l.Acked() < 250 && time.Now().Before(deadline) {
			<-tick.C
		}
		tick.Stop()
		s := tr.Stop()
		l.Close()
		b.ReportMetric(float64(s.Acked)/time.Since(start).Seconds(), "acked/s")
		b.ReportMetric(float64(s.FailedTotal()), "failed")
	}
}

// TestProberRecordsTransitions runs against a service with the bulk health endpoint (chunks of
// 2 sites, so one round is two requests) that names only the sites down, one that names every
// site, and one without it (per-site GETs).
func TestProberRecordsTransitions(t *testing.T) {
	for _, c := range []struct {
		name           string
		bulk, downOnly bool
	}{{"bulk, down sites named", true, true}, {"bulk, every site named", true, false}, {"per site", false, false}} {
		t.Run(c.name, func(t *testing.T) { testProberTransitions(t, c.bulk, c.downOnly) })
	}
}

func testProberTransitions(t *testing.T, bulk, downOnly bool) {
	sites := []SiteRef{{1, 100}, {2, 100}, {3, 200}}
	f := newFakeService(sites)
	f.gone[3] = true
	f.bulk, f.downOnly = bulk, downOnly
	f.healthDelay = 40 * time.Millisecond
	srv := httptest.NewServer(f)
	defer srv.Close()
	const interval = 20 * time.Millisecond
	p, err := StartProber(context.Background(), ProberConfig{BaseURL: srv.URL, Sites: sites, Interval: interval, Concurrency: 2, BulkSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	isDown := func(site int64) bool {
		for _, s := range p.Down() {
			if s.ID == site {
				return true
			}
		}
		return false
	}
	waitFor(t, "site 3 seen down", 5*time.Second, func() bool { return isDown(3) })
	// Site 2 must be seen up before it goes down: its chunk's first answer may still be on the
	// way (the service answers late). A second answer about it means a later round began, so
	// the prober has the first.
	waitFor(t, "site 2 answered twice", 5*time.Second, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.said[2]) >= 2
	})
	f.mu.Lock()
	f.down[2] = true
	f.mu.Unlock()
	wentDown := time.Now()
	waitFor(t, "site 2 seen down", 5*time.Second, func() bool { return isDown(2) })
	f.mu.Lock()
	f.down[2] = false
	f.mu.Unlock()
	cameUp := time.Now()
	waitFor(t, "site 2 seen up", 5*time.Second, func() bool { return !isDown(2) })
	tl := p.Stop()

	var two []Transition
	for _, tr := range tl.Transitions {
		if tr.Site == 2 {
			two = append(two, tr)
		}
	}
	if len(two) != 3 || !two[0].Up || two[1].Up || !two[2].Up {
		t.Fatalf("site 2 transitions %+v, want up, down, up", two)
	}
	if two[1].Reason != "degraded: no users" || two[1].Status != 503 {
		t.Errorf("down transition %+v", two[1])
	}
	// Up is read from the answer's counts when a whole chunk is healthy, site by site when not:
	// the same transition either way.
	for _, up := range []Transition{two[0], two[2]} {
		if up.Reason != "healthy" || up.Status != 200 {
			t.Errorf("up transition %+v", up)
		}
	}
	// Stamped when the answer that showed the change reached the prober's host (the kernel's
	// receive timestamp): within a few milliseconds of the service's own record of when it gave
	// that answer, however late the prober read it.
	const arrival = 20 * time.Millisecond
	for _, c := range []struct {
		what string
		tr   Transition
		from time.Time
	}{{"down", two[1], wentDown}, {"up", two[2], cameUp}} {
		said, ok := f.firstSaid(2, c.tr.Up, c.from)
		if !ok {
			t.Errorf("the service never answered site 2 %s after the change", c.what)
			continue
		}
		if d := c.tr.At.Sub(said); d < -time.Millisecond || d > arrival {
			t.Errorf("%s transition stamped %v after the service's answer, want within [0, %v]", c.what, d, arrival)
		}
	}
	// And so never before the change, at most a round after it.
	slack := tl.Precision() + 50*time.Millisecond
	if two[1].At.Before(wentDown) || two[1].At.After(wentDown.Add(slack)) {
		t.Errorf("down seen %v after the change, want within [0, %v]", two[1].At.Sub(wentDown), slack)
	}
	if two[2].At.Before(cameUp) || two[2].At.After(cameUp.Add(slack)) {
		t.Errorf("up seen %v after the change, want within [0, %v]", two[2].At.Sub(cameUp), slack)
	}
	for _, tr := range tl.Transitions {
		if tr.Site == 3 && (tr.Up || tr.Reason != "missing: no such site") {
			t.Errorf("site 3: %+v", tr)
		}
	}
	if tl.End.Before(two[2].At) || tl.Interval != interval || tl.MaxGap <= 0 {
		t.Errorf("timeline end %v interval %v gap %v", tl.End, tl.Interval, tl.MaxGap)
	}
	// The same history, judged: tenant 100 was down while site 2 was.
	a := CheckAvailability(tl, []Sample{{Tenant: 100, At: tl.Start, DataOK: true}}, wentDown, []int64{100})[100]
	if !a.Restored || a.RTO < cameUp.Sub(wentDown) || a.RTO > cameUp.Sub(wentDown)+slack {
		t.Errorf("RTO %v, want %v + at most %v", a.RTO, cameUp.Sub(wentDown), slack)
	}
	f.mu.Lock()
	if gets := f.healthN; bulk && (f.bulkN < 2 || gets > 0) || !bulk && f.bulkN > 0 {
		t.Errorf("bulk service: %v; %d bulk requests, %d health GETs", bulk, f.bulkN, gets)
	}
	f.mu.Unlock()
	t.Logf("probe interval %v, max gap %v, RTO %v for a true %v", interval, tl.MaxGap, a.RTO, cameUp.Sub(wentDown))
}

// TestProberProbeNow: with the next tick an hour away, ProbeNow starts a round at once, and
// it sees what changed since the first.
func TestProberProbeNow(t *testing.T) {
	sites := []SiteRef{{1, 100}, {2, 100}}
	f := newFakeService(sites)
	f.bulk = true
	f.down[2] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	p, err := StartProber(context.Background(), ProberConfig{BaseURL: srv.URL, Sites: sites, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	waitFor(t, "site 2 seen down", 5*time.Second, func() bool { return len(p.Down()) == 1 })
	f.mu.Lock()
	f.down[2] = false
	f.mu.Unlock()
	p.ProbeNow()
	waitFor(t, "site 2 seen up by the round asked for", 5*time.Second, func() bool { return len(p.Down()) == 0 })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bulkN != 2 {
		t.Errorf("%d bulk rounds, want the first and the one asked for", f.bulkN)
	}
}

func TestStartRefusesBadConfig(t *testing.T) {
	if _, err := StartTraffic(context.Background(), TrafficConfig{}); err == nil {
		t.Error("traffic started without sites")
	}
	l, err := CreateLedger(filepath.Join(t.TempDir(), "l"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: "http://x", Sites: []SiteRef{{1, 1}}, Ledger: l, Rate: -1}); err == nil {
		t.Error("traffic started at a negative rate")
	}
	if _, err := StartProber(context.Background(), ProberConfig{BaseURL: "http://x"}); err == nil {
		t.Error("prober started without sites")
	}
}
