package steps

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"
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

// godog's pretty output names each step's definition: the catalog line that registers its
// pattern, and its function, never one shared line of a registration loop.
func TestPrettyOutputPointsAtEachStepsDefinition(t *testing.T) {
	s := Suite{Check: true, Scenario: func(sc *godog.Scenario) (*Scenario, error) {
		return &Scenario{RunID: "test-01", Slug: "s", Feature: sc.Uri, Dir: t.TempDir(), Steps: map[string]Source{}}, nil
	}}
	var out bytes.Buffer
	status := godog.TestSuite{
		ScenarioInitializer: s.InitializeScenario,
		Options: &godog.Options{Format: "pretty", Output: &out, NoColors: true, Strict: true,
			FeatureContents: []godog.Feature{{Name: "x.feature", Contents: []byte(`Feature: x
  Scenario: three steps
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And the reference stack is running
`)}}},
	}.Run()
	if status != 0 {
		t.Fatalf("godog status %d\n%s", status, out.String())
	}
	src, err := os.ReadFile("catalog.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	patterns := map[string]string{} // function name → pattern
	for _, d := range catalog {
		patterns[runtime.FuncForPC(reflect.ValueOf(d.Func).Pointer()).Name()] = d.Pattern
	}
	defs := regexp.MustCompile(`# (\S+):(\d+) -> (\S+)`).FindAllStringSubmatch(out.String(), -1)
	if len(defs) != 3 {
		t.Fatalf("%d step definitions in the pretty output, want 3:\n%s", len(defs), out.String())
	}
	for _, d := range defs {
		file, fn := d[1], d[3]
		n, _ := strconv.Atoi(d[2])
		pattern, ok := patterns[fn]
		if !ok {
			t.Errorf("%s: %s is not a step function of the catalog", d[0], fn)
			continue
		}
		if file != "catalog.go" || n < 1 || n > len(lines) || !strings.Contains(lines[n-1], "Step(`"+pattern+"`") {
			t.Errorf("%s: want the catalog line that registers %s", d[0], pattern)
		}
	}
}
