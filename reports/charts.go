package reports

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/go-analyze/charts"

	"github.com/drdrill/drdrill/results"
)

// Charts are drawn by go-analyze/charts as SVG and inlined in the page: no script, no font
// or image fetched, and the page prints as drawn.

var (
	colBlue   = charts.ColorRGB(37, 99, 235)
	colTeal   = charts.ColorRGB(13, 148, 136)
	colAmber  = charts.ColorRGB(217, 119, 6)
	colRed    = charts.ColorRGB(220, 38, 38)
	colGrey   = charts.ColorRGB(148, 163, 184)
	colViolet = charts.ColorRGB(124, 58, 237)
	colText   = charts.ColorRGB(55, 65, 81)
	colSplit  = charts.ColorRGB(229, 231, 235)
	colNone   = charts.ColorTransparent
)

func theme(series ...charts.Color) charts.ColorPalette {
	return charts.MakeTheme(charts.ThemeOption{
		AxisStrokeColor:    colGrey,
		AxisSplitLineColor: colSplit,
		BackgroundColor:    charts.ColorRGB(255, 255, 255),
		TextColor:          colText,
		SeriesColors:       series,
	})
}

var (
	fontAxis   = charts.FontStyle{FontSize: 11, FontColor: colText}
	fontLegend = charts.FontStyle{FontSize: 12, FontColor: colText}
	fontTitle  = charts.FontStyle{FontSize: 12, FontColor: colText}
)

// timeUnit picks the unit an axis of durations up to maxMS reads best in.
func timeUnit(maxMS float64) (div float64, suffix string) {
	switch {
	case maxMS <= 2*60*1000:
		return 1000, "s"
	case maxMS <= 2*3600*1000:
		return 60 * 1000, "min"
	}
	return 3600 * 1000, "h"
}

func unitName(u string) string {
	return map[string]string{"s": "seconds", "min": "minutes", "h": "hours"}[u]
}

func num(v float64) string {
	if math.Abs(v) >= 10 || v == math.Trunc(v) {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func svg(p *charts.Painter) (template.HTML, error) {
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("render chart: %w", err)
	}
	// The SVG is our own library output (numbers and escaped labels), safe to inline.
	return template.HTML(b), nil
}

func painter(w, h int) *charts.Painter {
	return charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: w, Height: h})
}

// resampleCurve samples the restoration curve, a step function (a tenant counts as restored
// from its RTO on), at n+1 evenly spaced instants from 0 to endMS, so a category axis can
// carry it without drawing slopes that are not in the data.
func resampleCurve(pts []results.CurvePoint, endMS float64, n int) (at, tenants, users []float64) {
	sorted := append([]results.CurvePoint(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].AtMS < sorted[j].AtMS })
	for k := 0; k <= n; k++ {
		t := endMS * float64(k) / float64(n)
		var tp, up float64
		for _, p := range sorted {
			if p.AtMS > t {
				break
			}
			tp, up = p.TenantsPct, p.UsersPct
		}
		at, tenants, users = append(at, t), append(tenants, tp), append(users, up)
	}
	return at, tenants, users
}

// curveEnd is how far the curve's time axis runs: past the last restore, or to the end of the
// drill when a tenant never came back (the flat tail is the finding).
func curveEnd(r *results.Results) float64 {
	end := 0.0
	for _, p := range r.Curve {
		end = math.Max(end, p.AtMS)
	}
	if r.Summary.RestoredTenants < r.Summary.AffectedTenants || end == 0 {
		end = math.Max(end, float64(r.FinishedAt.Sub(r.Incident.T0).Milliseconds()))
	}
	if end <= 0 {
		end = 60000
	}
	return end * 1.05
}

// niceAxis splits [0, end] (in ms) into at most 8 ticks of a round step (1, 2 or 5 times a
// power of ten in the axis unit) and returns the axis end, tick count and unit.
func niceAxis(endMS float64) (axisEndMS float64, ticks int, div float64, unit string) {
	div, unit = timeUnit(endMS)
	e := endMS / div
	step := niceStep(e / 8)
	ticks = int(math.Ceil(e/step - 1e-9))
	return float64(ticks) * step * div, ticks, div, unit
}

// niceStep is the smallest of 1, 2 or 5 times a power of ten that is at least v.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if p*m >= v*(1-1e-9) {
			return p * m
		}
	}
	return 10 * p
}

