package measure

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/drdrill/drdrill/results"
)

// NearestRank is the 1-based rank of the p-th percentile (0 < p ≤ 100) of n sorted values by
// the nearest-rank method: ceil(p/100 × n), at least 1. The percentile is always one of the
// measured values, never an interpolation: p95 of 10 tenants is the 10th, p50 the 5th.
func NearestRank(n int, p float64) int {
	if n <= 0 {
		return 0
	}
	r := int(math.Ceil(p / 100 * float64(n)))
	// p/100*n may land a hair above an integer in floating point (0.95*20 = 19.000000000000004).
	if f := p / 100 * float64(n); r > 1 && f-float64(r-1) < 1e-9 {
		r--
	}
	return min(max(r, 1), n)
}

// RTOPercentile is the nearest-rank p-th percentile RTO over affected tenants of which those
// with an RTO in rtos were restored: the others never were and rank last, unbounded. False
// when the rank falls among them, or no tenant was affected. The summary and the objectives
// both read it, so a report never shows a p95 that its verdict contradicts.
func RTOPercentile(rtos []time.Duration, affected int, p float64) (time.Duration, bool) {
	rank := NearestRank(affected, p)
	if rank == 0 || rank > len(rtos) {
		return 0, false
	}
	s := slices.Clone(rtos)
	slices.Sort(s)
	return s[rank-1], true
}

// CurveTenant is what the restoration curve needs of one affected tenant.
type CurveTenant struct {
	Users    int
	Restored bool
	RTO      time.Duration
}

// RestorationCurve is the share of affected tenants, and of their users, verified restored
// over time since t0: a point at 0 and a point at each time the share changes. Tenants never
// restored keep the curve below 100 %. Nil when no tenant was affected.
func RestorationCurve(affected []CurveTenant) []results.CurvePoint {
	if len(affected) == 0 {
		return nil
	}
	totalUsers := 0
	var restored []CurveTenant
	for _, t := range affected {
		totalUsers += t.Users
		if t.Restored {
			restored = append(restored, t)
		}
	}
	slices.SortStableFunc(restored, func(a, b CurveTenant) int { return cmp.Compare(a.RTO, b.RTO) })
	// With no users at all (a fixture without users), the users' curve follows the tenants'.
	point := func(at time.Duration, tenants, users int) results.CurvePoint {
		p := results.CurvePoint{AtMS: results.MS(at), TenantsPct: 100 * float64(tenants) / float64(len(affected))}
		p.UsersPct = p.TenantsPct
		if totalUsers > 0 {
			p.UsersPct = 100 * float64(users) / float64(totalUsers)
		}
		return p
	}
	curve := []results.CurvePoint{point(0, 0, 0)}
	tenants, users := 0, 0
	for i := 0; i < len(restored); {
		at := restored[i].RTO
		for ; i < len(restored) && restored[i].RTO == at; i++ {
			tenants++
			users += restored[i].Users
		}
		if at == 0 {
			curve[0] = point(0, tenants, users)
			continue
		}
		curve = append(curve, point(at, tenants, users))
	}
	return curve
}
