package measure

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drdrill/drdrill/fixtures"
)

// TestSettled: the recovery settles only once every affected tenant is verified and none of
// their sites is down (a bystander's down site does not hold it), and then only after one
// more sweep that Settled itself asked the verifier for.
func TestSettled(t *testing.T) {
	sites := []SiteRef{{10, 1}, {20, 2}, {30, 3}} // tenants 1 and 2 affected, 3 a bystander
	f := newFakeService(sites)
	f.down[10], f.down[30] = true, true
	srv := httptest.NewServer(f)
	defer srv.Close()
	p, err := StartProber(context.Background(), ProberConfig{BaseURL: srv.URL, Sites: sites, Interval: 5 * time.Millisecond, PerSite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	good := manifest(map[string]fixtures.TableSum{"sites": {Rows: 1, Checksum: "7"}})
	baseline := fixtures.Manifest{Tenants: map[int64]fixtures.TenantManifest{1: good, 2: good}}
	var twoBack atomic.Bool
	o := &scriptedObserver{script: []func([]int64) (map[int64]Observation, error){
		func([]int64) (map[int64]Observation, error) {
			m := map[int64]Observation{1: {Manifest: good}}
			if twoBack.Load() {
				m[2] = Observation{Manifest: good}
			}
			return m, nil
		},
	}}
	// One sweep at the start and then none unless asked: a later sweep can only be SweepNow's.
	v, err := StartVerifier(context.Background(), VerifierConfig{Observer: o, Tenants: []int64{1, 2}, Baseline: baseline,
		Interval: time.Millisecond, Sweep: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()
	s := NewSettled(v, p, []int64{1, 2})

	setDown := func(down bool) {
		f.mu.Lock()
		f.down[10] = down // site 30, a bystander's, stays down throughout
		f.mu.Unlock()
		waitFor(t, "the prober to see site 10's change", 5*time.Second, func() bool { return len(p.Down()) == map[bool]int{true: 2, false: 1}[down] })
	}
	waitFor(t, "tenant 1 verified", 5*time.Second, func() bool { return s.Verified() == 1 })
	setDown(false)
	if s.Done() || s.sweeps != -1 {
		t.Fatalf("every affected site up, tenant 2 unverified: settled or started the last sweep (at sweep %d)", s.sweeps)
	}
	twoBack.Store(true)
	waitFor(t, "tenant 2 verified", 5*time.Second, func() bool { return s.Verified() == 2 })
	setDown(true)
	if s.Done() || s.sweeps != -1 {
		t.Fatalf("both verified, site 10 of affected tenant 1 down: settled or started the last sweep (at sweep %d)", s.sweeps)
	}
	setDown(false)
	_, before := v.Verified()
	waitFor(t, "settled", 5*time.Second, s.Done)
	if _, after := v.Verified(); after <= before {
		t.Errorf("settled after %d sweeps, as many as before it was up (%d): no sweep after the last rise", after, before)
	}
}