func chartCurve(r *results.Results) (template.HTML, error) {
	end, ticks, div, unit := niceAxis(curveEnd(r))
	perTick := max(1, 60/ticks)
	n := ticks * perTick
	at, tp, up := resampleCurve(r.Curve, end, n)
	labels := make([]string, len(at))
	for i, t := range at {
		labels[i] = num(t / div)
	}
	opt := charts.NewLineChartOptionWithData([][]float64{tp, up})
	opt.Theme = theme(colBlue, colTeal)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"affected tenants", "their users"}, Offset: charts.OffsetRight, FontStyle: fontLegend}
	opt.XAxis = charts.XAxisOption{Labels: labels, LabelCount: ticks + 1, LabelFontStyle: fontAxis, BoundaryGap: charts.Ptr(false),
		Title: unitName(unit) + " since T0", TitleFontStyle: fontTitle}
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), LabelCount: 6, LabelFontStyle: fontAxis,
		ValueFormatter: func(v float64) string { return num(v) + "%" }}}
	opt.Symbol = charts.Symbol{Shape: charts.SymbolNone}
	opt.LineStrokeWidth = 2.5
	p := painter(560, 300)
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("restoration curve: %w", err)
	}
	return svg(p)
}

// The Atlassian April 2022 outage's published restoration figures: share of affected users
// restored by day after 5 April (12, 14, 15, 16 and 18 April).
var atlassianDays = []struct {
	day int
	pct float64
}{{0, 0}, {7, 45}, {9, 55}, {10, 78}, {11, 99}, {13, 100}}

// atlassianSeries is one value a day, joining the published figures by straight lines (the
// days between are not published).
func atlassianSeries() (labels []string, pct []float64) {
	start := time.Date(2022, 4, 5, 0, 0, 0, 0, time.UTC)
	for d := 0; d <= 14; d++ {
		labels = append(labels, start.AddDate(0, 0, d).Format("2"))
		for i := 1; i < len(atlassianDays); i++ {
			a, b := atlassianDays[i-1], atlassianDays[i]
			if d >= a.day && (d <= b.day || i == len(atlassianDays)-1) {
				pct = append(pct, math.Min(b.pct, a.pct+(b.pct-a.pct)*float64(d-a.day)/float64(b.day-a.day)))
				break
			}
		}
	}
	return labels, pct
}

func chartAtlassian() (template.HTML, error) {
	labels, pct := atlassianSeries()
	opt := charts.NewLineChartOptionWithData([][]float64{pct})
	opt.Theme = theme(colGrey)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"users restored"}, Offset: charts.OffsetRight, FontStyle: fontLegend}
	opt.XAxis = charts.XAxisOption{Labels: labels, LabelCount: 8, LabelFontStyle: fontAxis, BoundaryGap: charts.Ptr(false),
		Title: "day of April 2022", TitleFontStyle: fontTitle}
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), LabelCount: 6, LabelFontStyle: fontAxis,
		ValueFormatter: func(v float64) string { return num(v) + "%" }}}
	opt.LineStrokeWidth = 2
	p := painter(400, 300)
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("atlassian curve: %w", err)
	}
	return svg(p)
}

func shortName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// rtoHistogram counts restored tenants' RTOs in bins of equal width from 0 to maxMS.
func rtoHistogram(rtos []float64, maxMS float64, bins int) []float64 {
	h := make([]float64, bins)
	for _, v := range rtos {
		i := int(v / maxMS * float64(bins))
		if i >= bins {
			i = bins - 1
		}
		if i < 0 {
			i = 0
		}
		h[i]++
	}
	return h
}

// perTenantLimit is how many tenants a per-tenant bar chart shows by name; above it the RTO
// chart becomes a histogram (the atlassian profile has 775 affected tenants).
const perTenantLimit = 24

