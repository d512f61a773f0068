package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/drdrill/drdrill/results"
)

// The JUnit structure of Ant and Jenkins (the one GitHub, GitLab and Jenkins consume). Field
// order is the schema's element order.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr,omitempty"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Errors    []junitProblem `xml:"error"`
	Failures  []junitProblem `xml:"failure"`
	SystemOut *cdata         `xml:"system-out,omitempty"`
}

// cdata keeps multi-line text readable in the file (encoding/xml escapes newlines in
// attribute-free character data otherwise).
type cdata struct {
	Text string `xml:",cdata"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes the drills of rep as JUnit XML: one <testsuite> per drill (each results
// file has its own run id, seed and runbook, which JUnit can only carry as suite properties),
// one <testcase> per scenario. A breached objective is a <failure> whose message names the
// objective, target, measured value and margin; an objective that could not be measured is an
// <error type="unknown"> with the reason, so CI shows it red rather than skipped.
func WriteJUnit(w io.Writer, rep *Report) error {
	doc := junitSuites{Name: "drdrill"}
	if rep.Group != "" {
		doc.Name = "drdrill " + rep.Group
	}
	var total float64
	for i, r := range rep.Drills {
		s := junitDrill(i, r)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += r.FinishedAt.Sub(r.StartedAt).Seconds()
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func junitDrill(i int, r *results.Results) junitSuite {
	dur := seconds(r.FinishedAt.Sub(r.StartedAt).Seconds())
	feature := r.Feature
	if feature == "" {
		feature = "drdrill"
	}
	s := junitSuite{
		Name:      feature + ": " + r.Scenario,
		ID:        i,
		Package:   "drdrill",
		Tests:     1,
		Time:      dur,
		Timestamp: r.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Hostname:  "drdrill",
	}
	prop := func(k, v string) {
		if v != "" {
			s.Properties = append(s.Properties, junitProperty{k, v})
		}
	}
	prop("run_id", r.RunID)
	prop("group", r.Group)
	prop("shard", r.Shard)
	prop("feature", r.Feature)
	prop("seed", strconv.FormatInt(r.Params.Seed, 10))
	prop("profile", r.Params.Profile)
	prop("runbook", firstNonEmpty(r.Runbook.Name, r.Params.Runbook))
	prop("mode", r.Params.Mode)
	prop("id_kind", r.Params.IDKind)
	if r.Params.Table != "" {
		prop("table", r.Params.Table)
	}
	prop("tags", strings.Join(r.Tags, " "))
	prop("verdict", string(verdictOf(r.Verdict)))
	prop("schema", strconv.Itoa(r.Schema))

	c := junitCase{Name: r.Scenario, Classname: feature, Time: dur}
	for _, o := range r.Objectives {
		switch o.Status {
		case results.StatusBreached:
			c.Failures = append(c.Failures, junitProblem{Message: objectiveMessage(o), Type: "breached", Text: objectiveText(o)})
		case results.StatusOK:
		default:
			c.Errors = append(c.Errors, junitProblem{Message: objectiveMessage(o), Type: "unknown", Text: objectiveText(o)})
		}
	}
	if r.Runbook.Error != "" {
		c.Errors = append(c.Errors, junitProblem{Message: "runbook " + r.Runbook.Name + ": " + r.Runbook.Error, Type: "runbook"})
	}
	// A verdict worse than the objectives show (a guardrail refusal, a fault) still fails the case.
	if len(c.Failures) == 0 && r.Verdict == results.StatusBreached {
		c.Failures = append(c.Failures, junitProblem{Message: "verdict breached: " + strings.Join(r.Findings, "; "), Type: "breached"})
	}
	if len(c.Errors) == 0 && len(c.Failures) == 0 && r.Verdict != results.StatusOK && r.Verdict != results.StatusBreached {
		c.Errors = append(c.Errors, junitProblem{Message: "verdict " + string(verdictOf(r.Verdict)) + ": " + strings.Join(r.Findings, "; "), Type: "unknown"})
	}
	if len(c.Failures) > 0 {
		s.Failures = 1
	} else if len(c.Errors) > 0 {
		s.Errors = 1
	}
	c.SystemOut = &cdata{drillText(r)}
	s.Cases = []junitCase{c}
	return s
}

// objectiveText is the body of a failure: everything a reader needs without opening the report.
func objectiveText(o results.Objective) string {
	var b strings.Builder
	fmt.Fprintf(&b, "objective: %s\ntarget:    %s\nmeasured:  %s\nmargin:    %s\nstatus:    %s\n",
		o.Name, o.Target, measuredText(o), marginText(o), o.Status)
	if o.Detail != "" {
		fmt.Fprintf(&b, "detail:    %s\n", o.Detail)
	}
	if o.Source != "" {
		fmt.Fprintf(&b, "source:    %s\n", o.Source)
	}
	return b.String()
}

// drillText is the case's system-out: the objectives and the headline figures as plain text.
func drillText(r *results.Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s; runbook %s; profile %s; seed %d; run %s\n",
		r.Verdict, r.Runbook.Name, r.Params.Profile, r.Params.Seed, r.RunID)
	for _, o := range r.Objectives {
		fmt.Fprintf(&b, "[%s] %s\n", statusWord(o.Status), objectiveMessage(o))
	}
	s := r.Summary
	fmt.Fprintf(&b, "restored %d of %d affected tenants; RTO p50 %s, p95 %s, max %s; MTTD %s (probe every %s)\n",
		s.RestoredTenants, s.AffectedTenants, fmtOptMS(s.RTOP50MS, "n/a"), fmtOptMS(s.RTOP95MS, "n/a"),
		fmtOptMS(s.RTOMaxMS, "unbounded"), fmtOptMS(s.MTTDMS, "n/a"), fmtMS(s.ProbeIntervalMS))
	fmt.Fprintf(&b, "lost %d, changed %d, collateral %d writes; RPO max %s; bystander loss %d writes (%d tenants)\n",
		s.LostWrites, s.ChangedWrites, s.CollateralLost, fmtMS(s.RPOMaxMS), s.BystanderLost, s.BystandersHit)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "finding: %s\n", f)
	}
	return b.String()
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
