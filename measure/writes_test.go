package measure

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)

// at is T0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func w(seq, tenant, site int64, key string, ack time.Duration) Write {
	return Write{Seq: seq, Tenant: tenant, Site: site, Key: key, Value: fmt.Sprintf("v%d", seq), At: at(ack), Outcome: Acked}
}

func unknown(seq, tenant, site int64, key string, ack time.Duration) Write {
	x := w(seq, tenant, site, key, ack)
	x.Outcome = Unknown
	return x
}

func rec(tenant, site int64, key, value string) Record {
	return Record{Tenant: tenant, Site: site, Key: key, Value: value}
}

func TestCheckWrites(t *testing.T) {
	s := time.Second
	tests := []struct {
		name     string
		writes   []Write
		observed []Record
		want     map[int64]WriteLoss
	}{
		{
			name:     "everything present",
			writes:   []Write{w(1, 1, 10, "live-a", -5*s), w(2, 1, 10, "live-a", -4*s), w(3, 2, 20, "live-b", -3*s)},
			observed: []Record{rec(1, 10, "live-a", "v2"), rec(2, 20, "live-b", "v3")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 2}, 2: {Tenant: 2, Acked: 1}},
		},
		{
			name:     "absent key loses every write of it; RPO from the earliest",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 1, 10, "live-a", -4*s), w(3, 1, 10, "live-a", -1*s)},
			observed: nil,
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 3, Lost: 3, RPO: 9 * s}},
		},
		{
			name:     "rolled back to an earlier write loses the later ones",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 1, 10, "live-a", -4*s), w(3, 1, 10, "live-a", -1*s)},
			observed: []Record{rec(1, 10, "live-a", "v1")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 3, Lost: 2, RPO: 4 * s}},
		},
		{
			name:     "a value no write produced is one changed write",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 1, 10, "live-a", -4*s)},
			observed: []Record{rec(1, 10, "live-a", "garbage")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 2, Changed: 1}},
		},
		{
			name:     "value of another key's write is changed too",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 1, 10, "live-b", -4*s)},
			observed: []Record{rec(1, 10, "live-a", "v2"), rec(1, 10, "live-b", "v2")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 2, Changed: 1}},
		},
		{
			name: "writes acked after T0 and lost are collateral, with their window",
			writes: []Write{w(1, 1, 10, "live-a", -2*s), w(2, 1, 10, "live-a", 1*s), w(3, 1, 10, "live-a", 3*s),
				w(4, 1, 11, "live-b", 6*s)},
			observed: []Record{rec(1, 10, "live-a", "v1")},
			want: map[int64]WriteLoss{1: {Tenant: 1, Acked: 4, Collateral: 3,
				CollateralFirst: at(1 * s), CollateralLast: at(6 * s)}},
		},
		{
			name:     "ack exactly at T0 is collateral, a nanosecond before is lost",
			writes:   []Write{w(1, 1, 10, "live-a", -time.Nanosecond), w(2, 1, 11, "live-b", 0)},
			observed: nil,
			want: map[int64]WriteLoss{1: {Tenant: 1, Acked: 2, Lost: 1, RPO: time.Nanosecond, Collateral: 1,
				CollateralFirst: at(0), CollateralLast: at(0)}},
		},
		{
			name:     "an unknown-outcome write that committed after the last ack is no loss",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), unknown(2, 1, 10, "live-a", -4*s)},
			observed: []Record{rec(1, 10, "live-a", "v2")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 1}},
		},
		{
			name:     "an unknown-outcome write that never committed is no loss",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), unknown(2, 1, 10, "live-a", -4*s), unknown(3, 1, 11, "live-c", -3*s)},
			observed: []Record{rec(1, 10, "live-a", "v1")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 1}},
		},
		{
			name:     "surviving unknown-outcome write: acked writes after it are lost, before it not",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), unknown(2, 1, 10, "live-a", -4*s), w(3, 1, 10, "live-a", -2*s)},
			observed: []Record{rec(1, 10, "live-a", "v2")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 2, Lost: 1, RPO: 2 * s}},
		},
		{
			name:     "a live key no write touched is unledgered, not a loss",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s)},
			observed: []Record{rec(1, 10, "live-a", "v1"), rec(3, 30, "live-z", "x")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 1}, 3: {Tenant: 3, Unledgered: 1}},
		},
		{
			name:     "same key on two sites are two records",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 1, 11, "live-a", -8*s)},
			observed: []Record{rec(1, 10, "live-a", "v1")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 2, Lost: 1, RPO: 8 * s}},
		},
		{
			name:     "ledger out of order: Seq decides the order of a key's writes",
			writes:   []Write{w(3, 1, 10, "live-a", -1*s), w(1, 1, 10, "live-a", -9*s), w(2, 1, 10, "live-a", -4*s)},
			observed: []Record{rec(1, 10, "live-a", "v2")},
			want:     map[int64]WriteLoss{1: {Tenant: 1, Acked: 3, Lost: 1, RPO: 1 * s}},
		},
		{
			name:     "RPO is per tenant",
			writes:   []Write{w(1, 1, 10, "live-a", -9*s), w(2, 2, 20, "live-b", -3*s), w(3, 2, 20, "live-c", -5*s)},
			observed: []Record{},
			want: map[int64]WriteLoss{1: {Tenant: 1, Acked: 1, Lost: 1, RPO: 9 * s},
				2: {Tenant: 2, Acked: 2, Lost: 2, RPO: 5 * s}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckWrites(tt.writes, tt.observed, t0)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d tenants %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for id, want := range tt.want {
				g := got[id]
				if g.Tenant != want.Tenant || g.Acked != want.Acked || g.Lost != want.Lost || g.Changed != want.Changed ||
					g.Collateral != want.Collateral || g.RPO != want.RPO || g.Unledgered != want.Unledgered ||
					!g.CollateralFirst.Equal(want.CollateralFirst) || !g.CollateralLast.Equal(want.CollateralLast) {
					t.Errorf("tenant %d:\n got %+v\nwant %+v", id, g, want)
				}
			}
		})
	}
}

