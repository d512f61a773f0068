package steps

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the catalog for a terminal: pattern, description, example.
func WriteText(w io.Writer) error {
	for _, d := range catalog {
		if _, err := fmt.Fprintf(w, "%s\n    %s\n    e.g. %s\n\n", d.Pattern, d.Description,
			strings.ReplaceAll(d.Example, "\n", "\n         ")); err != nil {
			return err
		}
	}
	return nil
}

// WriteMarkdown writes the catalog as docs/steps.md.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Step catalog\n\n")
	b.WriteString("<!-- Generated from steps/catalog.go by `go test ./steps -update`. Do not edit. -->\n\n")
	b.WriteString("Every step a drill can be written in. Steps only parse their arguments and call one method of\n")
	b.WriteString("package drill; durations are written like `30s`, `10m`, `1h30m`, `2d`. `drdrill steps` prints\n")
	b.WriteString("this list. The default set of `drdrill run` (and `make drill`) is the tag expression `@quick`\n")
	b.WriteString("over `features/`.\n\n")
	for _, d := range catalog {
		fmt.Fprintf(&b, "### `%s`\n\n%s\n\n```gherkin\n%s\n```\n\n", d.Pattern, d.Description, d.Example)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
