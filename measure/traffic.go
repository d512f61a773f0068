package measure

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TrafficConfig configures StartTraffic.
type TrafficConfig struct {
	BaseURL string    // the service, e.g. http://127.0.0.1:32768
	Sites   []SiteRef // every site of every tenant, bystanders included
	// Rate is the target of writes per second (default 200). It paces attempts: while sites
	// are down, fewer writes are acknowledged.
	Rate    float64
	Workers int // concurrent writers (default max(8, Rate/25))
	Seed    int64
	Ledger  *Ledger
	// RunID starts every value: "<RunID>-<seq>" identifies the write that produced it.
	RunID string
	// UpdateShare is the share of writes that update a key written before (default 0.2).
	UpdateShare float64
	Timeout     time.Duration // per request (default 2 s)
	// Pace is how often the writes due are released (default DefaultPace): each release sends
	// those due since the last, Rate × Pace of them at once. Every release wakes the harness,
	// and a wake-up costs CPU (much more on a virtual machine, where each switch of threads
	// traps to the hypervisor), so a longer pace loads the machine under drill less; the
	// rate holds on average, and writes are bursts of Rate × Pace instead of evenly spaced.
	Pace time.Duration
	// ReadAtOnce has each writer read its answer as soon as it comes. Otherwise the writes of
	// a release read their answers together, half a pace after it (one wake-up of the harness
	// for all of them, where the kernel times each answer's arrival: Linux).
	ReadAtOnce bool
	// Write is the write request (a stack file's traffic.write); zero: ReferenceWrite. A
	// status in Write.OK acknowledges the write.
	Write Request
}

// DefaultPace is TrafficConfig.Pace's default: 10 writes a release at 200 writes/s.
const DefaultPace = 50 * time.Millisecond

// TrafficStats counts the writes of a traffic run.
type TrafficStats struct {
	Attempted int64
	Acked     int64 // 2xx; ledgered
	Created   int64 // of which 201
	// Failed counts failures by reason: "status 404", "status 503", "timeout",
	// "connection refused", ... Those with no answer or a 5xx may have committed anyway:
	// they are ledgered with outcome Unknown, and counted in Unknown too.
	Failed  map[string]int64
	Unknown int64
	// Skipped counts writes not sent because every writer was busy (the service was slower
	// than Rate × Workers allows).
	Skipped int64
	// Err is the first ledger error; traffic stops ledgering after it.
	Err error
}

// FailedTotal sums Failed.
func (s TrafficStats) FailedTotal() int64 {
	var n int64
	for _, c := range s.Failed {
		n += c
	}
	return n
}

// Traffic is a running set of writers. See StartTraffic.
type Traffic struct {
	cfg    TrafficConfig
	client *wireClient    // keep-alive, one connection per busy worker
	tokens chan time.Time // one per write due, holding the time it was released
	stop   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	sent    []siteKey // sent[seq-1]: where write seq went
	stats   TrafficStats
	skipped atomic.Int64
	stopped bool
	final   TrafficStats
}

