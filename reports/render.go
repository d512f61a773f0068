package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drdrill/drdrill/internal/atomicfile"
	"github.com/drdrill/drdrill/results"
)

// Options tune RenderAll.
type Options struct {
	// HistoryDir, when set, is the history directory: every drill rendered is recorded in it
	// (AppendHistory: rendering the same drill again changes nothing) and each scenario's
	// trend is read from it.
	HistoryDir string
	// CucumberWritten says godog's own formatter already wrote cucumber.json into the output
	// directory; RenderAll then leaves that file alone.
	CucumberWritten bool
	// Warn gets a line for each history file that could not be read (skipped); nil: none.
	Warn io.Writer
}

// The files RenderAll writes, by name.
const (
	JUnitFile    = "junit.xml"
	CucumberFile = "cucumber.json"
	SummaryFile  = "summary.md"
	HTMLFile     = "report.html"
)

// RenderAll merges rs (one drill run: its scenarios or its shards) and writes junit.xml,
// cucumber.json (unless opts.CucumberWritten), summary.md and report.html into outDir,
// creating it if needed. Each file is written whole or not at all. With opts.HistoryDir the
// drills are also recorded in the history. An empty rs is ErrNoResults.
func RenderAll(outDir string, rs []*results.Results, opts Options) error {
	rep, err := Merge(rs)
	if err != nil {
		return err
	}
	var history map[string][]*results.Results
	if opts.HistoryDir != "" {
		for _, r := range rep.Drills {
			if _, err := AppendHistory(opts.HistoryDir, r); err != nil {
				return err
			}
		}
		if history, err = trends(opts.HistoryDir, rep, opts.Warn); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("report output directory: %w", err)
	}
	type out struct {
		name  string
		write func(*bytes.Buffer) error
	}
	files := []out{
		{JUnitFile, func(b *bytes.Buffer) error { return WriteJUnit(b, rep) }},
		{CucumberFile, func(b *bytes.Buffer) error { return WriteCucumber(b, rep) }},
		{SummaryFile, func(b *bytes.Buffer) error { return WriteSummary(b, rep) }},
		{HTMLFile, func(b *bytes.Buffer) error { return WriteHTML(b, rep, history) }},
	}
	for _, f := range files {
		if f.name == CucumberFile && opts.CucumberWritten {
			continue
		}
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(outDir, f.name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// trends loads each scenario's history and makes sure the drills being reported are on it.
func trends(dir string, rep *Report, warn io.Writer) (map[string][]*results.Results, error) {
	h := map[string][]*results.Results{}
	for _, r := range rep.Drills {
		if _, ok := h[r.Scenario]; !ok {
			past, err := LoadHistory(dir, r.Scenario, warn)
			if err != nil {
				return nil, err
			}
			h[r.Scenario] = past
		}
		found := false
		for _, p := range h[r.Scenario] {
			found = found || p.RunID == r.RunID
		}
		if !found {
			h[r.Scenario] = insertByStart(h[r.Scenario], r)
		}
	}
	return h, nil
}

func insertByStart(rs []*results.Results, r *results.Results) []*results.Results {
	i := len(rs)
	for i > 0 && rs[i-1].StartedAt.After(r.StartedAt) {
		i--
	}
	out := append([]*results.Results(nil), rs[:i]...)
	out = append(out, r)
	return append(out, rs[i:]...)
}

func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