func chartRTO(r *results.Results) (template.HTML, error) {
	var ts []results.Tenant
	for _, t := range r.Tenants {
		if t.Affected && t.RTOMS != nil {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return "", nil
	}
	sort.SliceStable(ts, func(i, j int) bool { return *ts[i].RTOMS < *ts[j].RTOMS })
	maxMS := *ts[len(ts)-1].RTOMS
	axisEnd, ticks, div, unit := niceAxis(maxMS * 1.12) // room for the value labels
	var opt charts.BarChartOption
	var title string
	if len(ts) <= perTenantLimit {
		vals := make([]float64, len(ts))
		labels := make([]string, len(ts))
		for i, t := range ts {
			vals[i] = *t.RTOMS / div
			labels[i] = shortName(t.Name, 18)
		}
		// The bar chart draws the first category at the bottom: the slowest tenant ends on top.
		opt = charts.NewBarChartOptionWithData([][]float64{vals})
		opt.Horizontal = true
		opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: fontAxis}
		opt.SeriesList[0].Label = charts.SeriesLabel{Show: charts.Ptr(true), FontStyle: fontAxis,
			ValueFormatter: func(v float64) string { return fmtMS(v * div) }}
		title = "RTO (" + unitName(unit) + ")"
	} else {
		const bins = 20
		h := rtoHistogram(rtoValues(ts), maxMS, bins)
		labels := make([]string, bins)
		for i := range labels {
			labels[i] = "≤" + num(maxMS*float64(i+1)/bins/div)
		}
		opt = charts.NewBarChartOptionWithData([][]float64{h})
		opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: fontAxis, LabelCount: 5,
			Title: "RTO (" + unitName(unit) + "), upper bound of each bin", TitleFontStyle: fontTitle}
		title = "tenants"
	}
	opt.Theme = theme(colBlue)
	opt.Padding = charts.Box{Top: 10, Left: 10, Right: 50, Bottom: 10}
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: fontAxis, ValueFormatter: num,
		Title: title, TitleFontStyle: fontTitle}}
	if opt.Horizontal {
		opt.ValueAxis[0].Max, opt.ValueAxis[0].LabelCount = charts.Ptr(axisEnd/div), ticks+1
	}
	h := 300
	if opt.Horizontal {
		h = 60 + 22*len(ts)
	}
	p := painter(560, h)
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("rto chart: %w", err)
	}
	return svg(p)
}

func rtoValues(ts []results.Tenant) []float64 {
	v := make([]float64, 0, len(ts))
	for _, t := range ts {
		v = append(v, *t.RTOMS)
	}
	return v
}

// lossTenants are the tenants with any lost, changed or collateral write, most first, at most n.
func lossTenants(ts []results.Tenant, n int) []results.Tenant {
	var out []results.Tenant
	for _, t := range ts {
		if t.LostWrites+t.ChangedWrites+t.CollateralLost > 0 {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a := out[i].LostWrites + out[i].ChangedWrites + out[i].CollateralLost
		b := out[j].LostWrites + out[j].ChangedWrites + out[j].CollateralLost
		if a != b {
			return a > b
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func chartLoss(r *results.Results) (template.HTML, error) {
	ts := lossTenants(r.Tenants, 15)
	if len(ts) == 0 {
		return "", nil
	}
	lost, changed, col := make([]float64, len(ts)), make([]float64, len(ts)), make([]float64, len(ts))
	labels := make([]string, len(ts))
	for i, t := range ts {
		lost[i], changed[i], col[i] = float64(t.LostWrites), float64(t.ChangedWrites), float64(t.CollateralLost)
		name := shortName(t.Name, 18)
		if !t.Affected {
			name += " ·b"
		}
		labels[i] = name
	}
	for _, s := range [][]float64{lost, changed, col} {
		slices.Reverse(s) // most loss on top
	}
	slices.Reverse(labels)
	opt := charts.NewBarChartOptionWithData([][]float64{lost, changed, col})
	opt.Horizontal = true
	opt.StackSeries = charts.Ptr(true)
	opt.Theme = theme(colAmber, colViolet, colRed)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"lost before T0", "changed", "collateral after T0"}, FontStyle: fontLegend}
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: fontAxis}
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: fontAxis, ValueFormatter: num, LabelCount: 6,
		Title: "acknowledged writes (·b = bystander)", TitleFontStyle: fontTitle}}
	p := painter(560, 90+22*len(ts))
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("loss chart: %w", err)
	}
	return svg(p)
}

