package measure

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
	Client  *http.Client
}

// Prober polls GET /v1/sites/{id}/health of every site. See StartProber.
type Prober struct {
	cfg    ProberConfig
	client *http.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	tl       Timeline
	last     map[int64]Transition // site → its last recorded state
	lastAt   map[int64]time.Time  // site → its last answer
	stopping bool
	stopped  bool
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
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	ctx, cancel := context.WithCancel(ctx)
	p := &Prober{
		cfg:    cfg,
		client: cfg.Client,
		cancel: cancel,
		done:   make(chan struct{}),
		tl:     Timeline{Start: time.Now(), Interval: cfg.Interval, Sites: append([]SiteRef(nil), cfg.Sites...)},
		last:   make(map[int64]Transition, len(cfg.Sites)),
		lastAt: make(map[int64]time.Time, len(cfg.Sites)),
	}
	if p.client == nil {
		p.client = newClient(cfg.Concurrency, cfg.Timeout)
	}
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
		}
	}
}

func (p *Prober) round(ctx context.Context) {
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
	url := p.cfg.BaseURL + "/v1/sites/" + strconv.FormatInt(s.ID, 10) + "/health"
	tr := Transition{Site: s.ID, Tenant: s.Tenant}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: an aborted probe says nothing about the site
		}
		tr.At, tr.Reason = time.Now(), failureReason(err)
		p.record(tr)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	tr.At, tr.Status, tr.Up = time.Now(), resp.StatusCode, resp.StatusCode == http.StatusOK
	var h struct{ Status, Reason string }
	_ = json.Unmarshal(body, &h) // the status code decides; the body only explains
	switch {
	case h.Status != "" && h.Reason != "":
		tr.Reason = h.Status + ": " + h.Reason
	case h.Status != "":
		tr.Reason = h.Status
	default:
		tr.Reason = "status " + strconv.Itoa(resp.StatusCode)
	}
	p.record(tr)
}

func (p *Prober) record(tr Transition) {
	p.mu.Lock()
	defer p.mu.Unlock()
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
