// Package projection fits a cost model to a runbook's step timings measured at several drill
// sizes and projects them to sizes no drill ran at (a production database of 200,000 tenants,
// say). Each step's duration is modelled as a fixed part plus parts proportional to what the
// data shows it grows with: the whole database's rows, or the blast radius's rows. The model
// of each step is the one that predicts best the size it was not fitted on (leave one size
// out), and that error is reported with it: a projection is only as good as its worst
// left-out prediction. Pure.
package projection

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Size is what a drill's size is made of, as the model sees it.
type Size struct {
	Rows      float64 // rows in the whole database
	BlastRows float64 // rows of the affected tenants
}

// Term is one thing a step's cost can grow with.
type Term int

// The terms of a model: its fixed part, the whole database's rows, the blast radius's rows.
const (
	Fixed Term = iota
	Rows
	BlastRows
)

func (t Term) String() string {
	return [...]string{"fixed", "per database row", "per blast-radius row"}[t]
}

func (t Term) of(s Size) float64 {
	switch t {
	case Rows:
		return s.Rows
	case BlastRows:
		return s.BlastRows
	}
	return 1
}

// Sample is one drill: its size and the seconds each step took (steps of one kind summed).
type Sample struct {
	Size  Size
	Steps map[string]float64
}

// Model is one step's fitted cost: seconds = Σ Coef[i] · Terms[i](size), every Coef ≥ 0.
type Model struct {
	Step  string
	Terms []Term
	Coef  []float64
	// LOOError is the largest relative error of the model predicting a sample it was fitted
	// without (|predicted − measured| / measured), over every sample.
	LOOError float64
}

// Predict is the model's seconds at size s.
func (m Model) Predict(s Size) float64 {
	var v float64
	for i, t := range m.Terms {
		v += m.Coef[i] * t.of(s)
	}
	return v
}

// String writes the model as a formula: "2.1 s + 0.35 µs per database row".
func (m Model) String() string {
	var parts []string
	for i, t := range m.Terms {
		switch t {
		case Fixed:
			parts = append(parts, fmt.Sprintf("%.2f s", m.Coef[i]))
		default:
			parts = append(parts, fmt.Sprintf("%.3g µs %s", m.Coef[i]*1e6, t))
		}
	}
	return strings.Join(parts, " + ")
}

// candidates are the models a step may take, simplest first: ties go to the simpler.
var candidates = [][]Term{{Fixed}, {Fixed, Rows}, {Fixed, BlastRows}, {Fixed, Rows, BlastRows}}

// A simpler model is chosen over the best when its left-out error is at most TolerateFactor
// times the best's plus Tolerance: drill timings carry a few per cent of noise, and with four
// sizes a term more fits that noise as readily as the cost.
const (
	TolerateFactor = 1.5
	Tolerance      = 0.05
)

// ErrTooFewSizes: a model needs more sizes than it has terms, so one can be left out.
var ErrTooFewSizes = errors.New("projection: fewer than three drill sizes")

// Fit models every step present in all samples. It needs three samples or more, of sizes
// that differ (else nothing separates the terms).
func Fit(samples []Sample) ([]Model, error) {
	if len(samples) < 3 {
		return nil, fmt.Errorf("%w: %d", ErrTooFewSizes, len(samples))
	}
	var steps []string
	for name := range samples[0].Steps {
		if slices.IndexFunc(samples, func(s Sample) bool { _, ok := s.Steps[name]; return !ok }) < 0 {
			steps = append(steps, name)
		}
	}
	slices.Sort(steps)
	var out []Model
	for _, step := range steps {
		// Every candidate's left-out error; then the simplest within tolerance of the best: a
		// term earns its place only by predicting clearly better, not by fitting noise.
		var ms []Model
		bestLOO := math.Inf(1)
		for _, terms := range candidates {
			if len(terms) >= len(samples) {
				continue // no sample left out to judge it by
			}
			m := Model{Step: step, Terms: terms, Coef: fit(samples, step, terms), LOOError: looError(samples, step, terms)}
			ms = append(ms, m)
			bestLOO = min(bestLOO, m.LOOError)
		}
		for _, m := range ms { // simplest first
			if m.LOOError <= bestLOO*TolerateFactor+Tolerance {
				out = append(out, m)
				break
			}
		}
	}
	return out, nil
}

// Without is m's terms fitted on samples without samples[i]: what the model predicts for a
// size it was not fitted on (its LOOError is left as it was).
func (m Model) Without(samples []Sample, i int) Model {
	rest := slices.Concat(samples[:i], samples[i+1:])
	return Model{Step: m.Step, Terms: m.Terms, Coef: fit(rest, m.Step, m.Terms), LOOError: m.LOOError}
}

// looError is the largest relative error over the samples, each predicted by the model fitted
// on the others.
func looError(samples []Sample, step string, terms []Term) float64 {
	var worst float64
	for i := range samples {
		got, want := Model{Step: step, Terms: terms}.Without(samples, i).Predict(samples[i].Size), samples[i].Steps[step]
		if want <= 0 {
			continue
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	return worst
}

// fit is non-negative least squares over the terms: ordinary least squares, and while a
// coefficient comes out negative (a step cannot get faster with more rows) that term is
// dropped and the rest refitted.
func fit(samples []Sample, step string, terms []Term) []float64 {
	active := slices.Clone(terms)
	for {
		c := ols(samples, step, active)
		neg := slices.IndexFunc(c, func(v float64) bool { return v < 0 })
		if neg < 0 || len(active) == 1 {
			out := make([]float64, len(terms))
			for i, t := range terms {
				if j := slices.Index(active, t); j >= 0 {
					out[i] = max(0, c[j])
				}
			}
			return out
		}
		active = slices.Delete(active, neg, neg+1)
	}
}

// ols solves the normal equations (XᵀX)c = Xᵀy by Gaussian elimination with partial pivoting;
// columns are scaled to unit size first, so rows (millions) and the fixed part (1) mix.
func ols(samples []Sample, step string, terms []Term) []float64 {
	k := len(terms)
	scale := make([]float64, k)
	for j, t := range terms {
		for _, s := range samples {
			scale[j] = max(scale[j], math.Abs(t.of(s.Size)))
		}
		if scale[j] == 0 {
			scale[j] = 1
		}
	}
	a := make([][]float64, k)
	for i := range a {
		a[i] = make([]float64, k+1)
	}
	for _, s := range samples {
		x := make([]float64, k)
		for j, t := range terms {
			x[j] = t.of(s.Size) / scale[j]
		}
		for i := range k {
			for j := range k {
				a[i][j] += x[i] * x[j]
			}
			a[i][k] += x[i] * s.Steps[step]
		}
	}
	for col := range k {
		p := col
		for r := col + 1; r < k; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		if math.Abs(a[col][col]) < 1e-12 {
			continue // a term no sample varies: left at 0
		}
		for r := range k {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for c := col; c <= k; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	c := make([]float64, k)
	for i := range k {
		if a[i][i] != 0 {
			c[i] = a[i][k] / a[i][i] / scale[i]
		}
	}
	return c
}

var stepNumbers = regexp.MustCompile(`\s*(\d+/\d+|\(\d+ tenants?\)|base-\d+)`)

// StepKind names a runbook step without its size: "copy tenants batch 3/16 (49 tenants)" and
// "start side db from base-2" are "copy tenants batch" and "start side db from".
func StepKind(name string) string {
	return strings.TrimSpace(stepNumbers.ReplaceAllString(name, ""))
}
