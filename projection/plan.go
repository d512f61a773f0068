package projection

import (
	"math"
	"slices"
)

// Span is one step of a runbook as a drill recorded it: its kind (StepKind of its name), and
// its start and duration in seconds.
type Span struct {
	Kind       string
	Start, Dur float64
}

func (s Span) end() float64 { return s.Start + s.Dur }

// startSlack is how far a step may start before another's recorded end and still be taken to
// have waited for it: the two are timed apart, a few microseconds apart.
const startSlack = 0.005

// Plan is a runbook as one drill ran it: its steps, and for each what it waited for — the
// steps that had ended when it started. A runbook's steps overlap (tenant-restore assesses
// the blast radius while the side database starts, and copies two batches at once), so its
// duration is the longest chain of steps, not their sum: more blast-radius rows lengthen the
// copy, but a longer assessment costs nothing while the side database's start is longer.
// Length replays the plan with other step durations.
type Plan struct {
	spans []Span
	after [][]int   // after[i]: the steps that had ended when step i started
	gap   []float64 // from the last of those (or the first step's start) to step i's start
	rest  float64   // the runbook's time outside its steps' chains: before the first, after the last
	kinds map[string]float64
}

// NewPlan is the plan of a runbook that took total seconds with steps spans (any order).
func NewPlan(spans []Span, total float64) Plan {
	p := Plan{spans: slices.Clone(spans), kinds: map[string]float64{}}
	slices.SortStableFunc(p.spans, func(a, b Span) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	if len(p.spans) == 0 {
		p.rest = total
		return p
	}
	first := p.spans[0].Start
	p.after, p.gap = make([][]int, len(p.spans)), make([]float64, len(p.spans))
	for i, s := range p.spans {
		p.kinds[s.Kind] += s.Dur
		ready := first
		for j, e := range p.spans[:i] {
			if e.end() <= s.Start+startSlack {
				p.after[i] = append(p.after[i], j)
				ready = max(ready, e.end())
			}
		}
		p.gap[i] = max(0, s.Start-ready)
	}
	p.rest = max(0, total-p.length(func(i int) float64 { return p.spans[i].Dur }))
	return p
}

// Length is the runbook's duration with each kind of step taking kinds[kind] seconds in all
// instead of what it took (its steps in the proportions recorded); a kind kinds lacks keeps
// its recorded durations, and the time outside the steps is carried over as recorded.
func (p Plan) Length(kinds map[string]float64) float64 {
	return p.rest + p.length(func(i int) float64 {
		s := p.spans[i]
		want, ok := kinds[s.Kind]
		if !ok || p.kinds[s.Kind] <= 0 {
			return s.Dur
		}
		return s.Dur * want / p.kinds[s.Kind]
	})
}

// length is the longest chain of steps, each taking dur(i), each starting its recorded gap
// after the last of the steps it waited for ended.
func (p Plan) length(dur func(i int) float64) float64 {
	end := make([]float64, len(p.spans))
	var longest float64
	for i := range p.spans {
		var ready float64
		for _, j := range p.after[i] {
			ready = max(ready, end[j])
		}
		end[i] = ready + p.gap[i] + dur(i)
		longest = max(longest, end[i])
	}
	return longest
}

// Compose is the runbook at size s as plan ran it, each kind of step taking what its model
// predicts at s (kinds without a model keep their recorded durations).
func Compose(models []Model, plan Plan, s Size) float64 {
	kinds := map[string]float64{}
	for _, m := range models {
		if _, ok := plan.kinds[m.Step]; ok {
			kinds[m.Step] = m.Predict(s)
		}
	}
	return plan.Length(kinds)
}

// ComposedError is how well the whole runbook (samples' step whole) is predicted by composing
// its steps' models along a recorded plan, each sample in turn left out: the step models are
// fitted without it (with the terms Fit chose on every sample) and composed along the plan of
// the fitted sample nearest to it in size (plans[k] is samples[k]'s). It returns each sample's
// prediction (0: none, when it has no measured runbook or no other sample) and the largest
// relative error |predicted − measured| / measured.
func ComposedError(samples []Sample, plans []Plan, models []Model, whole string) (preds []float64, worst float64) {
	preds = make([]float64, len(samples))
	for i, s := range samples {
		var without []Model
		for _, m := range models {
			if m.Step != whole {
				without = append(without, m.Without(samples, i))
			}
		}
		k := Nearest(samples, s.Size, i)
		if k < 0 || s.Steps[whole] <= 0 {
			continue
		}
		preds[i] = Compose(without, plans[k], s.Size)
		worst = max(worst, math.Abs(preds[i]-s.Steps[whole])/s.Steps[whole])
	}
	return preds, worst
}

// Nearest is the index of the sample nearest to size s (by the log of its rows and of its
// blast-radius rows), other than skip (-1: none skipped); -1 when there is none.
func Nearest(samples []Sample, s Size, skip int) int {
	best, bestD := -1, math.Inf(1)
	for k, o := range samples {
		if k == skip {
			continue
		}
		d := math.Hypot(logRatio(o.Size.Rows, s.Rows), logRatio(o.Size.BlastRows, s.BlastRows))
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func logRatio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return math.Log(a / b)
}
