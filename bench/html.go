package bench

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed bench.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("bench.html").Funcs(template.FuncMap{
	"dur": durText, "count": count, "bytes": bytesText, "thousands": thousands,
	"pct":    func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) },
	"signed": func(v float64) string { return fmt.Sprintf("%+.0f %%", 100*v) },
	"ratio":  func(v float64) string { return fmt.Sprintf("%.1f×", v) },
	"figure": func(v float64, unit string) string { return fmt.Sprintf("%.2f%s", v, unit) },
	"target": func(f Figure) string {
		if f.AtMost {
			return fmt.Sprintf("≤ %.2f%s", f.Target, f.Unit)
		}
		return fmt.Sprintf("≥ %.2f%s", f.Target, f.Unit)
	},
	"whole": func(step string) bool { return step == RunbookStep || step == ComposedStep },
	"inc":   func(i int) int { return i + 1 },
	"float": func(v any) float64 {
		switch v := v.(type) {
		case int:
			return float64(v)
		case int64:
			return float64(v)
		}
		return math.NaN()
	},
}).Parse(pageTemplate))

// pageView is Export as the page lays it out: the figures as rows, a cell per run.
type pageView struct {
	Export
	Title, Meta string
	Headline    string // the first size's projected RTO
	Figures     []figureRow
}

type figureRow struct {
	Spread
	Cells []string // per run; "—" where the run did not measure it
}

// WriteHTML writes e as one self-contained page: inline CSS, no script, no reference to
// anything outside the file. Its first screen is the projection's verdict and the projected
// sizes; then the models, the drills they were fitted on, and every run's judged figures.
func WriteHTML(w io.Writer, e Export) error {
	v := pageView{Export: e, Title: "drdrill bench", Meta: fmt.Sprintf("%d runs", len(e.Runs))}
	if len(e.Runs) == 1 {
		v.Meta = "1 run"
	}
	if len(e.Runs) > 0 {
		r := e.Runs[0]
		v.Title = fmt.Sprintf("drdrill bench · %s profile", r.Profile)
		v.Meta += fmt.Sprintf(" · main drill %s tenants, %s rows", thousands(float64(r.Tenants)), count(float64(r.Rows)))
		if r.Load != "" {
			v.Meta += " · load average " + strings.TrimSpace(r.Load)
		}
	}
	if p := e.Projection; p != nil {
		v.Headline = "No size could be projected."
		for _, s := range p.Sizes {
			if s.Error != "" {
				continue
			}
			v.Headline = fmt.Sprintf("At %s: runbook %s", s.Name(), durText(s.RunbookS))
			if s.RTOP95S > 0 {
				v.Headline = fmt.Sprintf("At %s: projected RTO p95 %s, max %s (runbook %s)", s.Name(), durText(s.RTOP95S), durText(s.RTOMaxS), durText(s.RunbookS))
			}
			break
		}
	}
	for _, sp := range e.Spreads {
		row := figureRow{Spread: sp}
		for _, run := range e.Runs {
			cell := "—"
			for _, f := range run.Figures {
				if f.Name == sp.Name {
					cell = fmt.Sprintf("%.2f%s", f.Value, f.Unit)
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Figures = append(v.Figures, row)
	}
	if err := pageTmpl.Execute(w, v); err != nil {
		return fmt.Errorf("write bench html: %w", err)
	}
	return nil
}

// durText writes seconds for a person: 21.9 s, 14 min 05 s, 5 h 03 min.
func durText(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.1f s", s)
	case s < 3600:
		m := math.Round(s)
		return fmt.Sprintf("%.0f min %02.0f s", math.Floor(m/60), math.Mod(m, 60))
	}
	m := math.Round(s / 60)
	return fmt.Sprintf("%.0f h %02.0f min", math.Floor(m/60), math.Mod(m, 60))
}

// thousands writes a count with thousands separators: 200,000.
func thousands(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
