package projection

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// truth is a runbook whose steps' costs are known: replay grows with the whole database, copy
// with the blast radius, the health wait is fixed.
func truth(s Size) map[string]float64 {
	return map[string]float64{
		"replay WAL":      2 + 1e-6*s.Rows,
		"copy tenants":    0.5 + 4e-6*s.BlastRows,
		"wait for health": 3,
	}
}

// The drill sizes vary the database and the blast radius apart, as the bench runs them.
var sizes = []Size{{Rows: 1e6, BlastRows: 5e4}, {Rows: 3e6, BlastRows: 5e4}, {Rows: 1e6, BlastRows: 1.5e5}, {Rows: 3e6, BlastRows: 1.5e5}}

func samples(noise float64, seed uint64) []Sample {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []Sample
	for _, s := range sizes {
		steps := truth(s)
		for _, k := range slices.Sorted(maps.Keys(steps)) { // the noise in a fixed order: same seed, same data
			steps[k] *= 1 + noise*(2*r.Float64()-1)
		}
		out = append(out, Sample{Size: s, Steps: steps})
	}
	return out
}

// TestFitRecoversKnownCosts: from exact timings the fit finds each step's terms and
// coefficients, predicts every left-out size exactly, and projects a production size as the
// truth does.
func TestFitRecoversKnownCosts(t *testing.T) {
	models, err := Fit(samples(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]Term{"replay WAL": {Fixed, Rows}, "copy tenants": {Fixed, BlastRows}, "wait for health": {Fixed}}
	prod := Size{Rows: 2e9, BlastRows: 1e7} // 200,000 tenants, 2 TB-ish
	for _, m := range models {
		if !slices.Equal(m.Terms, want[m.Step]) {
			t.Errorf("%s: terms %v, want %v", m.Step, m.Terms, want[m.Step])
		}
		if m.LOOError > 1e-9 {
			t.Errorf("%s: leave-one-out error %g on exact data", m.Step, m.LOOError)
		}
		if got, tr := m.Predict(prod), truth(prod)[m.Step]; math.Abs(got-tr) > 1e-6*tr {
			t.Errorf("%s at production size: %.3f s, truth %.3f s (%s)", m.Step, got, tr, m)
		}
	}
	if len(models) != 3 {
		t.Errorf("%d models, want one per step", len(models))
	}
}

// TestWithout: a model refitted without one sample is the fit of the others: with one size's
// timing off by half, the model without it recovers the truth and predicts that size as the
// truth does, not as measured; without another size, it does not.
func TestWithout(t *testing.T) {
	ss := samples(0, 1)
	ss[2].Steps["replay WAL"] *= 1.5
	m := Model{Step: "replay WAL", Terms: []Term{Fixed, Rows}}
	for i := range ss {
		got, tr := m.Without(ss, i).Predict(ss[2].Size), truth(ss[2].Size)["replay WAL"]
		if exact := math.Abs(got-tr) < 1e-9*tr; exact != (i == 2) {
			t.Errorf("without size %d: predicts size 2 at %.4f s, truth %.4f s", i, got, tr)
		}
	}
	if w := m.Without(ss, 2); w.Step != m.Step || !slices.Equal(w.Terms, m.Terms) {
		t.Errorf("refitted model %+v lost its step or terms", w)
	}
}

// TestFitUnderNoise: with ±5 % noise on every timing, over 200 noise draws, the left-out error
// stays within the 20 %, and so does the projection to 10× the database and 13× the
// blast radius of the smallest size, in at least 97 % of the draws for every step (noise on four
// points, extrapolated tenfold, can defeat any fit now and then: the bench prints the left-out
// error for that reason).
func TestFitUnderNoise(t *testing.T) {
	const draws = 200
	prod := Size{Rows: 3e7, BlastRows: 2e6}
	missLOO, missProj := map[string]int{}, map[string]int{}
	for seed := range uint64(draws) {
		models, err := Fit(samples(0.05, seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range models {
			if m.LOOError > 0.2 {
				missLOO[m.Step]++
			}
			if got, tr := m.Predict(prod), truth(prod)[m.Step]; math.Abs(got-tr) > 0.2*tr {
				missProj[m.Step]++
			}
		}
	}
	for step := range truth(prod) {
		if missLOO[step] > draws*3/100 || missProj[step] > draws*3/100 {
			t.Errorf("%s: left-out error above 20 %% in %d of %d draws, projection off by more than 20 %% in %d", step, missLOO[step], draws, missProj[step])
		}
	}
}

// TestFitNeverNegative: a step that measured faster on the bigger database gets no negative
// cost per row: the term is dropped.
func TestFitNeverNegative(t *testing.T) {
	var ss []Sample
	for i, s := range sizes {
		ss = append(ss, Sample{Size: s, Steps: map[string]float64{"odd": 5 - float64(i%2)}})
	}
	models, err := Fit(ss)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range models[0].Coef {
		if c < 0 {
			t.Errorf("negative coefficient: %s", models[0])
		}
	}
}

func TestFitNeedsThreeSizes(t *testing.T) {
	if _, err := Fit(samples(0, 1)[:2]); !errors.Is(err, ErrTooFewSizes) {
		t.Errorf("two sizes: err %v, want ErrTooFewSizes", err)
	}
}

func TestStepKind(t *testing.T) {
	for in, want := range map[string]string{
		"copy tenants batch 3/16 (49 tenants)": "copy tenants batch",
		"start side db from base-2":            "start side db from",
		"replay WAL on side db to T0":          "replay WAL on side db to T0",
		"verify base backup base-1":            "verify base backup",
	} {
		if got := StepKind(in); got != want {
			t.Errorf("StepKind(%q) = %q, want %q", in, got, want)
		}
	}
}
