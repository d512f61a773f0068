package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/drdrill/drdrill/results"
)

//go:embed report.html.tmpl
var reportTemplate string

var pageTmpl = template.Must(template.New("report.html").Parse(reportTemplate))

// WriteHTML writes rep as one self-contained HTML page: inline CSS, charts as inline SVG, no
// script and no reference to anything outside the file. history maps a scenario name to its
// past drills, oldest first (LoadHistory gives them); nil draws no trend.
func WriteHTML(w io.Writer, rep *Report, history map[string][]*results.Results) error {
	v := buildView(rep, history)
	if err := drawCharts(&v, rep, history); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return writePage(w, v)
}

func writePage(w io.Writer, v reportView) error {
	if err := pageTmpl.Execute(w, v); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}
