package reports

import (
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/drdrill/drdrill/results"
)

// The view model: every figure the Markdown summary and the HTML page show, already formatted.
// It is built from results alone, and it is what the golden tests pin (as JSON), so a change
// to a number on the page shows up as a diff of data, not of markup.

type reportView struct {
	Title       string        `json:"title"`
	Group       string        `json:"group,omitempty"`
	Verdict     string        `json:"verdict"` // ok | breached | unknown
	Headline    string        `json:"headline"`
	Window      string        `json:"window"`
	Drills      []drillView   `json:"drills"`
	Compare     []compareRow  `json:"compare,omitempty"` // one row per drill when there are several
	CompareNote string        `json:"compare_note,omitempty"`
	Charts      template.HTML `json:"-"` // the comparison chart
}

type drillView struct {
	Anchor     string         `json:"anchor"`
	Scenario   string         `json:"scenario"`
	Feature    string         `json:"feature,omitempty"`
	RunID      string         `json:"run_id"`
	Shard      string         `json:"shard,omitempty"`
	Tags       string         `json:"tags,omitempty"`
	Profile    string         `json:"profile"`
	Seed       int64          `json:"seed"`
	Runbook    string         `json:"runbook"`
	Incident   string         `json:"incident"`
	Started    string         `json:"started"`
	Duration   string         `json:"duration"`
	Verdict    string         `json:"verdict"`
	Headline   string         `json:"headline"`
	Objectives []objectiveRow `json:"objectives"`
	Down       []figure       `json:"down"`
	Lost       []figure       `json:"lost"`
	Precision  string         `json:"precision"`
	Deletions  string         `json:"deletions,omitempty"` // the deletion timeline, in a line
	// BeforeRunbook is what every RTO holds before the runbook's first step, in a line.
	BeforeRunbook string      `json:"before_runbook,omitempty"`
	Worst         []tenantRow `json:"worst_tenants"`
	Bystanders    []string    `json:"bystanders"`
	Findings      []string    `json:"findings,omitempty"`
	Affected      bool        `json:"affected"` // any tenant affected: else there is nothing to chart
	Steps         []stepRow   `json:"steps"`
	RunbookErr    string      `json:"runbook_error,omitempty"`
	NotShown      string      `json:"rto_not_shown,omitempty"`
	Trend         []trendRow  `json:"trend,omitempty"`
	Charts        drillCharts `json:"-"`
}

type drillCharts struct {
	Curve, Atlassian, RTO, Loss, Steps, Trend template.HTML
}

type objectiveRow struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Margin   string `json:"margin"`
	Status   string `json:"status"` // ok | breached | unknown
	Word     string `json:"word"`   // met | breached | unknown
	Detail   string `json:"detail,omitempty"`
	Source   string `json:"source,omitempty"`
}

// figure is one headline number: "RTO p95" "1m28s".
type figure struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Bad   bool   `json:"bad,omitempty"` // drawn in the alarm colour
}

type tenantRow struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Users    int    `json:"users"`
	RTO      string `json:"rto"`
	Lost     int    `json:"lost"`
	Changed  int    `json:"changed"`
	Collat   int    `json:"collateral"`
	RPO      string `json:"rpo"`
	Restored bool   `json:"restored"`
}

type stepRow struct {
	Name     string `json:"name"`
	Start    string `json:"start"` // since T0
	Duration string `json:"duration"`
	Share    string `json:"share"` // of the runbook's step time
	Attempt  int    `json:"attempt,omitempty"`
	Error    string `json:"error,omitempty"`
	Dominant bool   `json:"dominant,omitempty"`
}

type trendRow struct {
	When    string `json:"when"`
	RunID   string `json:"run_id"`
	Verdict string `json:"verdict"`
	RTOP95  string `json:"rto_p95"`
	RPOMax  string `json:"rpo_max"`
	Current bool   `json:"current,omitempty"`
}

type compareRow struct {
	Anchor        string `json:"anchor"`
	Scenario      string `json:"scenario"`
	Runbook       string `json:"runbook"`
	Verdict       string `json:"verdict"`
	Restored      string `json:"restored"`
	RTOP50        string `json:"rto_p50"`
	RTOP95        string `json:"rto_p95"`
	RTOMax        string `json:"rto_max"`
	MTTD          string `json:"mttd"`
	RPOMax        string `json:"rpo_max"`
	Lost          string `json:"lost"`
	BystanderLoss string `json:"bystander_loss"`
}

