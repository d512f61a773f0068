package measure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/fixtures"
)

func manifest(tables map[string]fixtures.TableSum) fixtures.TenantManifest {
	return fixtures.TenantManifest{Tables: tables}
}

type wroteSet map[Record]bool

func (w wroteSet) Wrote(site int64, key, value string) bool {
	return w[Record{Site: site, Key: key, Value: value}]
}

func TestJudgeData(t *testing.T) {
	base := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "11"}, "users": {Rows: 20, Checksum: "99"}})
	wrote := wroteSet{{Site: 1, Key: "live-a", Value: "r-1"}: true}
	tests := []struct {
		name    string
		obs     Observation
		traffic Writer
		ok      bool
		says    string
	}{
		{"equal, live value written there", Observation{Manifest: manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "11"}, "users": {Rows: 20, Checksum: "99"}}),
			Live: []Record{{Site: 1, Key: "live-a", Value: "r-1"}}}, wrote, true, ""},
		{"missing table rows", Observation{Manifest: manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "11"}, "users": {Rows: 0, Checksum: "0"}})},
			wrote, false, "users: 0 rows (checksum 0), want 20 (checksum 99)"},
		{"same count, other checksum (soft-deleted)", Observation{Manifest: manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "12"}, "users": {Rows: 20, Checksum: "99"}})},
			wrote, false, "sites: 1 rows (checksum 12), want 1"},
		{"nothing observed", Observation{}, wrote, false, "sites: 0 rows"},
		{"foreign live value", Observation{Manifest: base, Live: []Record{{Site: 1, Key: "live-a", Value: "r-1"},
			{Site: 1, Key: "live-b", Value: "r-1"}, {Site: 1, Key: "live-c", Value: "x"}}}, wrote, false,
			`live record live-b of site 1 holds "r-1", which traffic did not write there; 1 more`},
		{"no traffic: live records not judged", Observation{Manifest: base, Live: []Record{{Site: 1, Key: "live-b", Value: "x"}}}, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, detail := JudgeData(base, tt.obs, tt.traffic)
			if ok != tt.ok || !strings.Contains(detail, tt.says) {
				t.Errorf("got %v %q, want %v %q", ok, detail, tt.ok, tt.says)
			}
		})
	}
}

// scriptedObserver answers from a script: round i gets script[min(i, len-1)].
// It records the tenants each call asked for.
type scriptedObserver struct {
	mu     sync.Mutex
	rounds int
	asked  [][]int64
	script []func(tenants []int64) (map[int64]Observation, error)
}

func (s *scriptedObserver) Observe(ctx context.Context, tenants []int64) (map[int64]Observation, error) {
	s.mu.Lock()
	i := min(s.rounds, len(s.script)-1)
	s.rounds++
	s.asked = append(s.asked, slices.Clone(tenants))
	s.mu.Unlock()
	return s.script[i](tenants)
}

func TestVerifierSamples(t *testing.T) {
	good := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "7"}})
	baseline := fixtures.Manifest{Tenants: map[int64]fixtures.TenantManifest{1: good, 2: good}}
	obs := func(ok1, ok2 bool) func([]int64) (map[int64]Observation, error) {
		return func([]int64) (map[int64]Observation, error) {
			m := map[int64]Observation{}
			if ok1 {
				m[1] = Observation{Manifest: good}
			}
			if ok2 {
				m[2] = Observation{Manifest: good}
			}
			return m, nil
		}
	}
	down := func([]int64) (map[int64]Observation, error) { return nil, errors.New("connection refused") }
	o := &scriptedObserver{script: []func([]int64) (map[int64]Observation, error){obs(false, false), down, obs(true, false), obs(true, true)}}
	v, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{1, 2}, Baseline: baseline, Interval: 5 * time.Millisecond, Sweep: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both tenants verified", 5*time.Second, func() bool { ok, _ := v.Verified(); return len(ok) == 2 })
	samples := v.Stop()
	if len(samples) < 8 {
		t.Fatalf("%d samples, want at least 4 rounds of 2", len(samples))
	}
	want := []struct {
		ok   bool
		says string
	}{{false, "sites: 0 rows"}, {false, "sites: 0 rows"}, {false, "not observed: connection refused"}, {false, "not observed"},
		{true, ""}, {false, "sites"}, {true, ""}, {true, ""}}
	for i, w := range want {
		s := samples[i]
		if s.Tenant != int64(1+i%2) || s.DataOK != w.ok || !strings.Contains(s.Detail, w.says) {
			t.Errorf("sample %d: %+v, want tenant %d ok %v %q", i, s, 1+i%2, w.ok, w.says)
		}
	}
	if !samples[0].At.Before(samples[2].At) {
		t.Error("rounds not in time order")
	}
	if _, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{3}, Baseline: baseline}); err == nil {
		t.Error("verifier started for a tenant without a baseline")
	}
}

