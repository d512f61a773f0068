// Package runner runs drills written in Gherkin: it is what `drdrill run` and the `go test`
// entry point TestFeatures share.
//
// A run has three stages. First the plan: every feature file is parsed (a malformed one is
// reported as "features/x.feature:12: ..."), godog selects by tag expression, drdrill by
// FILE:LINE and shard, and each scenario gets a run ID, a slug and an output directory. godog
// is given the files by path; only one of which some scenarios do not run is given with
// those commented out (see Plan), because godog has no shards and its pretty output of a
// partly run file drops outline steps and rule backgrounds. Then a check: godog runs the
// selected scenarios with steps that only parse and validate their arguments (objectives,
// durations, profiles, tenant counts, runbook names) and strict about undefined steps, so bad
// input fails before the first container starts. Then the drills, one per scenario, each
// writing <out>/<slug>/results.json, with godog writing cucumber.json and godog-junit.xml;
// reports.RenderAll turns all results into junit.xml, summary.md and report.html.
//
// Run returns an error wrapping ErrBadInput, ErrFailed or ErrBreached; only cmd/ maps them to
// exit codes.
package runner
