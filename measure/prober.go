package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ProberConfig configures StartProber.
type ProberConfig struct {
	BaseURL     string
	Sites       []SiteRef     // every site to watch, with its tenant
	Interval    time.Duration // between rounds (default 250 ms)
	Concurrency int           // probes in flight at once (default 32)
	// Timeout per probe (default 1 s). A probe that times out is down. A round that outlasts
	// Interval delays the next one, and Timeline.MaxGap says so.
	Timeout time.Duration
	// PerSite probes with one GET /v1/sites/{id}/health per site. Otherwise the prober asks
	// POST /v1/health/sites for up to BulkSize sites a request (same verdicts, one query per
	// chunk instead of one per site), and falls back to per-site GETs for good if the
	// service has no bulk endpoint (404 or 405).
	PerSite  bool
	BulkSize int
	// Health is the per-site request (a stack file's probes.health); zero: ReferenceHealth,
	// with the reference service's bulk endpoint. Another Health probes per site.
	Health Request // sites per bulk request (default 2,000; the service takes up to 5,000)
}

// Prober polls GET /v1/sites/{id}/health of every site. See StartProber.
type Prober struct {
	cfg    ProberConfig
	client *wireClient // keep-alive, one connection per probe in flight
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{} // ProbeNow: the next round starts without waiting for the tick

	mu       sync.Mutex
	tl       Timeline
	last     map[int64]Transition // site → its last recorded state
	lastAt   map[int64]time.Time  // site → its last answer
	stopping bool
	stopped  bool
	perSite  atomic.Bool // the bulk endpoint is missing: probe site by site
	chunks   []bulkChunk // the bulk requests of every round
}

// StartProber probes every site once per interval, in rounds of bounded concurrency, and
// records a Transition for each site's first answer and for every change of up/down or of
// status. Any answer but 200 is down; so is no answer. Stop returns the Timeline.
func StartProber(ctx context.Context, cfg ProberConfig) (*Prober, error) {
	if cfg.BaseURL == "" || len(cfg.Sites) == 0 {
		return nil, errors.New("start prober: need a base URL and at least one site")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.BulkSize <= 0 || cfg.BulkSize > maxBulk {
		cfg.BulkSize = min(2000, maxBulk)
	}
	if cfg.Health.URL != "" && cfg.Health.URL != ReferenceHealth.URL {
		cfg.PerSite = true // the bulk endpoint is the reference service's
	}
	cfg.Health = cfg.Health.orDefault(ReferenceHealth)
	ctx, cancel := context.WithCancel(ctx)
	p := &Prober{
		cfg:    cfg,
		cancel: cancel,
		done:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		tl:     Timeline{Start: time.Now(), Interval: cfg.Interval, Sites: append([]SiteRef(nil), cfg.Sites...)},
		last:   make(map[int64]Transition, len(cfg.Sites)),
		lastAt: make(map[int64]time.Time, len(cfg.Sites)),
	}
	client, err := newWireClient(cfg.BaseURL, cfg.Concurrency, cfg.Timeout)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start prober: %w", err)
	}
	p.client = client
	p.chunks = bulkChunks(cfg.Sites, cfg.BulkSize)
	p.perSite.Store(cfg.PerSite)
	go p.loop(ctx)
	return p, nil
}

func (p *Prober) loop(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		p.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-p.wake:
		}
	}
}

// ProbeNow starts the next round now instead of at the next tick (see Verifier.RoundNow).
func (p *Prober) ProbeNow() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Prober) round(ctx context.Context) {
	if !p.perSite.Load() && p.bulkRound(ctx) {
		return
	}
	sites := make(chan SiteRef)
	var wg sync.WaitGroup
	for i := 0; i < min(p.cfg.Concurrency, len(p.cfg.Sites)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range sites {
				p.probe(ctx, s)
			}
		}()
	}
	defer wg.Wait()
	defer close(sites)
	for _, s := range p.cfg.Sites {
		select {
		case sites <- s:
		case <-ctx.Done():
			return
		}
	}
}

func (p *Prober) probe(ctx context.Context, s SiteRef) {
	path, _ := p.cfg.Health.fill(s, "", "")
	tr := Transition{Site: s.ID, Tenant: s.Tenant}
	body := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(body)
	body.Reset()
	status, at, err := p.client.do(ctx, p.cfg.Health.Method, path, "", "", body, 4096, time.Time{})
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: an aborted probe says nothing about the site
		}
		tr.At, tr.Reason = time.Now(), failureReason(err)
		p.record(tr)
		return
	}
	tr.At, tr.Status, tr.Up = at, status, p.cfg.Health.ok(status)
	var h struct{ Status, Reason string }
	_ = json.Unmarshal(body.Bytes(), &h) // the status code decides; the body only explains
	switch {
	case h.Status != "" && h.Reason != "":
		tr.Reason = h.Status + ": " + h.Reason
	case h.Status != "":
		tr.Reason = h.Status
	default:
		tr.Reason = "status " + strconv.Itoa(status)
	}
	p.record(tr)
}

func (p *Prober) record(tr Transition) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recordLocked(tr)
}

// recordAll records the answers of one bulk request under one lock.
func (p *Prober) recordAll(trs []Transition) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range trs {
		p.recordLocked(tr)
	}
}

func (p *Prober) recordLocked(tr Transition) {
	if p.stopping {
		return
	}
	if prev, ok := p.lastAt[tr.Site]; ok {
		p.tl.MaxGap = max(p.tl.MaxGap, tr.At.Sub(prev))
	}
	p.lastAt[tr.Site] = tr.At
	if prev, ok := p.last[tr.Site]; ok && prev.Up == tr.Up && prev.Status == tr.Status && prev.Reason == tr.Reason {
		return
	}
	p.last[tr.Site] = tr
	p.tl.Transitions = append(p.tl.Transitions, tr)
}

