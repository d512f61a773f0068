// Package reports renders drill results for CI and for people. Everything it shows is read
// from results.json files (package results) and nothing else: a report can be re-rendered at
// any time, on any machine, from the files a drill left behind.
//
// Data enters as []*results.Results — one per drill, possibly several shards or scenarios of
// one drill run — and leaves as files written by RenderAll:
//
//   - junit.xml: one <testsuite> per results file (properties: run id, group, shard, seed,
//     profile, runbook, feature), one <testcase> per scenario. Each breached objective is a
//     <failure> whose message names the objective, target, measured value and margin. An
//     objective whose value could not be measured is an <error type="unknown"> with the reason:
//     the drill could not answer the question, which CI must show as red, not as a skip.
//   - cucumber.json: the drill's phases as steps of one scenario per drill (for tools that read
//     cucumber JSON when godog's own formatter did not write one).
//   - summary.md: a short Markdown summary for a CI job summary or a pull request comment.
//   - report.html: one self-contained page (inline CSS and SVG charts, no network) whose first
//     screen answers: did we meet the objectives, how long were customers down, what did they
//     lose.
//
// History (AppendHistory, LoadHistory) keeps one results file per past drill under
// <dir>/<scenario-slug>/ so the HTML report can draw trends. Merge joins the results of one
// drill run split across CI jobs.
package reports