// buildView turns a report into the view model. history maps a scenario to its past drills
// (oldest first); it may be nil.
func buildView(rep *Report, history map[string][]*results.Results) reportView {
	v := reportView{Title: "drdrill report", Group: rep.Group, Verdict: string(verdictOf(rep.Verdict))}
	switch {
	case len(rep.Drills) == 1:
		v.Title = rep.Drills[0].Scenario
	case rep.Group != "":
		v.Title = fmt.Sprintf("Drill run %s: %d drills", rep.Group, len(rep.Drills))
	default:
		v.Title = fmt.Sprintf("%d drills", len(rep.Drills))
	}
	v.Window = rep.StartedAt.UTC().Format("2006-01-02 15:04 UTC")
	met, breached, unknown := 0, 0, 0
	for i, r := range rep.Drills {
		d := buildDrill(i, r, history[r.Scenario])
		v.Drills = append(v.Drills, d)
		for _, o := range r.Objectives {
			switch o.Status {
			case results.StatusOK:
				met++
			case results.StatusBreached:
				breached++
			default:
				unknown++
			}
		}
	}
	v.Headline = headline(verdictOf(rep.Verdict), met, breached, unknown, len(rep.Drills))
	if len(rep.Drills) > 1 {
		for i, r := range rep.Drills {
			s := r.Summary
			v.Compare = append(v.Compare, compareRow{
				Anchor: v.Drills[i].Anchor, Scenario: r.Scenario, Runbook: v.Drills[i].Runbook, Verdict: v.Drills[i].Verdict,
				Restored: fmt.Sprintf("%d / %d", s.RestoredTenants, s.AffectedTenants),
				RTOP50:   fmtOptMS(s.RTOP50MS, "—"), RTOP95: fmtOptMS(s.RTOP95MS, "—"),
				RTOMax: rtoMaxText(s, "unbounded"), MTTD: fmtOptMS(s.MTTDMS, "—"),
				RPOMax: fmtMS(s.RPOMaxMS), Lost: fmtCount(int64(s.LostWrites + s.ChangedWrites)),
				BystanderLoss: fmtCount(int64(s.BystanderLost)),
			})
		}
		if best := bestRunbook(rep.Drills); best != "" {
			v.CompareNote = best
		}
	}
	return v
}

func headline(verdict results.Status, met, breached, unknown, drills int) string {
	total := met + breached + unknown
	where := ""
	if drills > 1 {
		where = fmt.Sprintf(" across %d drills", drills)
	}
	switch verdict {
	case results.StatusOK:
		return fmt.Sprintf("All %d objectives met%s", total, where)
	case results.StatusBreached:
		s := fmt.Sprintf("%d of %d objectives breached%s", breached, total, where)
		if breached == 0 {
			s = "Verdict breached" + where
		}
		if unknown > 0 {
			s += fmt.Sprintf(", %d not measured", unknown)
		}
		return s
	}
	if unknown == 0 {
		return "Verdict unknown" + where + ": a drill stopped before judging its objectives"
	}
	return fmt.Sprintf("%d of %d objectives could not be measured%s", unknown, total, where)
}

// verdictOf reads a verdict for display: anything but ok or breached (an empty verdict of a
// drill that stopped early, or a value from a newer schema) is unknown.
func verdictOf(s results.Status) results.Status { return worst(results.StatusOK, s) }

// rtoMaxText is RTO max, or why there is none: no tenant was affected ("—"), or one never
// came back (missing).
func rtoMaxText(s results.Summary, missing string) string {
	if s.RTOMaxMS == nil && (s.AffectedTenants == 0 || s.RestoredTenants >= s.AffectedTenants) {
		return "—"
	}
	return fmtOptMS(s.RTOMaxMS, missing)
}