// Down lists the sites whose last answer was down, for progress output.
func (p *Prober) Down() []SiteRef {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []SiteRef
	for _, s := range p.cfg.Sites {
		if tr, ok := p.last[s.ID]; ok && !tr.Up {
			out = append(out, s)
		}
	}
	return out
}

// Stop aborts the probes in flight (their answers are dropped) and returns the timeline,
// ending now. Calling it again returns the same timeline.
func (p *Prober) Stop() Timeline {
	p.mu.Lock()
	if p.stopped {
		defer p.mu.Unlock()
		return p.tl
	}
	p.stopping = true
	p.tl.End = time.Now()
	p.mu.Unlock()
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	return p.tl
}

// bulkSite is one site of a bulk health answer.
type bulkSite struct {
	Site           int64
	Status, Reason string
}

// bodies recycles the buffers bulk health answers are read into.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxBulk is the reference service's limit on sites per POST /v1/health/sites.
const maxBulk = 5000

// bulkChunk is one bulk request: its sites and the body that names them, the same every round.
type bulkChunk struct {
	sites []SiteRef
	body  string
}

// bulkChunks splits sites into requests of at most size sites each.
func bulkChunks(sites []SiteRef, size int) []bulkChunk {
	var out []bulkChunk
	for i := 0; i < len(sites); i += size {
		c := sites[i:min(i+size, len(sites))]
		ids := make([]int64, len(c))
		for i, s := range c {
			ids[i] = s.ID
		}
		body, _ := json.Marshal(map[string][]int64{"sites": ids})
		out = append(out, bulkChunk{c, string(body)})
	}
	return out
}

// bulkRound probes every site through POST /v1/health/sites, chunks in parallel (bounded by
// Concurrency). It returns false, having recorded nothing, when the service has no bulk
// endpoint: the caller then probes site by site, now and from then on.
func (p *Prober) bulkRound(ctx context.Context) bool {
	chunks := p.chunks
	var missing atomic.Bool
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.cfg.Concurrency)
	for _, c := range chunks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !p.probeBulk(ctx, c.sites, c.body) {
				missing.Store(true)
			}
		}()
	}
	wg.Wait()
	if missing.Load() {
		p.perSite.Store(true)
		return false
	}
	return true
}

// probeBulk asks about one chunk of sites. Each site's Transition is what GET
// /v1/sites/{id}/health would have said: 200 and up when healthy, else 503 with the status and
// reason; a failed request (no answer, or a non-200 answer: the service or its database is
// down) makes every site of the chunk down with that reason, as per-site probes would. It
// returns false when the endpoint does not exist.
func (p *Prober) probeBulk(ctx context.Context, chunk []SiteRef, body string) bool {
	// list=down: the answer names only the sites that are not healthy (a service that ignores
	// it names every site, which is read as before).
	trs := make([]Transition, len(chunk))
	all := func(status int, reason string) {
		at := time.Now()
		for i, s := range chunk {
			trs[i] = Transition{Site: s.ID, Tenant: s.Tenant, At: at, Status: status, Reason: reason}
		}
		p.recordAll(trs)
	}
	answer := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(answer)
	answer.Reset()
	status, at, err := p.client.do(ctx, http.MethodPost, "/v1/health/sites?list=down", "application/json", body, answer, 64<<20, time.Time{})
	switch {
	case err != nil && ctx.Err() != nil:
		return true // stopping: an aborted probe says nothing about the sites
	case err != nil:
		all(0, failureReason(err))
		return true
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return false
	case status != http.StatusOK:
		all(status, "status "+strconv.Itoa(status))
		return true
	}
	var out struct {
		Healthy, Down int
		Sites         []bulkSite
	}
	err = json.Unmarshal(answer.Bytes(), &out)
	down := func(h bulkSite) Transition {
		tr := Transition{Site: h.Site, At: at, Status: http.StatusServiceUnavailable, Reason: h.Status}
		if h.Reason != "" {
			tr.Reason = h.Status + ": " + h.Reason
		}
		return tr
	}
	switch {
	case err != nil:
		all(0, "bad bulk health answer")
		return true
	case len(out.Sites) == len(chunk):
		// Every site named, in the order asked.
		for i, h := range out.Sites {
			tr := down(h)
			tr.Tenant = chunk[i].Tenant
			if h.Site != chunk[i].ID {
				tr.Site, tr.Status, tr.Reason = chunk[i].ID, 0, "bad bulk health answer"
			} else if h.Status == "healthy" {
				tr.Status, tr.Up, tr.Reason = http.StatusOK, true, "healthy"
			}
			trs[i] = tr
		}
	case out.Healthy+out.Down == len(chunk) && len(out.Sites) == out.Down:
		// Only the sites that are not healthy named, in the order asked: the others are up.
		k := 0
		for i, s := range chunk {
			if k < len(out.Sites) && out.Sites[k].Site == s.ID {
				trs[i] = down(out.Sites[k])
				trs[i].Tenant = s.Tenant
				k++
				continue
			}
			trs[i] = Transition{Site: s.ID, Tenant: s.Tenant, At: at, Status: http.StatusOK, Up: true, Reason: "healthy"}
		}
		if k != len(out.Sites) {
			all(0, "bad bulk health answer") // a site named that was not asked, or out of order
			return true
		}
	default:
		all(0, "bad bulk health answer")
		return true
	}
	p.recordAll(trs)
	return true
}