// TestCheckWritesGroundTruth drops exactly K writes' effects behind the checker's back and
// expects exactly K lost, with the RPO of the earliest dropped ack.
func TestCheckWritesGroundTruth(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{1000, 0}, {1000, 1}, {10000, 137}, {10000, 10000}} {
		t.Run(fmt.Sprintf("n=%d,k=%d", tc.n, tc.k), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(tc.n + tc.k)))
			// Keys of 5 tenants, 3 sites each; 30 % of writes update an earlier key.
			var writes []Write
			type slot struct {
				tenant, site int64
				key          string
			}
			var keys []slot
			for i := 0; i < tc.n; i++ {
				var s slot
				if len(keys) > 0 && rng.Float64() < 0.3 {
					s = keys[rng.Intn(len(keys))]
				} else {
					tenant := int64(rng.Intn(5) + 1)
					s = slot{tenant, tenant*100 + int64(rng.Intn(3)), fmt.Sprintf("live-%d", i)}
					keys = append(keys, s)
				}
				writes = append(writes, Write{Seq: int64(i + 1), Tenant: s.tenant, Site: s.site, Key: s.key,
					Value: fmt.Sprintf("run-%d", i+1), At: at(time.Duration(i-tc.n) * time.Millisecond), Outcome: Acked})
			}
			// Drop the effect of K random writes: a key rolls back past its dropped writes only if
			// they are its last ones, so drop whole suffixes: pick writes, roll each key back to
			// before its earliest dropped write, and count what that really removes.
			last := map[siteKey][]int{}
			for i, x := range writes {
				k := siteKey{x.Site, x.Key}
				last[k] = append(last[k], i)
			}
			dropped := 0
			cut := map[siteKey]int{} // key → number of its writes kept
			perm := rng.Perm(len(keys))
			wantRPO := map[int64]time.Duration{}
			for _, ki := range perm {
				if dropped == tc.k {
					break
				}
				s := keys[ki]
				k := siteKey{s.site, s.key}
				idx := last[k]
				drop := min(len(idx), tc.k-dropped)
				cut[k] = len(idx) - drop
				dropped += drop
				first := writes[idx[len(idx)-drop]]
				if d := t0.Sub(first.At); d > wantRPO[first.Tenant] {
					wantRPO[first.Tenant] = d
				}
			}
			if dropped != tc.k {
				t.Fatalf("setup dropped %d, want %d", dropped, tc.k)
			}
			var observed []Record
			for k, idx := range last {
				keep, ok := cut[k]
				if !ok {
					keep = len(idx)
				}
				if keep == 0 {
					continue
				}
				x := writes[idx[keep-1]]
				observed = append(observed, rec(x.Tenant, x.Site, x.Key, x.Value))
			}
			got := CheckWrites(writes, observed, t0)
			lost, acked := 0, 0
			for id, l := range got {
				lost += l.Lost
				acked += l.Acked
				if l.Changed+l.Collateral+l.Unledgered != 0 {
					t.Errorf("tenant %d: %+v, want only lost writes", id, l)
				}
				if l.RPO != wantRPO[id] {
					t.Errorf("tenant %d: RPO %v, want %v", id, l.RPO, wantRPO[id])
				}
			}
			if lost != tc.k || acked != tc.n {
				t.Errorf("lost %d of %d acked, want %d of %d", lost, acked, tc.k, tc.n)
			}
		})
	}
}