// bestRunbook names, among drills of the same incident (mode and ID kind) that compare
// runbooks, the one with the lowest RTO p95 that restored everyone and lost nothing of
// bystanders: the trade-off the comparison exists to show. Drills of different incidents are
// not compared (undoing a mark is not an answer to a purge).
func bestRunbook(rs []*results.Results) string {
	type incident struct{ mode, kind, table string }
	var order []incident
	groups := map[incident][]*results.Results{}
	for _, r := range rs {
		k := incident{r.Params.Mode, r.Params.IDKind, r.Params.Table}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var notes []string
	for _, k := range order {
		g := groups[k]
		runbooks := map[string]bool{}
		for _, r := range g {
			runbooks[r.Runbook.Name] = true
		}
		if len(runbooks) < 2 {
			continue
		}
		var best *results.Results
		for _, r := range g {
			if r.Summary.BystanderLost > 0 || r.Summary.RTOP95MS == nil || r.Summary.RestoredTenants < r.Summary.AffectedTenants {
				continue
			}
			if best == nil || *r.Summary.RTOP95MS < *best.Summary.RTOP95MS {
				best = r
			}
		}
		what := fmt.Sprintf("%s with %s IDs", firstNonEmpty(k.mode, "?"), firstNonEmpty(k.kind, "?"))
		if k.table != "" {
			what = fmt.Sprintf("%s of table %s", k.mode, k.table)
		}
		if best == nil {
			notes = append(notes, fmt.Sprintf("%s: no runbook restored every affected tenant without bystander loss.", what))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s: the fastest runbook that restored every affected tenant without bystander loss is %s (RTO p95 %s).",
			what, best.Runbook.Name, fmtMS(*best.Summary.RTOP95MS)))
	}
	return strings.Join(notes, " ")
}

func buildDrill(i int, r *results.Results, past []*results.Results) drillView {
	s := r.Summary
	d := drillView{
		Anchor:   fmt.Sprintf("drill-%d-%s", i+1, slug(r.Scenario)),
		Scenario: r.Scenario, Feature: r.Feature, RunID: r.RunID, Shard: r.Shard,
		Tags: strings.Join(r.Tags, " "), Profile: r.Params.Profile, Seed: r.Params.Seed,
		Runbook:  firstNonEmpty(r.Runbook.Name, r.Params.Runbook, "none"),
		Started:  r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: fmtDuration(r.FinishedAt.Sub(r.StartedAt)),
		Verdict:  string(verdictOf(r.Verdict)), Findings: r.Findings, RunbookErr: r.Runbook.Error,
	}
	if s.ProbeIntervalMS > 0 {
		d.Precision = fmt.Sprintf("Times measured from T0 (%s) with a probe every %s; each is exact to within one probe interval.",
			r.Incident.T0.UTC().Format("15:04:05"), fmtMS(s.ProbeIntervalMS))
	} else {
		d.Precision = "The drill recorded no probe interval: its times have no stated precision."
	}
	d.Incident = fmt.Sprintf("%s mode, %s IDs: %d tenants, %d sites, %s users affected",
		firstNonEmpty(r.Params.Mode, "?"), firstNonEmpty(r.Params.IDKind, "?"), r.Incident.AffectedTenants,
		r.Incident.AffectedSites, fmtCount(int64(r.Incident.AffectedUsers)))
	if t := r.Params.Table; t != "" {
		d.Incident = fmt.Sprintf("%s of table %s: %d tenants, %d sites, %s users affected", firstNonEmpty(r.Params.Mode, "?"), t,
			r.Incident.AffectedTenants, r.Incident.AffectedSites, fmtCount(int64(r.Incident.AffectedUsers)))
	}
	if r.Incident.Refused {
		d.Incident = "refused by a guardrail: nothing deleted"
	}
	d.Deletions = deletionLine(r.Incident)
	d.BeforeRunbook = beforeRunbookLine(r)
	met, breached, unknown := 0, 0, 0
	for _, o := range r.Objectives {
		d.Objectives = append(d.Objectives, objectiveRow{
			Name: o.Name, Target: o.Target, Measured: measuredText(o), Margin: marginText(o),
			Status: string(o.Status), Word: statusWord(o.Status), Detail: o.Detail, Source: o.Source,
		})
		switch o.Status {
		case results.StatusOK:
			met++
		case results.StatusBreached:
			breached++
		default:
			unknown++
		}
	}
	d.Headline = headline(verdictOf(r.Verdict), met, breached, unknown, 1)

	never := s.AffectedTenants - s.RestoredTenants
	d.Affected = s.AffectedTenants > 0
	d.Down = []figure{
		{Label: "restored", Value: fmt.Sprintf("%d of %d tenants", s.RestoredTenants, s.AffectedTenants), Bad: never > 0},
		{Label: "RTO p50", Value: fmtOptMS(s.RTOP50MS, "—")},
		{Label: "RTO p95", Value: fmtOptMS(s.RTOP95MS, "—")},
		{Label: "RTO max", Value: rtoMaxText(s, "never restored"), Bad: never > 0},
		{Label: "MTTD", Value: fmtOptMS(s.MTTDMS, map[bool]string{true: "not detected", false: "—"}[s.AffectedTenants > 0]),
			Bad: s.MTTDMS == nil && s.AffectedTenants > 0},
	}
	d.Lost = []figure{
		{Label: "lost writes", Value: fmtCount(int64(s.LostWrites))},
		{Label: "changed writes", Value: fmtCount(int64(s.ChangedWrites)), Bad: s.ChangedWrites > 0},
		{Label: "collateral after T0", Value: fmtCount(int64(s.CollateralLost)), Bad: s.CollateralLost > 0},
		{Label: "RPO max", Value: fmtMS(s.RPOMaxMS)},
		{Label: "bystander loss", Value: bystanderText(s), Bad: s.BystanderLost > 0},
	}
	for _, t := range worstTenants(r.Tenants, 3) {
		d.Worst = append(d.Worst, tenantRow{
			ID: t.ID, Name: t.Name, Users: t.Users, RTO: fmtOptMS(t.RTOMS, "never restored"),
			Lost: t.LostWrites, Changed: t.ChangedWrites, Collat: t.CollateralLost, RPO: fmtMS(t.RPOMS), Restored: t.Restored,
		})
	}
	d.Bystanders = bystanderFindings(r)
	if never > 0 {
		d.NotShown = fmt.Sprintf("%d affected tenant(s) never restored: no RTO to draw.", never)
	}
	d.Steps = stepRows(r.Runbook.Steps)
	for _, p := range past {
		d.Trend = append(d.Trend, trendRow{
			When: p.StartedAt.UTC().Format("2006-01-02 15:04"), RunID: p.RunID,
			RTOP95: fmtOptMS(p.Summary.RTOP95MS, "—"), RPOMax: fmtMS(p.Summary.RPOMaxMS), Current: p.RunID == r.RunID,
			Verdict: string(verdictOf(p.Verdict)),
		})
	}
	return d
}

