package projection

import (
	"math"
	"testing"
)

// TestPlanLength: a plan replays the recorded chains of steps with other durations: steps
// one after another add up, steps side by side take the longer, two workers' batches take
// the longer worker's, a gap before a step and the runbook's time outside its steps are
// carried over.
func TestPlanLength(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spans []Span
		total float64
		kinds map[string]float64
		want  float64
	}{
		{"as recorded", []Span{{"a", 0, 1}, {"b", 1, 2}}, 3, nil, 3},
		{"one after another", []Span{{"a", 0, 1}, {"b", 1, 2}}, 3, map[string]float64{"b": 4}, 5},
		{"side by side, the shorter grows", []Span{{"assess", 0, 2}, {"side", 0, 5}, {"copy", 5, 4}}, 9, map[string]float64{"assess": 4}, 9},
		{"side by side, the shorter outgrows the other", []Span{{"assess", 0, 2}, {"side", 0, 5}, {"copy", 5, 4}}, 9, map[string]float64{"assess": 6}, 10},
		{"two workers", []Span{{"batch", 0, 1}, {"batch", 0.001, 1}, {"batch", 1, 1}, {"batch", 1.001, 1}}, 2.001, map[string]float64{"batch": 8}, 4.001},
		{"a gap carried", []Span{{"a", 0, 1}, {"b", 1.5, 1}}, 2.5, map[string]float64{"a": 2}, 3.5},
		{"time outside the steps carried", []Span{{"a", 0.2, 1}, {"b", 1.2, 1}}, 2.7, map[string]float64{"b": 2}, 3.7},
		{"a kind without a prediction keeps its time", []Span{{"a", 0, 1}, {"b", 1, 2}}, 3, map[string]float64{"c": 9}, 3},
		{"recorded out of order", []Span{{"b", 1, 2}, {"a", 0, 1}}, 3, map[string]float64{"a": 2}, 4},
		{"no steps", nil, 1.5, map[string]float64{"a": 2}, 1.5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewPlan(tt.spans, tt.total).Length(tt.kinds); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Length = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestComposedError: a runbook whose steps' costs each follow one term, and whose duration is
// the longer of two side-by-side steps plus a third, is predicted exactly by composing the
// steps along the plan, each size left out in turn; a sum of terms fitted to the whole
// runbook misses it.
func TestComposedError(t *testing.T) {
	assess := func(s Size) float64 { return 0.5e-6 * s.Rows }           // grows with the database
	side := func(s Size) float64 { return 1 + 0.25e-6*s.Rows }          // a fixed part and the database
	copyCost := func(s Size) float64 { return 0.5 + 10e-6*s.BlastRows } // the blast radius
	sizes := []Size{{2e6, 1e5}, {4e6, 1e5}, {2e6, 3e5}, {8e6, 2e5}, {12e6, 3e5}}
	var samples []Sample
	var plans []Plan
	for _, s := range sizes {
		a, sd, c := assess(s), side(s), copyCost(s)
		whole := max(a, sd) + c/2 + 0.1 // the copy's two halves side by side
		samples = append(samples, Sample{Size: s, Steps: map[string]float64{"assess": a, "side": sd, "copy": c, "whole": whole}})
		plans = append(plans, NewPlan([]Span{{"assess", 0.05, a}, {"side", 0.05, sd}, {"copy", 0.05 + max(a, sd), c / 2}, {"copy", 0.05 + max(a, sd), c / 2}}, whole))
	}
	models, err := Fit(samples)
	if err != nil {
		t.Fatal(err)
	}
	preds, worst := ComposedError(samples, plans, models, "whole")
	if worst > 1e-6 {
		t.Errorf("composed: left-out predictions %v (worst error %v), want each size's runbook", preds, worst)
	}
	var additive Model
	for _, m := range models {
		if m.Step == "whole" {
			additive = m
		}
	}
	if additive.LOOError < 0.05 {
		t.Errorf("the whole runbook's own model %s misses a left-out size by %.3f: the test does not tell the two apart", additive, additive.LOOError)
	}
}

// TestNearest: by rows and blast-radius rows on a log scale, skipping the one asked.
func TestNearest(t *testing.T) {
	samples := []Sample{{Size: Size{1e6, 1e5}}, {Size: Size{4e6, 1e5}}, {Size: Size{1e6, 4e5}}}
	for _, tt := range []struct {
		s    Size
		skip int
		want int
	}{
		{Size{1.1e6, 1e5}, -1, 0},
		{Size{1.1e6, 1e5}, 0, 1}, // 3.6× the rows is nearer than 4× the blast radius
		{Size{3e6, 1.2e5}, -1, 1},
		{Size{1e6, 3e5}, -1, 2},
	} {
		if got := Nearest(samples, tt.s, tt.skip); got != tt.want {
			t.Errorf("Nearest(%v, skip %d) = %d, want %d", tt.s, tt.skip, got, tt.want)
		}
	}
}