// StartTraffic starts writers that create and update records "live-w<worker>-<n>" of random
// sites through PUT /v1/sites/{id}/records/{key}, each value unique ("<RunID>-<seq>"), at
// cfg.Rate writes per second paced on the real clock. Each writer owns its keys and writes one
// at a time, so writes to one key never overlap and Seq orders them. Every 2xx is appended to
// the ledger with the time its answer reached this host (see wireClient); failures are counted
// by reason. Cancel ctx to abort requests in flight; Stop to end normally.
func StartTraffic(ctx context.Context, cfg TrafficConfig) (*Traffic, error) {
	if cfg.BaseURL == "" || len(cfg.Sites) == 0 || cfg.Ledger == nil {
		return nil, errors.New("start traffic: need a base URL, at least one site and a ledger")
	}
	if cfg.Rate == 0 {
		cfg.Rate = 200
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("start traffic: rate %v writes/s: want more than 0", cfg.Rate)
	}
	if cfg.Pace <= 0 {
		cfg.Pace = DefaultPace
	}
	if cfg.Workers <= 0 {
		// Enough for a release's burst at once, and for writes of 40 ms each at Rate.
		cfg.Workers = max(8, int(math.Ceil(cfg.Rate/25)), int(math.Ceil(cfg.Rate*cfg.Pace.Seconds())))
	}
	if cfg.UpdateShare == 0 {
		cfg.UpdateShare = 0.2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.RunID == "" {
		cfg.RunID = "traffic"
	}
	cfg.Write = cfg.Write.orDefault(ReferenceWrite)
	client, err := newWireClient(cfg.BaseURL, cfg.Workers, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("start traffic: %w", err)
	}
	t := &Traffic{
		cfg:    cfg,
		client: client,
		tokens: make(chan time.Time, cfg.Workers),
		stop:   make(chan struct{}),
		stats:  TrafficStats{Failed: map[string]int64{}},
	}
	t.wg.Add(1 + cfg.Workers)
	go t.pace(ctx)
	for i := 0; i < cfg.Workers; i++ {
		go t.work(ctx, i, rand.New(rand.NewSource(cfg.Seed*7919+int64(i))))
	}
	return t, nil
}

// pace hands out, every Pace, one token per write due: Rate × elapsed time, counted on the real
// clock, so the average rate holds whatever the ticker's jitter. Tokens nobody is free to take
// are skipped, not saved up for a burst later.
func (t *Traffic) pace(ctx context.Context) {
	defer t.wg.Done()
	defer close(t.tokens)
	tick := time.NewTicker(t.cfg.Pace)
	defer tick.Stop()
	start := time.Now()
	var issued int64
	for {
		select {
		case <-t.stop:
			return
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(t.cfg.Rate*now.Sub(start).Seconds()) - issued
			for ; due > 0; due-- {
				issued++
				select {
				case t.tokens <- now:
				default:
					t.skipped.Add(1)
				}
			}
		}
	}
}

func (t *Traffic) work(ctx context.Context, id int, rng *rand.Rand) {
	defer t.wg.Done()
	type mine struct {
		site SiteRef
		key  string
	}
	var keys []mine // keys this writer got acknowledged, to update later
	acked := map[string]bool{}
	n := 0
	for release := range t.tokens {
		select {
		case <-t.stop:
			return
		default:
		}
		var m mine
		if len(keys) > 0 && rng.Float64() < t.cfg.UpdateShare {
			m = keys[rng.Intn(len(keys))]
		} else {
			n++
			m = mine{t.cfg.Sites[rng.Intn(len(t.cfg.Sites))], "live-w" + strconv.Itoa(id) + "-" + strconv.Itoa(n)}
		}
		// The writes of one release read their answers together, half a pace later: one
		// wake-up of the harness for all of them, not one per answer. Each answer is still
		// timed when it arrived (wireClient).
		readAt := release.Add(t.cfg.Pace / 2)
		if t.cfg.ReadAtOnce {
			readAt = time.Time{}
		}
		if t.write(ctx, m.site, m.key, readAt) && !acked[m.key] {
			acked[m.key] = true
			keys = append(keys, m)
		}
	}
}

// write sends one PUT, reads its answer from readAt on and records its outcome; true when
// acknowledged.
func (t *Traffic) write(ctx context.Context, site SiteRef, key string, readAt time.Time) bool {
	t.mu.Lock()
	t.sent = append(t.sent, siteKey{site.ID, key})
	seq := int64(len(t.sent))
	t.stats.Attempted++
	t.mu.Unlock()
	value := t.cfg.RunID + "-" + strconv.FormatInt(seq, 10)
	path, body := t.cfg.Write.fill(site, key, value)

	w := Write{Seq: seq, Tenant: site.Tenant, Site: site.ID, Key: key, Value: value}
	// The status line says whether the service committed (it answers 2xx only after COMMIT);
	// the body is read and dropped.
	status, at, err := t.client.do(ctx, t.cfg.Write.Method, path, "application/json", body, nil, 0, readAt)
	if err != nil {
		w.At, w.Outcome = time.Now(), Unknown
		t.fail(failureReason(err), &w)
		return false
	}
	w.At = at
	switch {
	case t.cfg.Write.ok(status):
		w.Outcome = Acked
		err := t.cfg.Ledger.Append(w)
		t.mu.Lock()
		defer t.mu.Unlock()
		if err != nil && t.stats.Err == nil {
			t.stats.Err = err
		}
		t.stats.Acked++
		if status == http.StatusCreated {
			t.stats.Created++
		}
		return true
	case status >= 500:
		w.Outcome = Unknown
		t.fail("status "+strconv.Itoa(status), &w)
	default:
		t.fail("status "+strconv.Itoa(status), nil)
	}
	return false
}

// fail counts a failure; unknown, when not nil, is ledgered as a write that may have committed.
func (t *Traffic) fail(reason string, unknown *Write) {
	var err error
	if unknown != nil {
		err = t.cfg.Ledger.Append(*unknown)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Failed[reason]++
	if unknown != nil {
		t.stats.Unknown++
	}
	if err != nil && t.stats.Err == nil {
		t.stats.Err = err
	}
}

// Wrote reports whether this traffic sent value to (site, key): the verifier's test that a
// live record holds something traffic wrote there, answered before the write's outcome is
// known (a record can be read from the database before its acknowledgement is).
func (t *Traffic) Wrote(site int64, key, value string) bool {
	rest, ok := strings.CutPrefix(value, t.cfg.RunID+"-")
	if !ok {
		return false
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || seq < 1 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return seq <= int64(len(t.sent)) && t.sent[seq-1] == siteKey{site, key}
}

// Pace is how often the writes due are released (TrafficConfig.Pace, its default filled in).
func (t *Traffic) Pace() time.Duration { return t.cfg.Pace }

// Stats is a snapshot of the counts so far.
func (t *Traffic) Stats() TrafficStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Failed = make(map[string]int64, len(t.stats.Failed))
	for k, v := range t.stats.Failed {
		s.Failed[k] = v
	}
	s.Skipped = t.skipped.Load()
	return s
}

// Stop stops sending, waits for the requests in flight (each bounded by the timeout) and
// returns the final counts. Calling it again returns the same counts.
func (t *Traffic) Stop() TrafficStats {
	t.mu.Lock()
	if t.stopped {
		defer t.mu.Unlock()
		return t.final
	}
	t.stopped = true
	t.mu.Unlock()
	close(t.stop)
	t.wg.Wait()
	s := t.Stats()
	t.mu.Lock()
	t.final = s
	t.mu.Unlock()
	return s
}