// TestVerifierSweep: between sweeps only unverified tenants are observed, so a verified
// tenant's relapse is seen at the next sweep, and a round with nothing to observe reads nothing.
func TestVerifierSweep(t *testing.T) {
	good := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "7"}})
	baseline := fixtures.Manifest{Tenants: map[int64]fixtures.TenantManifest{1: good, 2: good}}
	answer := func(ok ...int64) func([]int64) (map[int64]Observation, error) {
		return func(asked []int64) (map[int64]Observation, error) {
			m := map[int64]Observation{}
			for _, t := range ok {
				if slices.Contains(asked, t) {
					m[t] = Observation{Manifest: good}
				}
			}
			return m, nil
		}
	}
	tests := []struct {
		name   string
		sweep  int
		script []func([]int64) (map[int64]Observation, error)
		calls  int
		asked  string // the first calls' tenants
		last   []int64
	}{
		{"sweep 1 observes everyone every round", 1,
			[]func([]int64) (map[int64]Observation, error){answer(1), answer(1, 2)}, 3, "[[1 2] [1 2] [1 2]]", []int64{1, 2}},
		{"unverified only between sweeps; empty rounds read nothing", 3,
			[]func([]int64) (map[int64]Observation, error){answer(1), answer(1, 2)}, 3, "[[1 2] [2] [1 2]]", []int64{1, 2}},
		{"a relapse is seen at the next sweep", 3,
			[]func([]int64) (map[int64]Observation, error){answer(1, 2), answer(2)}, 3, "[[1 2] [1 2] [1]]", []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &scriptedObserver{script: tt.script}
			v, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{1, 2}, Baseline: baseline,
				Interval: time.Millisecond, Sweep: tt.sweep})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "observer calls", 5*time.Second, func() bool {
				o.mu.Lock()
				defer o.mu.Unlock()
				return len(o.asked) >= tt.calls
			})
			v.Stop()
			o.mu.Lock()
			defer o.mu.Unlock()
			if got := fmt.Sprint(o.asked[:tt.calls]); got != tt.asked {
				t.Errorf("asked %s, want %s", got, tt.asked)
			}
			if ok, _ := v.Verified(); !slices.Equal(ok, tt.last) {
				t.Errorf("verified %v, want %v", ok, tt.last)
			}
		})
	}
}

// TestVerifierSweepNow: SweepNow makes the next round read every tenant although both are
// verified and the next regular sweep is far off, and Verified counts that sweep.
func TestVerifierSweepNow(t *testing.T) {
	good := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "7"}})
	baseline := fixtures.Manifest{Tenants: map[int64]fixtures.TenantManifest{1: good, 2: good}}
	o := &scriptedObserver{script: []func([]int64) (map[int64]Observation, error){
		func([]int64) (map[int64]Observation, error) {
			return map[int64]Observation{1: {Manifest: good}, 2: {Manifest: good}}, nil
		},
	}}
	v, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{1, 2}, Baseline: baseline,
		Interval: time.Millisecond, Sweep: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()
	waitFor(t, "the first sweep", 5*time.Second, func() bool { _, n := v.Verified(); return n == 1 })
	v.SweepNow()
	waitFor(t, "the asked-for sweep", 5*time.Second, func() bool { _, n := v.Verified(); return n == 2 })
	o.mu.Lock()
	defer o.mu.Unlock()
	if got := fmt.Sprint(o.asked); got != "[[1 2] [1 2]]" {
		t.Errorf("asked %s, want the first sweep and the asked-for one", got)
	}
}

// TestVerifierRoundNow: with the next tick an hour away, RoundNow starts a round of the
// unverified tenants at once, and SweepNow one of every tenant.
func TestVerifierRoundNow(t *testing.T) {
	good := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "7"}})
	bad := manifest(map[string]fixtures.TableSum{"sites": {Rows: 0, Checksum: "0"}})
	baseline := fixtures.Manifest{Tenants: map[int64]fixtures.TenantManifest{1: good, 2: good}}
	o := &scriptedObserver{script: []func([]int64) (map[int64]Observation, error){
		func([]int64) (map[int64]Observation, error) {
			return map[int64]Observation{1: {Manifest: good}, 2: {Manifest: bad}}, nil
		},
		func([]int64) (map[int64]Observation, error) {
			return map[int64]Observation{1: {Manifest: good}, 2: {Manifest: good}}, nil
		},
	}}
	v, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{1, 2}, Baseline: baseline,
		Interval: time.Hour, Sweep: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()
	verified := func(n int) func() bool {
		return func() bool { ok, _ := v.Verified(); return len(ok) == n }
	}
	waitFor(t, "the first round", 5*time.Second, verified(1))
	v.RoundNow()
	waitFor(t, "the round asked for", 5*time.Second, verified(2))
	v.SweepNow()
	waitFor(t, "the sweep asked for", 5*time.Second, func() bool { _, n := v.Verified(); return n == 2 })
	o.mu.Lock()
	defer o.mu.Unlock()
	if got := fmt.Sprint(o.asked); got != "[[1 2] [2] [1 2]]" {
		t.Errorf("asked %s, want the first sweep, the unverified tenant, then the asked-for sweep", got)
	}
}
