package measure

import (
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

func TestParseDuration(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"10m", 10 * time.Minute}, {"30s", 30 * time.Second}, {"1h30m", 90 * time.Minute},
		{"500ms", 500 * time.Millisecond}, {"2d", 48 * time.Hour}, {"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour}, {"0", 0}, {"0s", 0}, {" 5m ", 5 * time.Minute}, {"1us", time.Microsecond},
		{"1µs", time.Microsecond}, {"2.5s", 2500 * time.Millisecond}, {"+3s", 3 * time.Second},
	}
	for _, tt := range ok {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, says string }{
		{"", "empty"}, {"5", "no unit"}, {"1h5", "no unit"}, {"-5m", "negative"}, {"-0s", "negative"},
		{"5x", `unknown unit "x"`}, {"5 m", `unknown unit " m"`}, {"m", "expected a number"},
		{"1.2.3s", "not a valid duration"}, {"999999999d", "out of range"}, {"106752d", "out of range"},
		{"100000d100000d", "out of range"}, {"ten minutes", "expected a number"},
	}
	for _, tt := range bad {
		_, err := ParseDuration(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("ParseDuration(%q) error %v, want one quoting the value and saying %q", tt.in, err, tt.says)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10m", "1h30m", "2d", "1.5d", "0", "5", "-5m", "500ms", "1µs", "9223372036854775807ns", ".5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), "duration") {
				t.Errorf("error %q does not say it is about a duration", err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		// Without days, Go's parser must agree.
		if !strings.Contains(s, "d") {
			if g, gerr := time.ParseDuration(strings.TrimSpace(s)); gerr == nil && g != d {
				t.Fatalf("ParseDuration(%q) = %v, time.ParseDuration says %v", s, d, g)
			}
		}
		// What we print, we read back.
		if d2, err := ParseDuration(d.String()); err != nil || d2 != d {
			t.Fatalf("round trip of %q: %v → %q → %v, %v", s, d, d.String(), d2, err)
		}
	})
}

