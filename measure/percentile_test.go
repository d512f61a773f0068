package measure

import (
	"reflect"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

func TestNearestRank(t *testing.T) {
	tests := []struct {
		n    int
		p    float64
		want int
	}{
		{0, 50, 0}, {1, 50, 1}, {1, 95, 1}, {1, 100, 1},
		{4, 50, 2}, {5, 50, 3}, {10, 50, 5}, {10, 95, 10}, {10, 90, 9},
		{20, 95, 19}, {100, 95, 95}, {100, 50, 50}, {101, 95, 96}, {3, 100, 3}, {7, 0, 1},
	}
	for _, tt := range tests {
		if got := NearestRank(tt.n, tt.p); got != tt.want {
			t.Errorf("NearestRank(%d, %v) = %d, want %d", tt.n, tt.p, got, tt.want)
		}
	}
}

// TestPercentileAllRestored: with every affected tenant restored, RTOPercentile is the plain
// nearest-rank percentile, and it leaves its input alone.
func TestPercentileAllRestored(t *testing.T) {
	ds := []time.Duration{9, 1, 5, 3, 7, 2, 8, 4, 10, 6} // 1..10, shuffled
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {95, 10}, {90, 9}, {10, 1}, {100, 10}} {
		got, ok := RTOPercentile(ds, len(ds), tt.p)
		if !ok || got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if ds[0] != 9 {
		t.Error("RTOPercentile sorted its input")
	}
	if _, ok := RTOPercentile(nil, 0, 50); ok {
		t.Error("percentile of nothing reported ok")
	}
}

func TestRestorationCurve(t *testing.T) {
	s := time.Second
	got := RestorationCurve([]CurveTenant{
		{Users: 10, Restored: true, RTO: 2 * s},
		{Users: 30, Restored: true, RTO: 5 * s},
		{Users: 40, Restored: true, RTO: 5 * s},
		{Users: 20, Restored: false},
	})
	want := []results.CurvePoint{
		{AtMS: 0, TenantsPct: 0, UsersPct: 0},
		{AtMS: 2000, TenantsPct: 25, UsersPct: 10},
		{AtMS: 5000, TenantsPct: 75, UsersPct: 80},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("curve\n got %+v\nwant %+v", got, want)
	}
	if c := RestorationCurve(nil); c != nil {
		t.Errorf("curve of no tenant: %+v, want nil", c)
	}
	// Restored at T0 itself starts the curve above 0; no users: users follow tenants.
	got = RestorationCurve([]CurveTenant{{Restored: true}, {Restored: true, RTO: s}})
	want = []results.CurvePoint{{AtMS: 0, TenantsPct: 50, UsersPct: 50}, {AtMS: 1000, TenantsPct: 100, UsersPct: 100}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("curve\n got %+v\nwant %+v", got, want)
	}
}

func TestRTOPercentile(t *testing.T) {
	s := time.Second
	var twenty []time.Duration // restored at 1..20 s
	for i := 1; i <= 20; i++ {
		twenty = append(twenty, time.Duration(21-i)*s) // unsorted on purpose
	}
	tests := []struct {
		name     string
		rtos     []time.Duration
		affected int
		p        float64
		want     time.Duration
		ok       bool
	}{
		{"all restored, p50", twenty, 20, 50, 10 * s, true},
		{"all restored, p95", twenty, 20, 95, 19 * s, true},
		{"all restored, max", twenty, 20, 100, 20 * s, true},
		{"2 of 22 never restored, p50 on a restored one", twenty, 22, 50, 11 * s, true},
		{"2 of 22 never restored, p95 on a never-restored one", twenty, 22, 95, 0, false},
		{"2 of 22 never restored, max", twenty, 22, 100, 0, false},
		{"none restored", nil, 3, 50, 0, false},
		{"none affected", nil, 0, 95, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RTOPercentile(tt.rtos, tt.affected, tt.p)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