// chartSteps is the runbook as a timeline: each step a bar from its start to its end since
// T0 (an invisible bar carries the offset), so the long steps stand out.
func chartSteps(r *results.Results) (template.HTML, error) {
	steps := r.Runbook.Steps
	if len(steps) == 0 {
		return "", nil
	}
	end := 0.0
	for _, s := range steps {
		end = math.Max(end, s.StartMS+s.DurationMS)
	}
	axisEnd, ticks, div, unit := niceAxis(end)
	off, dur := make([]float64, len(steps)), make([]float64, len(steps))
	labels := make([]string, len(steps))
	for i, s := range steps {
		off[i], dur[i] = s.StartMS/div, s.DurationMS/div
		name := shortName(s.Name, 30)
		if s.Attempt > 1 {
			name += fmt.Sprintf(" (try %d)", s.Attempt)
		}
		labels[i] = name
	}
	slices.Reverse(off) // first step on top
	slices.Reverse(dur)
	slices.Reverse(labels)
	// The third, all-zero series keeps the axis at 0: with every stacked value positive the
	// library lowers the axis minimum by one unit, which Min cannot override.
	opt := charts.NewBarChartOptionWithData([][]float64{off, dur, make([]float64, len(steps))})
	opt.Horizontal = true
	opt.StackSeries = charts.Ptr(true)
	opt.Theme = theme(colNone, colBlue, colNone)
	opt.Padding = charts.Box{Top: 10, Left: 10, Right: 50, Bottom: 10}
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: fontAxis}
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(axisEnd / div), LabelCount: ticks + 1,
		LabelFontStyle: fontAxis, ValueFormatter: num, Title: unitName(unit) + " since T0", TitleFontStyle: fontTitle}}
	opt.SeriesList[1].Label = charts.SeriesLabel{Show: charts.Ptr(true), FontStyle: fontAxis,
		ValueFormatter: func(v float64) string { return fmtMS(v * div) }}
	p := painter(1140, 70+30*len(steps))
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("runbook chart: %w", err)
	}
	return svg(p)
}

// chartCompare sets the drills of one run side by side: RTO p95 and max (left axis) against
// the acknowledged writes lost or changed, by anyone (right axis: bystanders rolled back by
// full-pitr, victims' writes after T0 by a restore to T0), the trade-off between runbooks.
func chartCompare(rs []*results.Results) (template.HTML, error) {
	maxMS := 0.0
	for _, r := range rs {
		if r.Summary.RTOMaxMS != nil {
			maxMS = math.Max(maxMS, *r.Summary.RTOMaxMS)
		}
		if r.Summary.RTOP95MS != nil {
			maxMS = math.Max(maxMS, *r.Summary.RTOP95MS)
		}
	}
	axisEnd, ticks, div, unit := niceAxis(math.Max(maxMS, 1000) * 1.1)
	p95, mx, by := make([]float64, len(rs)), make([]float64, len(rs)), make([]float64, len(rs))
	labels := make([]string, len(rs))
	maxLoss := 0.0
	for i, r := range rs {
		if r.Summary.RTOP95MS != nil {
			p95[i] = *r.Summary.RTOP95MS / div
		}
		if r.Summary.RTOMaxMS != nil {
			mx[i] = *r.Summary.RTOMaxMS / div
		} else {
			mx[i] = charts.GetNullValue()
		}
		by[i] = float64(r.Summary.LostWrites + r.Summary.ChangedWrites + r.Summary.CollateralLost)
		maxLoss = math.Max(maxLoss, by[i])
		labels[i] = shortName(fmt.Sprintf("%d. %s", i+1, firstNonEmpty(r.Runbook.Name, "no runbook")), 24)
	}
	// The right axis gets as many ticks as the left so both share the grid lines.
	lossStep := niceStep(math.Max(maxLoss*1.1, 1) / float64(ticks))
	opt := charts.NewBarChartOptionWithData([][]float64{p95, mx, by})
	opt.SeriesList[2].YAxisIndex = 1
	opt.Theme = theme(colBlue, colTeal, colRed)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"RTO p95 (" + unitName(unit) + ", left)", "RTO max (" + unitName(unit) + ", left)", "writes lost or changed (right)"},
		FontStyle: fontLegend}
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: fontAxis}
	opt.ValueAxis = []charts.ValueAxisOption{
		{Min: charts.Ptr(0.0), Max: charts.Ptr(axisEnd / div), LabelCount: ticks + 1, LabelFontStyle: fontAxis, ValueFormatter: num},
		{Min: charts.Ptr(0.0), Max: charts.Ptr(lossStep * float64(ticks)), LabelCount: ticks + 1, LabelFontStyle: fontAxis, ValueFormatter: num},
	}
	rtoLabel := charts.SeriesLabel{Show: charts.Ptr(true), FontStyle: fontAxis, ValueFormatter: func(v float64) string { return fmtMS(v * div) }}
	opt.SeriesList[0].Label, opt.SeriesList[1].Label = rtoLabel, rtoLabel
	opt.SeriesList[2].Label = charts.SeriesLabel{Show: charts.Ptr(true), FontStyle: fontAxis,
		ValueFormatter: func(v float64) string { return fmtCount(int64(math.Round(v))) }}
	p := painter(1140, 300)
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("comparison chart: %w", err)
	}
	return svg(p)
}

