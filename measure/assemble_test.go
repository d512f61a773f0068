package measure

import (
	"strings"
	"testing"
	"time"
)

func TestAssemble(t *testing.T) {
	s := time.Second
	const probe = 250 * time.Millisecond
	// Tenants 1 and 2 are affected: 1 comes back at T0+4s, 2 never. Tenant 3 is a bystander
	// that loses one write acked after T0 (a whole-database rollback); tenant 4 is untouched.
	sites := []SiteRef{{10, 1}, {20, 2}, {21, 2}, {30, 3}, {40, 4}}
	tl := probeTimeline(sites, -2*s, 10*s, probe, func(site int64, d time.Duration) bool {
		switch site {
		case 10:
			return d < 1*s || d >= 4*s
		case 20, 21:
			return d < 1*s
		}
		return true
	})
	// Tenant 1's data is whole throughout; tenant 2's never is.
	samples := append(samplesEvery(1, 0, 10*s, 500*time.Millisecond, always),
		samplesEvery(2, 0, 10*s, 500*time.Millisecond, func(time.Duration) bool { return false })...)
	writes := []Write{
		w(1, 1, 10, "live-a", -3*s),
		w(2, 2, 20, "live-b", -2*s),
		w(3, 3, 30, "live-c", -1*s),
		w(4, 3, 30, "live-c", 2*s),
		w(5, 4, 40, "live-d", 3*s),
	}
	final := []Record{rec(1, 10, "live-a", "v1"), rec(3, 30, "live-c", "v3"), rec(4, 40, "live-d", "v5")}
	a := Assemble(Input{
		T0:       t0,
		Tenants:  []TenantInfo{{1, "one", 10}, {2, "two", 30}, {3, "three", 5}, {4, "four", 7}},
		Affected: []int64{2, 1},
		Writes:   writes,
		Final:    final,
		Timeline: tl,
		Samples:  samples,
	})
	sum := a.Summary
	if sum.AffectedTenants != 2 || sum.RestoredTenants != 1 || sum.AffectedUsers != 40 {
		t.Errorf("summary counts %+v", sum)
	}
	// Nearest rank over both affected tenants: p50 is tenant 1's RTO, p95 and max land on
	// tenant 2, never restored: unknown, as the objectives see them.
	if sum.RTOP50MS == nil || *sum.RTOP50MS != 4000 || sum.RTOP95MS != nil || sum.RTOMaxMS != nil {
		t.Errorf("RTO p50 %v p95 %v max %v, want 4000 nil nil (a tenant never restored)", deref(sum.RTOP50MS), deref(sum.RTOP95MS), deref(sum.RTOMaxMS))
	}
	if sum.MTTDMS == nil || *sum.MTTDMS != 1000 {
		t.Errorf("MTTD %v, want 1000", deref(sum.MTTDMS))
	}
	if sum.LostWrites != 1 || sum.RPOMaxMS != 2000 || sum.CollateralLost != 1 || sum.BystanderLost != 1 || sum.BystandersHit != 1 {
		t.Errorf("writes: %+v, want 1 lost (tenant 2, RPO 2 s), 1 collateral (bystander 3)", sum)
	}
	if sum.ProbeIntervalMS != 250 || a.RTOPrecision != 500*time.Millisecond {
		t.Errorf("probe interval %v, RTO precision %v; want 250 ms and the 500 ms between samples", sum.ProbeIntervalMS, a.RTOPrecision)
	}
	var ids []int64
	for _, tn := range a.Tenants {
		ids = append(ids, tn.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
		t.Fatalf("tenants %v, want affected 1, 2 then bystander 3 (4 has nothing to report)", ids)
	}
	one, two, three := a.Tenants[0], a.Tenants[1], a.Tenants[2]
	if !one.Restored || one.RTOMS == nil || *one.RTOMS != 4000 || one.DowntimeMS != 3000 || one.Name != "one" || one.Sites != 1 || one.Users != 10 {
		t.Errorf("tenant 1: %+v", one)
	}
	if two.Restored || two.RTOMS != nil || two.LostWrites != 1 || two.RPOMS != 2000 || two.Sites != 2 || /* down from its first probe at 1.001 s to the end at 10 s */ two.DowntimeMS != 8999 {
		t.Errorf("tenant 2: %+v", two)
	}
	if three.Affected || three.CollateralLost != 1 || three.RTOMS != nil || three.MTTDMS != nil {
		t.Errorf("tenant 3: %+v", three)
	}
	if len(a.Curve) != 2 || a.Curve[1].AtMS != 4000 || a.Curve[1].TenantsPct != 50 || a.Curve[1].UsersPct != 25 {
		t.Errorf("curve %+v", a.Curve)
	}
	all := strings.Join(a.Findings, "\n")
	for _, want := range []string{"1 of 2 affected tenants never verified restored: 2", "1 bystander tenants lost data", "collateral"} {
		if !strings.Contains(all, want) {
			t.Errorf("findings %q lack %q", all, want)
		}
	}
}

// TestAssembleSeededDamageAndCollateralWindow: a bystander whose seeded rows differ at the end
// is hit even though it lost no write, and a bystander's collateral loss carries the window
// from its first to its last lost acknowledgement.
func TestAssembleSeededDamageAndCollateralWindow(t *testing.T) {
	s := time.Second
	sites := []SiteRef{{10, 1}, {30, 3}, {40, 4}}
	tl := probeTimeline(sites, -2*s, 10*s, 250*time.Millisecond, func(site int64, d time.Duration) bool {
		return site != 10 || d < 1*s || d >= 3*s
	})
	writes := []Write{
		w(1, 3, 30, "live-c1", 2*s), // lost after T0: collateral
		w(2, 3, 30, "live-c2", 5*s), // lost after T0: collateral
		w(3, 4, 40, "live-d", 1*s),  // kept
	}
	a := Assemble(Input{
		T0:         t0,
		Tenants:    []TenantInfo{{1, "one", 10}, {3, "three", 5}, {4, "four", 7}},
		Affected:   []int64{1},
		Writes:     writes,
		Final:      []Record{rec(4, 40, "live-d", "v3")},
		Timeline:   tl,
		Samples:    samplesEvery(1, 0, 10*s, 500*time.Millisecond, always),
		SeededDiff: []int64{4},
	})
	byID := map[int64]int{}
	for i, tn := range a.Tenants {
		byID[tn.ID] = i
	}
	i3, ok3 := byID[3]
	i4, ok4 := byID[4]
	if !ok3 || !ok4 {
		t.Fatalf("tenants %+v: want bystanders 3 (collateral) and 4 (seeded rows damaged) reported", a.Tenants)
	}
	three, four := a.Tenants[i3], a.Tenants[i4]
	if three.CollateralLost != 2 || three.CollateralWindowMS != 3000 || !three.DataMatches {
		t.Errorf("tenant 3: collateral %d window %v ms data matches %v; want 2, 3000, true", three.CollateralLost, three.CollateralWindowMS, three.DataMatches)
	}
	if four.DataMatches || four.LostWrites+four.ChangedWrites+four.CollateralLost != 0 {
		t.Errorf("tenant 4: %+v; want seeded rows not matching and no write lost", four)
	}
	if a.Summary.BystandersHit != 2 || a.Summary.BystanderLost != 2 {
		t.Errorf("bystanders hit %d lost %d; want 2 hit (3 by loss, 4 by seeded damage), 2 writes lost", a.Summary.BystandersHit, a.Summary.BystanderLost)
	}
}

// TestSampleGap: only a gap after a not-OK sample bounds an RTO; the verifier's sparse samples
// of verified tenants between sweeps do not.
func TestSampleGap(t *testing.T) {
	ms := time.Millisecond
	sample := func(tenant int64, d time.Duration, ok bool) Sample {
		return Sample{Tenant: tenant, At: at(d), DataOK: ok}
	}
	tests := []struct {
		name    string
		samples []Sample
		want    time.Duration
	}{
		{"none", nil, 0},
		{"rise after a gap", []Sample{sample(1, 0, false), sample(1, 300*ms, false), sample(1, 800*ms, true)}, 500 * ms},
		{"verified samples far apart", []Sample{sample(1, 0, false), sample(1, 100*ms, true), sample(1, 5000*ms, true)}, 100 * ms},
		{"relapse seen late, rise soon", []Sample{sample(1, 0, true), sample(1, 5000*ms, false), sample(1, 5200*ms, true)}, 200 * ms},
		{"other tenants ignored", []Sample{sample(9, 0, false), sample(9, 9000*ms, true), sample(1, 0, false), sample(1, 50*ms, true)}, 50 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sampleGap(tt.samples, map[int64]bool{1: true}); got != tt.want {
				t.Errorf("gap %v, want %v", got, tt.want)
			}
		})
	}
}