func bystanderText(s results.Summary) string {
	if s.BystanderLost == 0 {
		return "none"
	}
	return fmt.Sprintf("%s writes, %d tenants", fmtCount(int64(s.BystanderLost)), s.BystandersHit)
}

// worstTenants orders affected tenants worst first: never restored, then the longest RTO,
// then the most writes lost (lost + changed + collateral), then by id for a stable order.
func worstTenants(ts []results.Tenant, n int) []results.Tenant {
	var aff []results.Tenant
	for _, t := range ts {
		if t.Affected {
			aff = append(aff, t)
		}
	}
	loss := func(t results.Tenant) int { return t.LostWrites + t.ChangedWrites + t.CollateralLost }
	sort.SliceStable(aff, func(i, j int) bool {
		a, b := aff[i], aff[j]
		if (a.RTOMS == nil) != (b.RTOMS == nil) {
			return a.RTOMS == nil
		}
		if a.RTOMS != nil && *a.RTOMS != *b.RTOMS {
			return *a.RTOMS > *b.RTOMS
		}
		if loss(a) != loss(b) {
			return loss(a) > loss(b)
		}
		return a.ID < b.ID
	})
	if len(aff) > n {
		aff = aff[:n]
	}
	return aff
}

// bystanderFindings says in words what happened to tenants the incident did not touch.
func bystanderFindings(r *results.Results) []string {
	s := r.Summary
	var hit []results.Tenant
	down := 0
	for _, t := range r.Tenants {
		if t.Affected {
			continue
		}
		if t.LostWrites+t.ChangedWrites+t.CollateralLost > 0 {
			hit = append(hit, t)
		}
		if t.DowntimeMS > 0 {
			down++
		}
	}
	if s.BystanderLost == 0 && down == 0 {
		return []string{"No bystander tenant lost or changed a write, and none was down."}
	}
	var out []string
	if s.BystanderLost > 0 {
		out = append(out, fmt.Sprintf("%d bystander tenants lost %s writes in all (lost %s, changed %s, collateral after T0 %s).",
			s.BystandersHit, fmtCount(int64(s.BystanderLost)),
			fmtCount(int64(sumBy(hit, func(t results.Tenant) int { return t.LostWrites }))),
			fmtCount(int64(sumBy(hit, func(t results.Tenant) int { return t.ChangedWrites }))),
			fmtCount(int64(sumBy(hit, func(t results.Tenant) int { return t.CollateralLost })))))
		sort.SliceStable(hit, func(i, j int) bool {
			li := hit[i].LostWrites + hit[i].ChangedWrites + hit[i].CollateralLost
			lj := hit[j].LostWrites + hit[j].ChangedWrites + hit[j].CollateralLost
			if li != lj {
				return li > lj
			}
			return hit[i].ID < hit[j].ID
		})
		var names []string
		for _, t := range hit[:min(3, len(hit))] {
			names = append(names, fmt.Sprintf("%s (%d)", t.Name, t.LostWrites+t.ChangedWrites+t.CollateralLost))
		}
		if len(names) > 0 {
			out = append(out, "Hardest hit: "+strings.Join(names, ", ")+".")
		}
	}
	if down > 0 {
		out = append(out, fmt.Sprintf("%d bystander tenants were down during the restore.", down))
	}
	return out
}

