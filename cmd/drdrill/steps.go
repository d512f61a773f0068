package main

import (
	"context"
	"os"

	"github.com/drdrill/drdrill/steps"
)

// cmdSteps is `drdrill steps`: the step catalog, as text or as the Markdown of docs/steps.md.
func cmdSteps(ctx context.Context, args []string) error {
	fs := newFlags("steps", "[--markdown]")
	md := fs.Bool("markdown", false, "print the catalog as Markdown (the text of docs/steps.md)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("steps takes no arguments, got %q", fs.Args())
	}
	if *md {
		return steps.WriteMarkdown(os.Stdout)
	}
	return steps.WriteText(os.Stdout)
}
