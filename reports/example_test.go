package reports_test

import (
	"fmt"
	"strings"

	"github.com/drdrill/drdrill/reports"
	"github.com/drdrill/drdrill/results"
)

// Two shards of one drill run merge into one report whose verdict is the worst of theirs.
func ExampleMerge() {
	a := &results.Results{RunID: "nightly-01", Group: "nightly", Scenario: "undo-mark", Shard: "1/2", Verdict: results.StatusOK}
	b := &results.Results{RunID: "nightly-02", Group: "nightly", Scenario: "full-pitr", Shard: "2/2", Verdict: results.StatusBreached}
	rep, err := reports.Merge([]*results.Results{a, b})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Group, rep.Verdict, len(rep.Drills))
	// Output: nightly breached 2
}

// The summary of a drill is Markdown for a CI job summary or a pull request comment.
func ExampleWriteSummary() {
	r, err := results.ReadFile("testdata/results-fail-full-pitr.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := reports.Merge([]*results.Results{r})
	if err != nil {
		fmt.Println(err)
		return
	}
	var md strings.Builder
	if err := reports.WriteSummary(&md, rep); err != nil {
		fmt.Println(err)
		return
	}
	// The full text is testdata/golden/fail/summary.md; its headline:
	fmt.Println(strings.SplitN(md.String(), "\n", 2)[0])
	// Output: ## ❌ drdrill: 2 of 5 objectives breached
}