// chartTrend draws RTO p95 and RPO max of past drills of one scenario, oldest first.
func chartTrend(past []*results.Results) (template.HTML, error) {
	if len(past) < 2 {
		return "", nil
	}
	maxRTO, maxRPO := 0.0, 0.0
	for _, r := range past {
		if r.Summary.RTOP95MS != nil {
			maxRTO = math.Max(maxRTO, *r.Summary.RTOP95MS)
		}
		maxRPO = math.Max(maxRPO, r.Summary.RPOMaxMS)
	}
	rdiv, runit := timeUnit(maxRTO)
	pdiv, punit := timeUnit(maxRPO)
	rto, rpo := make([]float64, len(past)), make([]float64, len(past))
	labels := make([]string, len(past))
	for i, r := range past {
		rto[i] = charts.GetNullValue()
		if r.Summary.RTOP95MS != nil {
			rto[i] = *r.Summary.RTOP95MS / rdiv
		}
		rpo[i] = r.Summary.RPOMaxMS / pdiv
		labels[i] = r.StartedAt.UTC().Format("2 Jan 15:04")
	}
	opt := charts.NewLineChartOptionWithData([][]float64{rto, rpo})
	opt.SeriesList[1].YAxisIndex = 1
	opt.Theme = theme(colBlue, colAmber)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"RTO p95 (" + unitName(runit) + ", left)", "RPO max (" + unitName(punit) + ", right)"},
		Offset: charts.OffsetRight, FontStyle: fontLegend}
	opt.XAxis = charts.XAxisOption{Labels: labels, LabelFontStyle: fontAxis, LabelCount: 6}
	opt.YAxis = []charts.YAxisOption{
		{Min: charts.Ptr(0.0), LabelFontStyle: fontAxis, ValueFormatter: num},
		{Min: charts.Ptr(0.0), LabelFontStyle: fontAxis, ValueFormatter: num},
	}
	opt.LineStrokeWidth = 2
	p := painter(1140, 280)
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("trend chart: %w", err)
	}
	return svg(p)
}

// drawCharts fills the view's charts. Kept apart from buildView so golden tests can pin the
// data without pinning the library's drawing.
func drawCharts(v *reportView, rep *Report, history map[string][]*results.Results) error {
	atl, err := chartAtlassian()
	if err != nil {
		return err
	}
	for i, r := range rep.Drills {
		c := &v.Drills[i].Charts
		c.Atlassian = atl
		for _, f := range []struct {
			dst *template.HTML
			fn  func(*results.Results) (template.HTML, error)
		}{{&c.Curve, chartCurve}, {&c.RTO, chartRTO}, {&c.Loss, chartLoss}, {&c.Steps, chartSteps}} {
			if *f.dst, err = f.fn(r); err != nil {
				return fmt.Errorf("drill %s: %w", r.RunID, err)
			}
		}
		if c.Trend, err = chartTrend(history[r.Scenario]); err != nil {
			return fmt.Errorf("drill %s: %w", r.RunID, err)
		}
	}
	if len(rep.Drills) > 1 {
		if v.Charts, err = chartCompare(rep.Drills); err != nil {
			return err
		}
	}
	return nil
}

// placeholderCharts replaces every chart by a marker naming it, for golden files.
func placeholderCharts(v *reportView) {
	mk := func(name string, h template.HTML) template.HTML {
		if h == "" {
			return ""
		}
		return template.HTML("<svg data-chart=\"" + name + "\"></svg>")
	}
	for i := range v.Drills {
		c := &v.Drills[i].Charts
		c.Curve, c.Atlassian, c.RTO = mk("curve", c.Curve), mk("atlassian", c.Atlassian), mk("rto", c.RTO)
		c.Loss, c.Steps, c.Trend = mk("loss", c.Loss), mk("steps", c.Steps), mk("trend", c.Trend)
	}
	v.Charts = mk("compare", v.Charts)
}
