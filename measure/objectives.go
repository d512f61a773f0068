package measure

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/drdrill/drdrill/results"
)

// Objective is one SLO of a feature, parsed and validated before any container starts.
type Objective struct {
	Name   string  // canonical name, e.g. "RTO p95"
	Target string  // as written, e.g. "10m"
	Unit   string  // "ms", "writes", "tenants" or "%"
	Limit  float64 // the target in Unit
	// AtLeast: the measured value must reach Limit ("restored tenants"); otherwise it must not
	// exceed it.
	AtLeast bool
	Source  string // "file.feature:12 row 3"
}

type targetKind int

const (
	durationTarget targetKind = iota
	countTarget
	shareTarget // a percentage, or a count of tenants
)

type objectiveDef struct {
	name    string
	aliases []string
	kind    targetKind
	unit    string // for counts
}

// The objectives drdrill can judge. Counts are totals over the drill.
var objectiveDefs = []objectiveDef{
	{name: "RTO p50", kind: durationTarget},
	{name: "RTO p95", kind: durationTarget},
	{name: "RTO max", kind: durationTarget},
	{name: "RPO max", kind: durationTarget, aliases: []string{"RPO"}},
	{name: "MTTD", kind: durationTarget},
	{name: "lost writes", kind: countTarget, unit: "writes", aliases: []string{"lost writes max"}},
	{name: "changed writes", kind: countTarget, unit: "writes", aliases: []string{"changed writes max"}},
	{name: "collateral lost writes", kind: countTarget, unit: "writes", aliases: []string{"collateral lost writes max", "collateral loss"}},
	{name: "bystander lost writes", kind: countTarget, unit: "writes", aliases: []string{"bystander lost writes max", "bystander loss"}},
	{name: "bystanders affected", kind: countTarget, unit: "tenants", aliases: []string{"bystanders hit"}},
	{name: "restored tenants", kind: shareTarget, unit: "tenants"},
	{name: "backup age at T0", kind: durationTarget, aliases: []string{"backup age"}},
	{name: "WAL archive lag at T0", kind: durationTarget, aliases: []string{"WAL archive lag", "archive lag at T0"}},
}

// ObjectiveNames lists the valid objective names, for help and error messages.
func ObjectiveNames() []string {
	names := make([]string, len(objectiveDefs))
	for i, d := range objectiveDefs {
		names[i] = d.name
	}
	return names
}

func normName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func lookupObjective(name string) (objectiveDef, bool) {
	n := normName(name)
	for _, d := range objectiveDefs {
		if normName(d.name) == n || slices.ContainsFunc(d.aliases, func(a string) bool { return normName(a) == n }) {
			return d, true
		}
	}
	return objectiveDef{}, false
}

// ParseObjectives reads a Gherkin table of | objective | target | rows (a first row
// "objective | target" is a header and skipped). source is where the table is, "file:line";
// every error names it, the row, the value, and what is valid. All bad rows are reported at
// once. A name may appear once.
func ParseObjectives(rows [][]string, source string) ([]Objective, error) {
	header := 0 // rows are numbered as the reader sees them, header included
	if len(rows) > 0 && len(rows[0]) == 2 && normName(rows[0][0]) == "objective" && normName(rows[0][1]) == "target" {
		rows, header = rows[1:], 1
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no objectives: want rows of | objective | target |, e.g. | RTO p95 | 10m |", source)
	}
	var errs []error
	var out []Objective
	seen := make(map[string]int)
	for i, row := range rows {
		where := fmt.Sprintf("%s row %d", source, i+1+header)
		if len(row) != 2 {
			errs = append(errs, fmt.Errorf("%s: %d cells, want 2: | objective | target |", where, len(row)))
			continue
		}
		name, target := strings.TrimSpace(row[0]), strings.TrimSpace(row[1])
		def, ok := lookupObjective(name)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown objective %q; valid: %s", where, name, strings.Join(ObjectiveNames(), ", ")))
			continue
		}
		if prev, dup := seen[def.name]; dup {
			errs = append(errs, fmt.Errorf("%s: objective %q already set in row %d", where, def.name, prev))
			continue
		}
		seen[def.name] = i + 1 + header
		o := Objective{Name: def.name, Target: target, Source: where}
		switch def.kind {
		case durationTarget:
			d, err := ParseDuration(target)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", where, def.name, err))
				continue
			}
			o.Unit, o.Limit = "ms", results.MS(d)
		case countTarget:
			n, err := parseCount(target)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", where, def.name, err))
				continue
			}
			o.Unit, o.Limit = def.unit, float64(n)
		case shareTarget:
			o.AtLeast = true
			if pct, ok := strings.CutSuffix(target, "%"); ok {
				v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
				if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
					errs = append(errs, fmt.Errorf("%s: %s: target %q: want a percentage from 0%% to 100%%, e.g. 100%%", where, def.name, target))
					continue
				}
				o.Unit, o.Limit = "%", v
				break
			}
			n, err := parseCount(target)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w (or a percentage such as 100%%)", where, def.name, err))
				continue
			}
			o.Unit, o.Limit = def.unit, float64(n)
		}
		out = append(out, o)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// parseCount reads a whole number of at least 0.
