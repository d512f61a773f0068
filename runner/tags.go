package runner

import (
	"fmt"
	"strings"
)

// DefaultTags selects the default set: the drills `drdrill run` and `make drill` run when no
// paths are given.
const DefaultTags = "@quick"

// matchTags evaluates godog's tag expression ("@a && ~@b", "@a,@b") exactly as godog does, so
// the plan selects what godog would: groups separated by && must all hold; within a group,
// comma-separated tags are alternatives, and ~ negates.
func matchTags(expr string, tags []string) bool {
	if strings.TrimSpace(expr) == "" {
		return true
	}
	has := func(tag string) bool {
		for _, t := range tags {
			if strings.ReplaceAll(t, "@", "") == tag {
				return true
			}
		}
		return false
	}
	for _, and := range strings.Split(expr, "&&") {
		ok := false
		for _, tag := range strings.Split(and, ",") {
			tag = strings.ReplaceAll(strings.TrimSpace(tag), "@", "")
			if neg, found := strings.CutPrefix(tag, "~"); found {
				ok = ok || !has(neg)
			} else {
				ok = ok || has(tag)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// checkTags refuses expressions godog would misread (or panic on: an empty tag).
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
