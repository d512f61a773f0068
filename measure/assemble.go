package measure

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drdrill/drdrill/results"
)

// TenantInfo is what the fixtures know of a tenant.
type TenantInfo struct {
	ID    int64
	Name  string
	Users int
}

// Input is every history of a drill, as plain data.
type Input struct {
	T0       time.Time
	Tenants  []TenantInfo // every tenant of the drill
	Affected []int64      // found from the data: the manifest diff after the incident
	Writes   []Write      // the ledger
	Final    []Record     // live records visible after recovery (LiveRecords)
	Timeline Timeline     // the prober's; its Sites map sites to tenants
	Samples  []Sample     // the verifier's
	// SeededDiff lists tenants whose seeded rows differ from the pre-incident manifest after
	// recovery (the final manifest diff).
	SeededDiff []int64
}

// Assessment is a drill's judged figures, ready for results.json.
type Assessment struct {
	// Tenants: affected tenants by ID, then bystanders with a finding (loss, changed seeded
	// rows, or downtime) by ID.
	Tenants  []results.Tenant
	Summary  results.Summary
	Curve    []results.CurvePoint
	Findings []string
	// RTOPrecision bounds how late a measured RTO can be: the larger of the probe timeline's
	// Precision and the longest gap from a not-OK verifier sample of an affected tenant to its
	// next sample (an RTO ends at a probe or at a sample, whichever came last).
	RTOPrecision time.Duration
}