func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n >= 0 {
		return n, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("target %q: negative; want a whole number of at least 0", s)
	}
	return 0, fmt.Errorf("target %q: want a whole number of at least 0, e.g. 0", s)
}

// Evaluate judges each objective against an assessment.
//
// Margin is the headroom in the objective's unit: target − measured (measured − target for
// "restored tenants"), negative when breached. Status is unknown when the figure could not be
// measured (MTTD with no failed probe). RTO percentiles here count every affected tenant, a
// tenant never restored as an unbounded RTO (nearest rank): if the rank lands on one, the
// objective is breached with no measured value and the detail says "N of M affected tenants
// never restored"; a p95 of the restored ones alone would hide them. With no affected tenant
// the RTO is 0 and "restored tenants" is 100 %.
func Evaluate(objectives []Objective, a Assessment) []results.Objective {
	out := make([]results.Objective, 0, len(objectives))
	for _, o := range objectives {
		r := results.Objective{Name: o.Name, Target: o.Target, Unit: o.Unit, TargetV: o.Limit, Source: o.Source}
		measured, detail := measureObjective(o, a)
		r.Detail = detail
		switch {
		case measured == nil && strings.HasPrefix(o.Name, "RTO") && a.Summary.AffectedTenants > a.Summary.RestoredTenants:
			r.Status = results.StatusBreached
		case measured == nil:
			r.Status = results.StatusUnknown
		default:
			m := *measured
			margin := o.Limit - m
			if o.AtLeast {
				margin = m - o.Limit
			}
			r.Measured, r.Margin = &m, &margin
			r.Status = results.StatusOK
			if margin < 0 {
				r.Status = results.StatusBreached
			}
		}
		out = append(out, r)
	}
	return out
}

func measureObjective(o Objective, a Assessment) (*float64, string) {
	s := a.Summary
	v := func(f float64) *float64 { return &f }
	never := s.AffectedTenants - s.RestoredTenants
	switch o.Name {
	case "RTO p50", "RTO p95", "RTO max":
		if s.AffectedTenants == 0 {
			return v(0), "no tenant affected"
		}
		// The summary's figures (RTOPercentile): never-restored tenants rank last, unbounded.
		got := map[string]*float64{"RTO p50": s.RTOP50MS, "RTO p95": s.RTOP95MS, "RTO max": s.RTOMaxMS}[o.Name]
		if got == nil {
			return nil, fmt.Sprintf("%d of %d affected tenants never restored", never, s.AffectedTenants)
		}
		detail := fmt.Sprintf("over %d affected tenants, ± %s", s.AffectedTenants, fmtMS(max(s.ProbeIntervalMS, results.MS(a.RTOPrecision))))
		if never > 0 {
			detail += fmt.Sprintf("; %d never restored, counted as unbounded", never)
		}
		return v(*got), detail
	case "RPO max":
		return v(s.RPOMaxMS), ""
	case "MTTD":
		if s.MTTDMS == nil {
			if s.AffectedTenants == 0 {
				return nil, "no tenant affected: nothing to detect"
			}
			return nil, "no failed probe of an affected tenant after T0"
		}
		return v(*s.MTTDMS), fmt.Sprintf("± %s", fmtMS(s.ProbeIntervalMS))
	case "lost writes":
		return v(float64(s.LostWrites)), ""
	case "changed writes":
		return v(float64(s.ChangedWrites)), ""
	case "collateral lost writes":
		return v(float64(s.CollateralLost)), ""
	case "bystander lost writes":
		return v(float64(s.BystanderLost)), ""
	case "bystanders affected":
		return v(float64(s.BystandersHit)), ""
	case "backup age at T0":
		if a.BackupAgeMS == nil {
			return nil, "no completed backup before T0 (or no reading at T0)"
		}
		return v(*a.BackupAgeMS), "T0 − stop time of the last completed backup"
	case "WAL archive lag at T0":
		if a.WALArchiveLagMS == nil {
			return nil, "no reading of the WAL archive at T0, or nothing ever archived"
		}
		return v(*a.WALArchiveLagMS), "T0 − last archive time, while WAL was unarchived"
	case "restored tenants":
		detail := fmt.Sprintf("%d of %d affected tenants", s.RestoredTenants, s.AffectedTenants)
		if o.Unit != "%" {
			return v(float64(s.RestoredTenants)), detail
		}
		if s.AffectedTenants == 0 {
			return v(100), "no tenant affected"
		}
		return v(100 * float64(s.RestoredTenants) / float64(s.AffectedTenants)), detail
	}
	return nil, fmt.Sprintf("objective %q has no measurement", o.Name)
}

// fmtMS writes a precision for people: whole milliseconds (sub-millisecond digits of a
// probe-bounded figure mean nothing).
func fmtMS(ms float64) string { return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + " ms" }

// Verdict is the drill's overall status: breached if any objective is, else unknown if any
// is, else ok (also with no objectives).
func Verdict(objs []results.Objective) results.Status {
	v := results.StatusOK
	for _, o := range objs {
		switch o.Status {
		case results.StatusBreached:
			return results.StatusBreached
		case results.StatusUnknown:
			v = results.StatusUnknown
		}
	}
	return v
}