func TestParseObjectives(t *testing.T) {
	rows := [][]string{
		{"objective", "target"},
		{"RTO p95", "10m"},
		{"rto  MAX", "1h30m"},
		{"RPO max", "30s"},
		{"lost writes max", "0"},
		{"bystander lost writes", "0"},
		{"restored tenants", "100%"},
		{"MTTD", "2d"},
	}
	got, err := ParseObjectives(rows, "features/x.feature:12")
	if err != nil {
		t.Fatal(err)
	}
	want := []Objective{
		{Name: "RTO p95", Target: "10m", Unit: "ms", Limit: 600000, Source: "features/x.feature:12 row 2"},
		{Name: "RTO max", Target: "1h30m", Unit: "ms", Limit: 5400000, Source: "features/x.feature:12 row 3"},
		{Name: "RPO max", Target: "30s", Unit: "ms", Limit: 30000, Source: "features/x.feature:12 row 4"},
		{Name: "lost writes", Target: "0", Unit: "writes", Limit: 0, Source: "features/x.feature:12 row 5"},
		{Name: "bystander lost writes", Target: "0", Unit: "writes", Limit: 0, Source: "features/x.feature:12 row 6"},
		{Name: "restored tenants", Target: "100%", Unit: "%", Limit: 100, AtLeast: true, Source: "features/x.feature:12 row 7"},
		{Name: "MTTD", Target: "2d", Unit: "ms", Limit: 172800000, Source: "features/x.feature:12 row 8"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseObjectivesErrors(t *testing.T) {
	const src = "drill.feature:7"
	tests := []struct {
		name string
		rows [][]string
		says []string
	}{
		{"empty", nil, []string{src, "no objectives"}},
		{"header only", [][]string{{"Objective", "Target"}}, []string{src, "no objectives"}},
		{"unknown name lists the valid ones", [][]string{{"RTO p96", "10m"}},
			[]string{src + " row 1", `unknown objective "RTO p96"`, "valid: RTO p50, RTO p95, RTO max, RPO max, MTTD, lost writes"}},
		{"unit-less duration", [][]string{{"objective", "target"}, {"RTO p95", "10"}}, []string{src + " row 2", `"10"`, "no unit"}},
		{"negative duration", [][]string{{"RPO max", "-30s"}}, []string{src + " row 1", `"-30s"`, "negative"}},
		{"negative count", [][]string{{"lost writes", "-1"}}, []string{src + " row 1", `"-1"`, "negative"}},
		{"fractional count", [][]string{{"lost writes", "1.5"}}, []string{`"1.5"`, "whole number"}},
		{"percentage above 100", [][]string{{"restored tenants", "101%"}}, []string{`"101%"`, "0% to 100%"}},
		{"duplicate through an alias", [][]string{{"lost writes", "0"}, {"lost writes max", "1"}},
			[]string{src + " row 2", `"lost writes" already set in row 1`}},
		{"wrong width", [][]string{{"RTO p95", "10m", "extra"}}, []string{src + " row 1", "3 cells, want 2"}},
		{"every bad row at once", [][]string{{"RTO p95", "x"}, {"RPO max", "5"}}, []string{src + " row 1", src + " row 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseObjectives(tt.rows, src)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func FuzzParseObjectives(f *testing.F) {
	f.Add("RTO p95", "10m", "restored tenants", "100%")
	f.Add("objective", "target", "lost writes", "0")
	f.Add("RPO max", "-1s", "bystanders affected", "x")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		objs, err := ParseObjectives([][]string{{n1, v1}, {n2, v2}}, "f.feature:1")
		if err != nil {
			if !strings.Contains(err.Error(), "f.feature:1") {
				t.Fatalf("error %q does not name the source", err)
			}
			return
		}
		names := map[string]bool{}
		for _, o := range objs {
			if names[o.Name] {
				t.Fatalf("objective %q twice", o.Name)
			}
			names[o.Name] = true
			if o.Limit < 0 || o.Limit != o.Limit || o.Unit == "" || !strings.HasPrefix(o.Source, "f.feature:1 row ") {
				t.Fatalf("bad objective %+v", o)
			}
		}
		// Evaluating any valid objective against any summary gives a status.
		for _, r := range Evaluate(objs, Assessment{}) {
			if r.Status != results.StatusOK && r.Status != results.StatusBreached && r.Status != results.StatusUnknown {
				t.Fatalf("status %q", r.Status)
			}
		}
	})
}

func ptr(f float64) *float64 { return &f }

func TestEvaluate(t *testing.T) {
	objs, err := ParseObjectives([][]string{
		{"RTO p50", "10s"}, {"RTO p95", "10s"}, {"RTO max", "1m"}, {"RPO max", "30s"}, {"MTTD", "1s"},
		{"lost writes", "0"}, {"changed writes", "0"}, {"collateral lost writes", "5"},
		{"bystander lost writes", "0"}, {"bystanders affected", "0"}, {"restored tenants", "100%"},
	}, "x.feature:3")
	if err != nil {
		t.Fatal(err)
	}
	// 20 affected tenants restored at 1..20 s (the RTO figures as RTOPercentile gives them).
	a := Assessment{Summary: results.Summary{AffectedTenants: 20, RestoredTenants: 20, RPOMaxMS: 31000,
		MTTDMS: ptr(800), LostWrites: 3, CollateralLost: 5, ProbeIntervalMS: 250,
		RTOP50MS: ptr(10000), RTOP95MS: ptr(19000), RTOMaxMS: ptr(20000)}}
	for i := 1; i <= 20; i++ {
		a.Tenants = append(a.Tenants, results.Tenant{ID: int64(i), Affected: true, Restored: true, RTOMS: ptr(float64(i * 1000))})
	}
	type want struct {
		measured *float64
		margin   *float64
		status   results.Status
		detail   string
	}
	check := func(t *testing.T, got []results.Objective, wants map[string]want) {
		t.Helper()
		for _, g := range got {
			w, ok := wants[g.Name]
			if !ok {
				continue
			}
			if g.Status != w.status || !eqPtr(g.Measured, w.measured) || !eqPtr(g.Margin, w.margin) || !strings.Contains(g.Detail, w.detail) {
				t.Errorf("%s: got %s measured %v margin %v detail %q; want %s %v %v %q", g.Name, g.Status,
					deref(g.Measured), deref(g.Margin), g.Detail, w.status, deref(w.measured), deref(w.margin), w.detail)
			}
			if g.Source == "" || g.Target == "" {
				t.Errorf("%s: source or target missing: %+v", g.Name, g)
			}
		}
	}
	got := Evaluate(objs, a)
	if len(got) != len(objs) {
		t.Fatalf("%d results for %d objectives", len(got), len(objs))
	}
	check(t, got, map[string]want{
		"RTO p50":                {ptr(10000), ptr(0), results.StatusOK, "over 20 affected tenants"},
		"RTO p95":                {ptr(19000), ptr(-9000), results.StatusBreached, ""},
		"RTO max":                {ptr(20000), ptr(40000), results.StatusOK, ""},
		"RPO max":                {ptr(31000), ptr(-1000), results.StatusBreached, ""},
		"MTTD":                   {ptr(800), ptr(200), results.StatusOK, "250 ms"},
		"lost writes":            {ptr(3), ptr(-3), results.StatusBreached, ""},
		"changed writes":         {ptr(0), ptr(0), results.StatusOK, ""},
		"collateral lost writes": {ptr(5), ptr(0), results.StatusOK, ""},
		"restored tenants":       {ptr(100), ptr(0), results.StatusOK, "20 of 20"},
	})
	if v := Verdict(got); v != results.StatusBreached {
		t.Errorf("verdict %s, want breached", v)
	}

	// Two of the 20 never restored: p50 still lands on a restored tenant, p95 and max do not.
	b := a
	b.Tenants = append([]results.Tenant(nil), a.Tenants...)
	b.Tenants[18].Restored, b.Tenants[18].RTOMS = false, nil
	b.Tenants[19].Restored, b.Tenants[19].RTOMS = false, nil
	b.Summary.RestoredTenants = 18
	b.Summary.RTOP95MS, b.Summary.RTOMaxMS = nil, nil // ranks 19 and 20: never restored
	b.Summary.MTTDMS = nil
	check(t, Evaluate(objs, b), map[string]want{
		"RTO p50":          {ptr(10000), ptr(0), results.StatusOK, "2 never restored"},
		"RTO p95":          {nil, nil, results.StatusBreached, "2 of 20 affected tenants never restored"},
		"RTO max":          {nil, nil, results.StatusBreached, "2 of 20 affected tenants never restored"},
		"MTTD":             {nil, nil, results.StatusUnknown, "no failed probe"},
		"restored tenants": {ptr(90), ptr(-10), results.StatusBreached, "18 of 20"},
	})

	// Nothing affected (a guardrail refused): RTO 0, everything restored, MTTD unknown.
	none := Evaluate(objs, Assessment{})
	check(t, none, map[string]want{
		"RTO p95":          {ptr(0), ptr(10000), results.StatusOK, "no tenant affected"},
		"restored tenants": {ptr(100), ptr(0), results.StatusOK, "no tenant affected"},
		"MTTD":             {nil, nil, results.StatusUnknown, "no tenant affected"},
	})
	if v := Verdict(none); v != results.StatusUnknown {
		t.Errorf("verdict %s, want unknown", v)
	}
	if v := Verdict(nil); v != results.StatusOK {
		t.Errorf("verdict of no objectives %s, want ok", v)
	}
}

func eqPtr(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
