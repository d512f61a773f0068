package measure

import (
	"fmt"
	"maps"
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
	// Deleted are the sites the blast radius names (found from the data): the deletion
	// timeline's sites.
	Deleted []int64
	// Readiness is what was read of the backups and the WAL archive just before T0; nil
	// when it was not read (no incident).
	Readiness *Readiness
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
	// Deletions is the deletion timeline (see Deletions).
	Deletions []results.Deletion
	// BackupAgeMS and WALArchiveLagMS are BackupAge and WALArchiveLag at T0, in ms; nil when
	// not measured.
	BackupAgeMS, WALArchiveLagMS *float64
}

// Assemble judges a drill's histories: CheckWrites and CheckAvailability per tenant, then the
// summary, the restoration curve and the findings. Pure.
//
// Summary figures: RTO percentiles (nearest rank, RTOPercentile) are over every affected
// tenant, those never restored ranked last as unbounded, so a percentile that lands on one
// is nil and RTOMaxMS is nil when any was never restored. RPOMaxMS and the write counts are
// over all tenants. A bystander is hit when it lost or changed any write or its seeded rows
// differ. ProbeIntervalMS is the timeline's Precision.
func Assemble(in Input) Assessment {
	rows := judgeTenants(in)
	var a Assessment
	a.Summary = summarize(rows, in.Timeline.Precision())
	var curve []CurveTenant
	for _, r := range rows {
		if r.Affected {
			a.Tenants = append(a.Tenants, r.Tenant)
			curve = append(curve, CurveTenant{Users: r.Users, Restored: r.Restored, RTO: r.avail.RTO})
		}
	}
	for _, r := range rows {
		if !r.Affected && (r.hit() || r.avail.Downtime > 0) {
			a.Tenants = append(a.Tenants, r.Tenant)
		}
	}
	a.Curve = RestorationCurve(curve)
	affected := make(map[int64]bool, len(in.Affected))
	for _, t := range in.Affected {
		affected[t] = true
	}
	a.RTOPrecision = max(in.Timeline.Precision(), sampleGap(in.Samples, affected))
	a.Findings = findings(rows, a.Summary, in.Timeline.Precision())
	a.Deletions = Deletions(in.Timeline, in.T0, in.Deleted)
	a.BackupAgeMS, a.WALArchiveLagMS = ReadinessMS(in.T0, in.Readiness)
	return a
}

// tenantRow is one tenant's figures with the checkers' verdicts they came from.
type tenantRow struct {
	results.Tenant
	loss  WriteLoss
	avail Availability
}

// hit says whether a bystander lost or changed data.
func (r tenantRow) hit() bool { return r.loss.Any() || !r.DataMatches }

// judgeTenants runs the checkers over every tenant any history names, in ID order.
func judgeTenants(in Input) []tenantRow {
	affected := set(in.Affected)
	diff := set(in.SeededDiff)
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
	all := slices.Sorted(maps.Keys(ids))
	av := CheckAvailability(in.Timeline, in.Samples, in.T0, all)
	rows := make([]tenantRow, 0, len(all))
	for _, id := range all {
		l, v, ti := loss[id], av[id], info[id]
		r := tenantRow{loss: l, avail: v, Tenant: results.Tenant{
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
		}}
		if l.Collateral > 0 {
			r.CollateralWindowMS = results.MS(l.CollateralWindow())
		}
		if r.Affected {
			if v.Detected {
				r.MTTDMS = results.MSPtr(v.MTTD)
			}
			if v.Restored {
				r.Restored = true
				r.RTOMS = results.MSPtr(v.RTO)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// summarize aggregates the tenants' figures.
func summarize(rows []tenantRow, probe time.Duration) results.Summary {
	var s results.Summary
	s.ProbeIntervalMS = results.MS(probe)
	var restored []time.Duration
	for _, r := range rows {
		s.LostWrites += r.LostWrites
		s.ChangedWrites += r.ChangedWrites
		s.CollateralLost += r.CollateralLost
		s.RPOMaxMS = max(s.RPOMaxMS, r.RPOMS)
		if !r.Affected {
			if r.hit() {
				s.BystandersHit++
				s.BystanderLost += r.LostWrites + r.ChangedWrites + r.CollateralLost
			}
			continue
		}
		s.AffectedTenants++
		s.AffectedUsers += r.Users
		if r.MTTDMS != nil && (s.MTTDMS == nil || *r.MTTDMS < *s.MTTDMS) {
			s.MTTDMS = results.MSPtr(r.avail.MTTD)
		}
		if r.Restored {
			s.RestoredTenants++
			restored = append(restored, r.avail.RTO)
		}
	}
	for p, dst := range map[float64]**float64{50: &s.RTOP50MS, 95: &s.RTOP95MS, 100: &s.RTOMaxMS} {
		if d, ok := RTOPercentile(restored, s.AffectedTenants, p); ok {
			*dst = results.MSPtr(d)
		}
	}
	return s
}

// findings says in plain language what the figures show that a reader must not miss.
func findings(rows []tenantRow, s results.Summary, probe time.Duration) []string {
	var never, hit, down []int64
	var maxDown time.Duration
	unledgered := 0
	for _, r := range rows {
		unledgered += r.loss.Unledgered
		switch {
		case r.Affected && !r.Restored:
			never = append(never, r.ID)
		case !r.Affected:
			if r.hit() {
				hit = append(hit, r.ID)
			}
			if r.avail.Downtime > 0 {
				down = append(down, r.ID)
				maxDown = max(maxDown, r.avail.Downtime)
			}
		}
	}
	var out []string
	if len(never) > 0 {
		out = append(out, fmt.Sprintf("%d of %d affected tenants never verified restored: %s",
			len(never), s.AffectedTenants, idList(never)))
	}
	if s.BystandersHit > 0 {
		out = append(out, fmt.Sprintf("%d bystander tenants lost data (%d writes lost, changed or collateral): %s",
			s.BystandersHit, s.BystanderLost, idList(hit)))
	}
	if len(down) > 0 {
		out = append(out, fmt.Sprintf("%d bystander tenants were down, up to %s each (± %s): %s",
			len(down), maxDown.Round(time.Millisecond), probe.Round(time.Millisecond), idList(down)))
	}
	if s.CollateralLost > 0 {
		out = append(out, fmt.Sprintf("%d writes acknowledged after T0 were lost (collateral loss)", s.CollateralLost))
	}
	if unledgered > 0 {
		out = append(out, fmt.Sprintf("%d live records match no ledgered write (a harness crash inside the ledger's %s flush window, or writes from elsewhere)",
			unledgered, FlushEvery))
	}
	return out
}

// set makes a membership map of ids.
func set(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
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
