package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/drdrill/drdrill/results"
)

// fmtDuration writes a duration the way people read one on a status page: "12m3s", "1h5m",
// "45s", "3.4s", "250ms". Precision drops as the value grows: a second matters at 10 s, not at
// two hours (the probe interval bounds the precision anyway).
func fmtDuration(d time.Duration) string {
	if d < 0 {
		// -MinInt64 is MinInt64: negate the nanosecond nobody will read, or recurse forever.
		return "-" + fmtDuration(-max(d, -math.MaxInt64))
	}
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond)/time.Millisecond)
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	}
	switch {
	case d >= 10*time.Hour:
		d = d.Round(time.Minute)
	case d >= time.Hour:
		d = d.Round(time.Second)
	default:
		// Tenths of a second up to an hour, so that measured + margin = target on the page.
		d = d.Round(100 * time.Millisecond)
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	s := (d % time.Minute).Seconds()
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		b.WriteString(strconv.FormatFloat(s, 'f', -1, 64) + "s")
	}
	return b.String()
}

// fmtMS formats a duration stored in milliseconds.
func fmtMS(v float64) string { return fmtDuration(results.Duration(v)) }

// fmtOptMS formats an optional duration; nil reads as the reason it is missing.
func fmtOptMS(v *float64, missing string) string {
	if v == nil {
		return missing
	}
	return fmtMS(*v)
}

// fmtCount writes an integer with thousands separators: 12,345.
func fmtCount(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// fmtValue writes a value in an objective's unit.
func fmtValue(unit string, v float64) string {
	switch unit {
	case "ms":
		return fmtMS(v)
	case "writes", "tenants":
		n := fmtCount(int64(math.Round(v)))
		if unit == "tenants" && math.Round(v) == 1 {
			return n + " tenant"
		}
		if unit == "writes" && math.Round(v) == 1 {
			return n + " write"
		}
		return n + " " + unit
	case "", "count":
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

// fmtMargin writes a margin with its sign: "+1m30s" has room to spare, "-2m3s" is the breach.
func fmtMargin(unit string, v float64) string {
	s := fmtValue(unit, v)
	if v > 0 && !strings.HasPrefix(s, "0") {
		return "+" + s
	}
	return s
}

// statusWord is the word a report shows for a verdict.
func statusWord(s results.Status) string {
	switch s {
	case results.StatusOK:
		return "met"
	case results.StatusBreached:
		return "breached"
	}
	return "unknown"
}

// worst orders verdicts: breached beats unknown beats ok.
func worst(a, b results.Status) results.Status {
	rank := func(s results.Status) int {
		switch s {
		case results.StatusOK:
			return 0
		case results.StatusBreached:
			return 2
		}
		return 1 // unknown, and anything a future schema adds that we cannot read
	}
	norm := func(s results.Status) results.Status {
		if s != results.StatusOK && s != results.StatusBreached {
			return results.StatusUnknown
		}
		return s
	}
	if rank(b) > rank(a) {
		return norm(b)
	}
	return norm(a)
}

// measuredText is an objective's measured value, or why there is none.
func measuredText(o results.Objective) string {
	if o.Measured == nil {
		if o.Status == results.StatusBreached {
			return "unbounded"
		}
		return "not measured"
	}
	return fmtValue(o.Unit, *o.Measured)
}

func marginText(o results.Objective) string {
	if o.Margin == nil {
		return "—"
	}
	return fmtMargin(o.Unit, *o.Margin)
}

// objectiveMessage is the one-line account of an objective CI shows on a failure:
// "RTO p95: target 10m, measured 12m3s, margin -2m3s".
func objectiveMessage(o results.Objective) string {
	if o.Measured == nil && o.Status != results.StatusBreached {
		reason := o.Detail
		if reason == "" {
			reason = "the drill could not measure it"
		}
		return fmt.Sprintf("%s: target %s, not measured: %s", o.Name, o.Target, reason)
	}
	msg := fmt.Sprintf("%s: target %s, measured %s, margin %s", o.Name, o.Target, measuredText(o), marginText(o))
	if o.Detail != "" {
		msg += " (" + o.Detail + ")"
	}
	return msg
}
