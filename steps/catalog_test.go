package steps

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/steps.md from the catalog")

// Every example must be matched by its own pattern and by no other: one step per idea, no
// ambiguity for godog.
func TestCatalogExamplesMatchExactlyTheirPattern(t *testing.T) {
	res := make([]*regexp.Regexp, len(catalog))
	for i, d := range catalog {
		res[i] = regexp.MustCompile(d.Pattern)
		if d.Description == "" || d.Example == "" || d.Func == nil {
			t.Errorf("%s: description, example and function are required", d.Pattern)
		}
	}
	for i, d := range catalog {
		// The step text is the example's first line without its Gherkin keyword.
		line := strings.SplitN(d.Example, "\n", 2)[0]
		_, text, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			t.Fatalf("%s: example %q has no keyword", d.Pattern, d.Example)
		}
		for j, re := range res {
			if got := re.MatchString(text); got != (i == j) {
				t.Errorf("example %q: matched by %s = %v", text, catalog[j].Pattern, got)
			}
		}
	}
}

func TestDocsStepsMatchesCatalog(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	const path = "../docs/steps.md"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./steps -update)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("docs/steps.md is out of date with steps/catalog.go: run go test ./steps -update")
	}
}