// TestGroupKeys holds the partitioned grouping against a plain map, with the real hash over
// enough writes for several partitions, and with hashes that collide (all keys of a site; every
// key, on a smaller ledger): same groups, numbered in order of first appearance, same observed
// records.
func TestGroupKeys(t *testing.T) {
	for _, tt := range []struct {
		name   string
		writes int
		hash   func(int64, string) uint64
	}{
		{"maphash", 5 * partitionGroups, nil},
		{"collide within a site", 5 * partitionGroups, func(site int64, _ string) uint64 { return uint64(site) * 0x9e3779b97f4a7c15 }},
		{"all collide", 2000, func(int64, string) uint64 { return 42 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writes, observed := SyntheticLedger(tt.writes, t0)
			observed = append(observed, Record{Tenant: 7, Site: 1, Key: "nowhere", Value: "x"}) // unledgered
			wantGid, wantCounts, wantObs, wantUnledgered := plainGroups(writes, observed)
			var gid, counts, obs []int32
			var unledgered []int
			if tt.hash == nil {
				gid, counts, obs, unledgered = groupKeys(writes, observed)
			} else {
				gid, counts, obs, unledgered = groupKeysBy(writes, observed, tt.hash)
			}
			if !slices.Equal(gid, wantGid) || !slices.Equal(counts, wantCounts) || !slices.Equal(obs, wantObs) || !slices.Equal(unledgered, wantUnledgered) {
				t.Errorf("groups differ from a plain map's: %d groups (want %d), unledgered %v (want %v)", len(counts), len(wantCounts), unledgered, wantUnledgered)
			}
		})
	}
}

// plainGroups is groupKeys the plain way: one map, groups in order of first appearance.
func plainGroups(writes []Write, observed []Record) (gid, counts, obs []int32, unledgered []int) {
	groups := map[siteKey]int32{}
	for _, w := range writes {
		g, ok := groups[siteKey{w.Site, w.Key}]
		if !ok {
			g = int32(len(counts))
			groups[siteKey{w.Site, w.Key}] = g
			counts = append(counts, 0)
		}
		gid = append(gid, g)
		counts[g]++
	}
	obs = make([]int32, len(counts))
	for i, r := range observed {
		if g, ok := groups[siteKey{r.Site, r.Key}]; ok {
			obs[g] = int32(i + 1)
		} else {
			unledgered = append(unledgered, i)
		}
	}
	return gid, counts, obs, unledgered
}
