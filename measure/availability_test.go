package measure

import (
	"testing"
	"time"
)

// probeTimeline simulates a prober: every interval (starting at T0+from, each site offset by
// a fixed phase) it asks isUp(site, t) and records a transition on every change, stamped at
// the probe time, as the real prober does.
func probeTimeline(sites []SiteRef, from, to, interval time.Duration, isUp func(site int64, t time.Duration) bool) Timeline {
	tl := Timeline{Start: at(from), End: at(to), Interval: interval, MaxGap: interval, Sites: sites}
	last := map[int64]*bool{}
	for d := from; d <= to; d += interval {
		for i, s := range sites {
			pt := d + time.Duration(i)*time.Millisecond // sites of one round are probed in turn
			up := isUp(s.ID, pt)
			if p := last[s.ID]; p == nil || *p != up {
				tl.Transitions = append(tl.Transitions, Transition{Site: s.ID, Tenant: s.Tenant, At: at(pt), Up: up})
				last[s.ID] = &up
			}
		}
	}
	return tl
}

// samplesEvery gives one sample per interval for tenant, OK when ok(t).
func samplesEvery(tenant int64, from, to, interval time.Duration, ok func(t time.Duration) bool) []Sample {
	var out []Sample
	for d := from; d <= to; d += interval {
		out = append(out, Sample{Tenant: tenant, At: at(d), DataOK: ok(d)})
	}
	return out
}

func always(time.Duration) bool { return true }

func TestAvailabilityGroundTruth(t *testing.T) {
	const probe = 250 * time.Millisecond
	s := time.Second
	// Tenant 1 is held down from T0+2s to T0+7s (true times chosen off the probe grid);
	// tenant 2 never goes down.
	sites := []SiteRef{{ID: 10, Tenant: 1}, {ID: 20, Tenant: 2}}
	down := func(site int64, t time.Duration) bool {
		return !(site == 10 && t >= 2*s+37*time.Millisecond && t < 7*s+113*time.Millisecond)
	}
	tl := probeTimeline(sites, -3*s, 12*s, probe, down)
	samples := append(samplesEvery(1, -3*s, 12*s, 100*time.Millisecond, always), samplesEvery(2, -3*s, 12*s, 100*time.Millisecond, always)...)
	got := CheckAvailability(tl, samples, t0, []int64{1, 2})

	a := got[1]
	trueRTO := 7*s + 113*time.Millisecond
	if !a.Restored || a.RTO < trueRTO || a.RTO > trueRTO+probe {
		t.Errorf("RTO %v (restored %v), want within [%v, %v]", a.RTO, a.Restored, trueRTO, trueRTO+probe)
	}
	trueMTTD := 2*s + 37*time.Millisecond
	if !a.Detected || a.MTTD < trueMTTD || a.MTTD > trueMTTD+probe {
		t.Errorf("MTTD %v, want within [%v, %v]", a.MTTD, trueMTTD, trueMTTD+probe)
	}
	trueDown := trueRTO - trueMTTD
	if a.Downtime < trueDown-probe || a.Downtime > trueDown+probe {
		t.Errorf("downtime %v, want %v ± %v", a.Downtime, trueDown, probe)
	}
	b := got[2]
	if !b.Restored || b.RTO != 0 || b.Detected || b.Downtime != 0 {
		t.Errorf("never-down tenant: %+v, want restored at T0, undetected, no downtime", b)
	}
}

func TestCheckAvailability(t *testing.T) {
	s := time.Second
	const probe = 250 * time.Millisecond
	two := []SiteRef{{ID: 10, Tenant: 1}, {ID: 11, Tenant: 1}}
	tests := []struct {
		name     string
		sites    []SiteRef
		isUp     func(site int64, t time.Duration) bool
		samples  []Sample
		restored bool
		rto      time.Duration // probe grid is exact here (offsets 0 and 1 ms)
		mttd     time.Duration
		detected bool
		downtime time.Duration
	}{
		{
			name:  "two sites: the later one decides",
			sites: two,
			isUp: func(site int64, t time.Duration) bool {
				return t < 1*s || (site == 10 && t >= 3*s) || (site == 11 && t >= 5*s)
			},
			samples:  samplesEvery(1, -1*s, 10*s, 500*time.Millisecond, always),
			restored: true, rto: 5*s + time.Millisecond, detected: true, mttd: 1 * s, downtime: 4*s + time.Millisecond,
		},
		{
			name:     "data verified after the sites are up decides",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < 1*s || t >= 7*s },
			samples:  samplesEvery(1, -1*s, 12*s, 500*time.Millisecond, func(t time.Duration) bool { return t < 1*s || t >= 9*s }),
			restored: true, rto: 9 * s, detected: true, mttd: 1 * s, downtime: 6 * s,
		},
		{
			name:     "flapping: the final streak counts",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < 1*s || (t >= 5*s && t < 6*s) || t >= 8*s },
			samples:  samplesEvery(1, -1*s, 12*s, 250*time.Millisecond, always),
			restored: true, rto: 8 * s, detected: true, mttd: 1 * s, downtime: 6 * s,
		},
		{
			name:     "down to the end: never restored, down until the prober stopped",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < 1*s },
			samples:  samplesEvery(1, -1*s, 12*s, 250*time.Millisecond, always),
			restored: false, detected: true, mttd: 1 * s, downtime: 11 * s,
		},
		{
			name:     "no verification: not restored",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < 1*s || t >= 3*s },
			samples:  nil,
			restored: false, detected: true, mttd: 1 * s, downtime: 2 * s,
		},
		{
			name:     "data broken at the last sample: not restored",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < 1*s || t >= 3*s },
			samples:  samplesEvery(1, -1*s, 12*s, 250*time.Millisecond, func(t time.Duration) bool { return t < 11*s }),
			restored: false, detected: true, mttd: 1 * s, downtime: 2 * s,
		},
		{
			name:     "already down at T0: detected at once",
			sites:    two[:1],
			isUp:     func(_ int64, t time.Duration) bool { return t < -2*s || t >= 3*s },
			samples:  samplesEvery(1, -1*s, 12*s, 250*time.Millisecond, always),
			restored: true, rto: 3 * s, detected: true, mttd: 0, downtime: 5 * s,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := probeTimeline(tt.sites, -3*s, 12*s, probe, tt.isUp)
			a := CheckAvailability(tl, tt.samples, t0, []int64{1})[1]
			if a.Restored != tt.restored || (tt.restored && a.RTO != tt.rto) {
				t.Errorf("restored %v RTO %v, want %v %v", a.Restored, a.RTO, tt.restored, tt.rto)
			}
			if a.Detected != tt.detected || a.MTTD != tt.mttd {
				t.Errorf("detected %v MTTD %v, want %v %v", a.Detected, a.MTTD, tt.detected, tt.mttd)
			}
			if a.Downtime != tt.downtime {
				t.Errorf("downtime %v, want %v", a.Downtime, tt.downtime)
			}
		})
	}
}

func TestCheckAvailabilityUnprobedSite(t *testing.T) {
	// A tenant with two sites of which only one was ever probed is not known to be up.
	tl := Timeline{Start: at(0), End: at(time.Minute), Sites: []SiteRef{{10, 1}, {11, 1}},
		Transitions: []Transition{{Site: 10, Tenant: 1, At: at(time.Second), Up: true}}}
	a := CheckAvailability(tl, []Sample{{Tenant: 1, At: at(0), DataOK: true}}, t0, []int64{1})[1]
	if a.Restored {
		t.Errorf("restored with a site never probed: %+v", a)
	}
}