func sumBy(ts []results.Tenant, f func(results.Tenant) int) int {
	n := 0
	for _, t := range ts {
		n += f(t)
	}
	return n
}

// stepRows lists runbook steps with their share of the total step time; the steps that
// together take at least half of it are marked dominant.
func stepRows(steps []results.Step) []stepRow {
	total := 0.0
	for _, s := range steps {
		total += s.DurationMS
	}
	order := make([]int, len(steps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return steps[order[a]].DurationMS > steps[order[b]].DurationMS })
	dominant := map[int]bool{}
	acc := 0.0
	for _, i := range order {
		if total <= 0 || acc >= total/2 {
			break
		}
		dominant[i] = true
		acc += steps[i].DurationMS
	}
	var rows []stepRow
	for i, s := range steps {
		share := "—"
		if total > 0 {
			share = fmt.Sprintf("%.0f%%", 100*s.DurationMS/total)
		}
		rows = append(rows, stepRow{
			Name: s.Name, Start: "T0+" + fmtMS(s.StartMS), Duration: fmtMS(s.DurationMS), Share: share,
			Attempt: s.Attempt, Error: s.Error, Dominant: dominant[i],
		})
	}
	return rows
}

// beforeRunbookLine says what every RTO holds before the runbook's first step: the script's
// run, the harness's assessment of the blast radius, the detection delay ("" when the drill
// recorded neither an assessment nor a runbook step).
func beforeRunbookLine(r *results.Results) string {
	in, rb := r.Incident, r.Runbook
	if in.AssessedMS == nil || len(rb.Steps) == 0 {
		return ""
	}
	first := rb.Steps[0].StartMS
	for _, s := range rb.Steps {
		first = min(first, s.StartMS)
	}
	line := fmt.Sprintf("Before the runbook, in every RTO: the faulty script ran %s from T0; the harness then assessed the blast radius from the data in %s",
		fmtMS(in.DurationMS), fmtMS(*in.AssessedMS))
	if d := r.Params.DetectionDelayMS; d > 0 {
		line += fmt.Sprintf("; the incident was noticed at T0+%s", fmtMS(d))
	}
	return line + fmt.Sprintf("; the runbook's first step started at T0+%s.", fmtMS(first))
}

// deletionLine says how the blast radius went down over time, as the probes saw it: how many of
// its sites, the first, the median and the last.
func deletionLine(in results.Incident) string {
	ds := in.Deletions
	if len(ds) == 0 {
		return ""
	}
	return fmt.Sprintf("Deletion timeline, from the probes: %d of the %d sites seen gone, the first at T0+%s, half by T0+%s, the last at T0+%s.",
		len(ds), in.AffectedSites, fmtMS(ds[0].AtMS), fmtMS(ds[(len(ds)-1)/2].AtMS), fmtMS(ds[len(ds)-1].AtMS))
}
