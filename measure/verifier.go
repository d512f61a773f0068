package measure

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drdrill/drdrill/fixtures"
)

// Observation is one look at one tenant's data: its manifest (seeded rows) and its live
// records visible to the customer.
type Observation struct {
	Manifest fixtures.TenantManifest
	Live     []Record
}

// Observer takes observations of tenants' data. DBObserver is the real one.
type Observer interface {
	Observe(ctx context.Context, tenants []int64) (map[int64]Observation, error)
}

// Writer says whether traffic sent a value to a record; *Traffic is one.
type Writer interface {
	Wrote(site int64, key, value string) bool
}

// VerifierConfig configures StartVerifier.
type VerifierConfig struct {
	Observer Observer
	Tenants  []int64           // the affected tenants
	Baseline fixtures.Manifest // the pre-incident manifest; it must hold every tenant of Tenants
	Traffic  Writer            // nil: live records are not checked (no traffic ran)
	Interval time.Duration     // between rounds (default 1 s); a slow round delays the next
	// Sweep: every Sweep-th round (and the first) observes every tenant; the rounds between
	// observe only the tenants not verified at their last sample. Default 10; 1 observes every
	// tenant every round. An observation costs in proportion to the rows of the tenants it
	// reads, so re-reading hundreds of restored tenants twice a second competes with the
	// restore itself; the cost is that a verified tenant's relapse is seen up to Sweep rounds
	// late (the drill's final check reads every tenant again in one snapshot).
	Sweep int
}

// Verifier observes the affected tenants' data during recovery. See StartVerifier.
type Verifier struct {
	cfg    VerifierConfig
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{} // RoundNow: the next round starts without waiting for the tick

	mu       sync.Mutex
	samples  []Sample
	last     map[int64]bool // tenant → its last verdict
	sweeps   int            // rounds done that observed every tenant
	sweepNow bool           // the next round observes every tenant
}

// DefaultSweep is VerifierConfig.Sweep's default.
const DefaultSweep = 10

// StartVerifier observes the tenants of cfg.Tenants in rounds (all of them every cfg.Sweep
// rounds, the unverified ones in between) and records a Sample per observed tenant, judged by
// JudgeData. A round that fails to observe (the database is down during a restore) records
// every tenant it meant to observe as not OK: unverified is not restored.
func StartVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	if cfg.Observer == nil || len(cfg.Tenants) == 0 {
		return nil, errors.New("start verifier: need an observer and at least one tenant")
	}
	for _, t := range cfg.Tenants {
		if _, ok := cfg.Baseline.Tenants[t]; !ok {
			return nil, fmt.Errorf("start verifier: tenant %d is not in the baseline manifest", t)
		}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = DefaultSweep
	}
	cfg.Tenants = slices.Clone(cfg.Tenants)
	ctx, cancel := context.WithCancel(ctx)
	v := &Verifier{cfg: cfg, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1), last: map[int64]bool{}}
	go v.loop(ctx)
	return v, nil
}

func (v *Verifier) loop(ctx context.Context) {
	defer close(v.done)
	tick := time.NewTicker(v.cfg.Interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		tenants := v.next(n)
		if !v.round(ctx, tenants) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-v.wake:
		}
	}
}

// round observes tenants (none: nothing to read) and records their samples; false when the
// verifier is stopping, the round then dropped: a round cut short says nothing about the data.
func (v *Verifier) round(ctx context.Context, tenants []int64) bool {
	var round []Sample
	if len(tenants) > 0 {
		obs, err := v.cfg.Observer.Observe(ctx, tenants)
		at := time.Now()
		if ctx.Err() != nil {
			return false
		}
		round = make([]Sample, 0, len(tenants))
		for _, t := range tenants {
			s := Sample{Tenant: t, At: at}
			if err != nil {
				s.Detail = "not observed: " + err.Error()
			} else {
				s.DataOK, s.Detail = JudgeData(v.cfg.Baseline.Tenants[t], obs[t], v.cfg.Traffic)
			}
			round = append(round, s)
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.samples = append(v.samples, round...)
	for _, s := range round {
		v.last[s.Tenant] = s.DataOK
	}
	if len(tenants) == len(v.cfg.Tenants) {
		v.sweeps++
	}
	return true
}

// next chooses the tenants of round n: all of them at a sweep, else those whose last sample
// was not OK or that have none yet.
func (v *Verifier) next(n int) []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n%v.cfg.Sweep == 0 || v.sweepNow {
		v.sweepNow = false
		return v.cfg.Tenants
	}
	var out []int64
	for _, t := range v.cfg.Tenants {
		if !v.last[t] {
			out = append(out, t)
		}
	}
	return out
}

// SweepNow makes the next round observe every tenant, whatever its last verdict, and starts
// it now (RoundNow).
func (v *Verifier) SweepNow() {
	v.mu.Lock()
	v.sweepNow = true
	v.mu.Unlock()
	v.RoundNow()
}

// RoundNow starts the next round now instead of at the next tick: when the restore is done
// (the runbook returned), its samples need not wait out the interval. A call during a round
// starts the next one as soon as it ends; calls in between add nothing.
func (v *Verifier) RoundNow() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// Verified lists the tenants whose last sample was OK, and how many sweeps (rounds that
// observed every tenant) are done: a runbook or a step can wait on it (with a deadline).
func (v *Verifier) Verified() (ok []int64, sweeps int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, t := range slices.Sorted(maps.Keys(v.last)) {
		if v.last[t] {
			ok = append(ok, t)
		}
	}
	return ok, v.sweeps
}

// Stop ends the verifier (a round in progress is dropped) and returns every sample.
func (v *Verifier) Stop() []Sample {
	v.cancel()
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.samples
}

// JudgeData is the verifier's verdict on one observation: the tenant's seeded rows equal the
// baseline manifest table by table (count and checksum, soft-delete marks included), and each
// live record holds a value traffic wrote to that very record. Missing live records are not
// judged here: writes lost to a restore point are the RPO's to count (CheckWrites), or no
// tenant with RPO > 0 could ever be restored. detail says what differs.
func JudgeData(base fixtures.TenantManifest, obs Observation, traffic Writer) (ok bool, detail string) {
	var diffs []string
	for _, table := range slices.Sorted(maps.Keys(base.Tables)) {
		want, got := base.Tables[table], obs.Manifest.Tables[table]
		if want != got {
			// Appended, not formatted: the verifier judges every unverified tenant every round.
			b := make([]byte, 0, len(table)+len(got.Checksum)+len(want.Checksum)+64)
			b = append(append(b, table...), ": "...)
			b = append(strconv.AppendInt(b, got.Rows, 10), " rows (checksum "...)
			b = append(append(b, got.Checksum...), "), want "...)
			b = append(strconv.AppendInt(b, want.Rows, 10), " (checksum "...)
			b = append(append(b, want.Checksum...), ')')
			diffs = append(diffs, string(b))
		}
	}
	if traffic != nil {
		bad := 0
		for _, r := range obs.Live {
			if !traffic.Wrote(r.Site, r.Key, r.Value) {
				if bad == 0 {
					diffs = append(diffs, fmt.Sprintf("live record %s of site %d holds %q, which traffic did not write there", r.Key, r.Site, r.Value))
				}
				bad++
			}
		}
		if bad > 1 {
			diffs = append(diffs, fmt.Sprintf("%d more such live records", bad-1))
		}
	}
	if len(diffs) > 0 {
		return false, strings.Join(diffs, "; ")
	}
	return true, ""
}