// Assemble judges a drill's histories: CheckWrites and CheckAvailability per tenant, then the
// summary and the restoration curve. Pure.
//
// Summary figures: percentiles (nearest rank) are over the affected tenants that were
// restored, and RTOMaxMS is nil when any affected tenant was never restored (as results.go
// says; Evaluate is stricter for objectives). RPOMaxMS and the write counts are over all
// tenants. A bystander is hit when it lost or changed any write or its seeded rows differ.
// ProbeIntervalMS is the timeline's Precision.
func Assemble(in Input) Assessment {
	affected := make(map[int64]bool, len(in.Affected))
	for _, t := range in.Affected {
		affected[t] = true
	}
	diff := make(map[int64]bool, len(in.SeededDiff))
	for _, t := range in.SeededDiff {
		diff[t] = true
	}
	info := make(map[int64]TenantInfo, len(in.Tenants))
	for _, t := range in.Tenants {
		info[t.ID] = t
	}
	sites := make(map[int64]int)
	for _, s := range in.Timeline.Sites {
		sites[s.Tenant]++
	}
	loss := CheckWrites(in.Writes, in.Final, in.T0)

	ids := make(map[int64]bool)
	for _, m := range []map[int64]bool{affected, diff} {
		for t := range m {
			ids[t] = true
		}
	}
	for t := range info {
		ids[t] = true
	}
	for t := range loss {
		ids[t] = true
	}
	for t := range sites {
		ids[t] = true
	}
	all := make([]int64, 0, len(ids))
	for t := range ids {
		all = append(all, t)
	}
	slices.Sort(all)
	av := CheckAvailability(in.Timeline, in.Samples, in.T0, all)

	var a Assessment
	s := &a.Summary
	s.ProbeIntervalMS = results.MS(in.Timeline.Precision())
	var restoredRTOs []time.Duration
	var curve []CurveTenant
	var never, bystanderDown []int64
	var maxBystanderDown time.Duration
	var bystanders []results.Tenant
	unledgered := 0
	for _, id := range all {
		l, v, ti := loss[id], av[id], info[id]
		t := results.Tenant{
			ID:             id,
			Name:           ti.Name,
			Affected:       affected[id],
			Sites:          sites[id],
			Users:          ti.Users,
			DowntimeMS:     results.MS(v.Downtime),
			LostWrites:     l.Lost,
			ChangedWrites:  l.Changed,
			CollateralLost: l.Collateral,
			RPOMS:          results.MS(l.RPO),
			DataMatches:    !diff[id],
		}
		if l.Collateral > 0 {
			t.CollateralWindowMS = results.MS(l.CollateralWindow())
		}
		unledgered += l.Unledgered
		s.LostWrites += l.Lost
		s.ChangedWrites += l.Changed
		s.CollateralLost += l.Collateral
		s.RPOMaxMS = max(s.RPOMaxMS, t.RPOMS)
		if !t.Affected {
			hit := l.Any() || !t.DataMatches
			if hit {
				s.BystandersHit++
				s.BystanderLost += l.Lost + l.Changed + l.Collateral
			}
			if v.Downtime > 0 {
				bystanderDown = append(bystanderDown, id)
				maxBystanderDown = max(maxBystanderDown, v.Downtime)
			}
			if hit || v.Downtime > 0 {
				bystanders = append(bystanders, t)
			}
			continue
		}
		s.AffectedTenants++
		s.AffectedUsers += ti.Users
		if v.Detected {
			t.MTTDMS = results.MSPtr(v.MTTD)
			if s.MTTDMS == nil || *t.MTTDMS < *s.MTTDMS {
				s.MTTDMS = results.MSPtr(v.MTTD)
			}
		}
		if v.Restored {
			t.Restored = true
			t.RTOMS = results.MSPtr(v.RTO)
			s.RestoredTenants++
			restoredRTOs = append(restoredRTOs, v.RTO)
		} else {
			never = append(never, id)
		}
		curve = append(curve, CurveTenant{Users: ti.Users, Restored: v.Restored, RTO: v.RTO})
		a.Tenants = append(a.Tenants, t)
	}
	a.Tenants = append(a.Tenants, bystanders...)
	if d, ok := RTOPercentile(restoredRTOs, s.AffectedTenants, 50); ok {
		s.RTOP50MS = results.MSPtr(d)
	}
	if d, ok := RTOPercentile(restoredRTOs, s.AffectedTenants, 95); ok {
		s.RTOP95MS = results.MSPtr(d)
	}
	if d, ok := RTOPercentile(restoredRTOs, s.AffectedTenants, 100); ok {
		s.RTOMaxMS = results.MSPtr(d)
	}
	a.Curve = RestorationCurve(curve)
	a.RTOPrecision = max(in.Timeline.Precision(), sampleGap(in.Samples, affected))

	prec := in.Timeline.Precision()
	if len(never) > 0 {
		a.Findings = append(a.Findings, fmt.Sprintf("%d of %d affected tenants never verified restored: %s",
			len(never), s.AffectedTenants, idList(never)))
	}
	if s.BystandersHit > 0 {
		var hit []int64
		for _, t := range bystanders {
			if t.LostWrites+t.ChangedWrites+t.CollateralLost > 0 || !t.DataMatches {
				hit = append(hit, t.ID)
			}
		}
		a.Findings = append(a.Findings, fmt.Sprintf("%d bystander tenants lost data (%d writes lost, changed or collateral): %s",
			s.BystandersHit, s.BystanderLost, idList(hit)))
	}
	if len(bystanderDown) > 0 {
		a.Findings = append(a.Findings, fmt.Sprintf("%d bystander tenants were down, up to %s each (± %s): %s",
			len(bystanderDown), maxBystanderDown.Round(time.Millisecond), prec.Round(time.Millisecond), idList(bystanderDown)))
	}
	if s.CollateralLost > 0 {
		a.Findings = append(a.Findings, fmt.Sprintf("%d writes acknowledged after T0 were lost (collateral loss)", s.CollateralLost))
	}
	if unledgered > 0 {
		a.Findings = append(a.Findings, fmt.Sprintf("%d live records match no ledgered write (a harness crash inside the ledger's %s flush window, or writes from elsewhere)",
			unledgered, FlushEvery))
	}
	return a
}

// sampleGap is the longest time from a not-OK sample of one of the tenants to its next sample:
// how long a rise to verified can go unseen. Gaps after an OK sample do not count: the verifier
// samples verified tenants only at its sweeps, and an RTO is measured at a rise.
func sampleGap(samples []Sample, tenants map[int64]bool) time.Duration {
	last := map[int64]Sample{}
	var gap time.Duration
	for _, s := range samples {
		if !tenants[s.Tenant] {
			continue
		}
		if prev, ok := last[s.Tenant]; ok && !prev.DataOK {
			gap = max(gap, s.At.Sub(prev.At))
		}
		last[s.Tenant] = s
	}
	return gap
}

// idList prints at most 20 IDs.
func idList(ids []int64) string {
	const most = 20
	var b strings.Builder
	for i, id := range ids {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(ids)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}
