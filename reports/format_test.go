package reports

import (
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

func TestFmtDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{3449 * time.Millisecond, "3.4s"},
		{45 * time.Second, "45s"},
		{88500 * time.Millisecond, "1m28.5s"},
		{10 * time.Minute, "10m"},
		{12*time.Minute + 3*time.Second, "12m3s"},
		{-(2*time.Minute + 3*time.Second), "-2m3s"},
		{time.Hour + 5*time.Minute + 400*time.Millisecond, "1h5m"},
		{48 * time.Hour, "48h"},
		{8*24*time.Hour + 30*time.Second, "192h1m"},
	} {
		if got := fmtDuration(c.d); got != c.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFmtCountAndMargin(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtCount(0), "0"},
		{fmtCount(999), "999"},
		{fmtCount(1000), "1,000"},
		{fmtCount(1234567), "1,234,567"},
		{fmtCount(-3381), "-3,381"},
		{fmtMargin("writes", 40), "+40 writes"},
		{fmtMargin("writes", 0), "0 writes"},
		{fmtMargin("writes", -1), "-1 writes"},
		{fmtMargin("ms", -123000), "-2m3s"},
		{fmtMargin("ms", 31500), "+31.5s"},
		{fmtValue("tenants", 1), "1 tenant"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// The message CI shows for a breach must name objective, target, measured value and margin.
func TestObjectiveMessage(t *testing.T) {
	m, mg := 723000.0, -123000.0
	for _, c := range []struct {
		o    results.Objective
		want string
	}{
		{results.Objective{Name: "RTO p95", Target: "10m", Unit: "ms", TargetV: 600000, Measured: &m, Margin: &mg, Status: results.StatusBreached},
			"RTO p95: target 10m, measured 12m3s, margin -2m3s"},
		{results.Objective{Name: "RTO max", Target: "5m", Unit: "ms", Status: results.StatusBreached, Detail: "tenant 7 never restored"},
			"RTO max: target 5m, measured unbounded, margin — (tenant 7 never restored)"},
		{results.Objective{Name: "Lost writes", Target: "0", Unit: "writes", Status: results.StatusUnknown},
			"Lost writes: target 0, not measured: the drill could not measure it"},
	} {
		if got := objectiveMessage(c.o); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestWorst(t *testing.T) {
	ok, br, un := results.StatusOK, results.StatusBreached, results.StatusUnknown
	for _, c := range []struct{ a, b, want results.Status }{
		{ok, ok, ok}, {ok, un, un}, {un, ok, un}, {un, br, br}, {br, un, br}, {ok, "future", un},
	} {
		if got := worst(c.a, c.b); got != c.want {
			t.Errorf("worst(%s, %s) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}
