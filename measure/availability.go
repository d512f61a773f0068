package measure

import (
	"slices"
	"time"
)

// SiteRef names a site and its tenant.
type SiteRef struct {
	ID     int64
	Tenant int64
}

// Transition is a change in what a site's health endpoint answers: its first probe, then every
// change of up/down or of status.
type Transition struct {
	Site   int64
	Tenant int64
	At     time.Time // when the answer reached the host (host clock; see wireClient); no answer: when it failed
	Up     bool      // 200 from /v1/sites/{id}/health
	Status int       // HTTP status; 0 when there was no answer
	Reason string    // "healthy", "missing", "deleted: ...", "timeout", ...
}

// Timeline is the prober's history.
type Timeline struct {
	Start, End time.Time
	// Interval is the configured probe interval; MaxGap the longest time seen between two
	// consecutive answers for one site (more than Interval when rounds overran it).
	Interval time.Duration
	MaxGap   time.Duration
	Sites    []SiteRef
	// Transitions are in the order they were recorded, which is time order per site.
	Transitions []Transition
}

// Precision bounds every time figure taken from the timeline: the larger of the configured
// interval and the largest gap actually seen.
func (tl Timeline) Precision() time.Duration { return max(tl.Interval, tl.MaxGap) }

// Sample is one verdict of the verifier on one tenant's data.
type Sample struct {
	Tenant int64
	At     time.Time // when the observation was complete
	DataOK bool      // seeded rows equal the manifest, live records hold values traffic wrote
	Detail string    // why not, when not
}

// Availability is one tenant's figures from the probe timeline and the verifier's samples.
type Availability struct {
	Tenant int64
	// Restored: at the end of the histories the tenant had all its sites up and its data
	// verified, and RestoredAt is the start of that final streak (never before t0).
	Restored   bool
	RestoredAt time.Time
	RTO        time.Duration // RestoredAt − t0, when Restored
	// Detected: a probe of one of its sites failed at or after t0 (or a site was already down
	// at t0, then MTTD is 0). MTTD = first failed probe − t0.
	Detected bool
	MTTD     time.Duration
	// Downtime is the total time, within the timeline, when at least one of its sites was down.
	Downtime time.Duration
}

// CheckAvailability computes, for each tenant in tenants, the RTO, MTTD and downtime.
//
// A tenant is up when every one of its sites (tl.Sites) has been probed and its last answer
// was healthy; its data is OK when its last sample says so. Before its first probe or first
// sample a tenant is neither: verified restored means someone verified it. The RTO is the
// start of the final streak of (up and data OK) that lasts to the end of the histories, minus
// t0; a tenant whose streak does not last to the end is not restored. Downtime counts only
// sites known to be down.
func CheckAvailability(tl Timeline, samples []Sample, t0 time.Time, tenants []int64) map[int64]Availability {
	sitesOf := make(map[int64][]int64)
	for _, s := range tl.Sites {
		sitesOf[s.Tenant] = append(sitesOf[s.Tenant], s.ID)
	}
	want := make(map[int64]bool, len(tenants))
	for _, t := range tenants {
		want[t] = true
	}
	trans := make(map[int64][]Transition)
	for _, tr := range tl.Transitions {
		if want[tr.Tenant] {
			trans[tr.Tenant] = append(trans[tr.Tenant], tr)
		}
	}
	samp := make(map[int64][]Sample)
	for _, s := range samples {
		if want[s.Tenant] {
			samp[s.Tenant] = append(samp[s.Tenant], s)
		}
	}
	out := make(map[int64]Availability, len(tenants))
	for _, t := range tenants {
		out[t] = tenantAvailability(t, sitesOf[t], trans[t], samp[t], tl.End, t0)
	}
	return out
}

type event struct {
	at     time.Time
	site   int64 // probe event when sample is false
	up     bool
	sample bool
	ok     bool
}

func tenantAvailability(tenant int64, sites []int64, trans []Transition, samples []Sample, end, t0 time.Time) Availability {
	a := Availability{Tenant: tenant}
	evs := make([]event, 0, len(trans)+len(samples))
	for _, tr := range trans {
		evs = append(evs, event{at: tr.At, site: tr.Site, up: tr.Up})
	}
	for _, s := range samples {
		evs = append(evs, event{at: s.At, sample: true, ok: s.DataOK})
	}
	slices.SortStableFunc(evs, func(x, y event) int { return x.at.Compare(y.at) })

	state := make(map[int64]bool, len(sites)) // site → up; absent = never probed
	isSite := make(map[int64]bool, len(sites))
	for _, s := range sites {
		isSite[s] = true
	}
	down := 0
	dataOK := false
	good := false
	var rise, downSince time.Time
	wasDownAtT0 := false
	sawT0 := false
	for i := 0; i < len(evs); {
		at := evs[i].at
		if !sawT0 && !at.Before(t0) {
			sawT0 = true
			wasDownAtT0 = down > 0
		}
		// Apply every event of this instant before judging it.
		for ; i < len(evs) && evs[i].at.Equal(at); i++ {
			e := evs[i]
			if e.sample {
				dataOK = e.ok
				continue
			}
			if !isSite[e.site] {
				continue
			}
			prev, known := state[e.site]
			if known && !prev {
				down--
			}
			if !e.up {
				down++
				if !a.Detected && !at.Before(t0) {
					a.Detected, a.MTTD = true, at.Sub(t0)
				}
			}
			state[e.site] = e.up
		}
		if down > 0 && downSince.IsZero() {
			downSince = at
		} else if down == 0 && !downSince.IsZero() {
			a.Downtime += at.Sub(downSince)
			downSince = time.Time{}
		}
		now := len(sites) > 0 && len(state) == len(sites) && down == 0 && dataOK
		if now && !good {
			rise = at
		}
		good = now
	}
	if !sawT0 {
		wasDownAtT0 = down > 0
	}
	if wasDownAtT0 && (!a.Detected || a.MTTD > 0) {
		a.Detected, a.MTTD = true, 0
	}
	if !downSince.IsZero() && end.After(downSince) {
		a.Downtime += end.Sub(downSince)
	}
	if good {
		a.Restored = true
		a.RestoredAt = rise
		if rise.Before(t0) {
			a.RestoredAt = t0
		}
		a.RTO = a.RestoredAt.Sub(t0)
	}
	return a
}
