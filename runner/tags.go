package runner

import (
	"fmt"
	"strings"
)

// DefaultTags selects the default set: the drills `drdrill run` and `make drill` run when no
// paths are given.
const DefaultTags = "@quick"

// TestTags selects what `make test` drills: the default set, and the quick drills of the other
// example stacks (@stacks: the notes stack from its stack file and from its compose file),
// kept out of the default set so that `make drill` stays a few minutes.
const TestTags = DefaultTags + ",@stacks"

// checkTags refuses expressions godog would misread (a tag with a space in it selects
// nothing) or panic on (an empty tag): godog matches tags itself, but does not check them.
func checkTags(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	for _, and := range strings.Split(expr, "&&") {
		for _, tag := range strings.Split(and, ",") {
			t := strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(tag), "@", ""), "~")
			if t == "" || strings.ContainsAny(t, " \t~|!()") {
				return fmt.Errorf("%w: tag expression %q: %q is not a tag; write e.g. \"@quick\", \"@matrix && ~@slow\" or \"@a,@b\"",
					ErrBadInput, expr, strings.TrimSpace(tag))
			}
		}
	}
	return nil
}
