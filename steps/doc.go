// Package steps is the Gherkin glue of drdrill: the step definitions that features/*.feature
// are written in, and the scenario hooks that give every scenario its own drill.
//
// Steps hold no logic. Each one parses its Gherkin arguments (names, counts, durations,
// objective tables), calls one method of package drill, and returns; the scenario's
// *drill.Drill travels in the context.Context. The Before hook creates the drill; the After
// hook always writes results.json — with the error of a failed step in results.Error — and
// closes the drill, so a failing scenario leaves nothing running.
//
// Catalog is the list every step is registered from: pattern, one-line description, example
// and function. `drdrill steps` prints it and docs/steps.md is generated from it.
//
// A Suite with Check set validates instead of running: the drill is prepared but never
// started, so every argument of every feature is checked before the first container starts.
package steps
