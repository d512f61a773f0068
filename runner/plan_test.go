package runner

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/drdrill/drdrill/steps"
)

func names(p *Plan) []string {
	var ns []string
	for _, s := range p.Scenarios {
		ns = append(ns, s.Name)
	}
	return ns
}

func TestLoadPlanSelectsByTagsAndKeepsLines(t *testing.T) {
	tests := []struct {
		tags string
		want []string
	}{
		{"@quick", []string{"plain quick", "outline 100", "outline 200", "in a rule"}},
		{"@matrix", []string{"outline 300", "outline 400", "plain matrix"}},
		{"@sel && ~@quick", []string{"outline 300", "outline 400", "plain matrix"}},
		{"@quick,@matrix", []string{"plain quick", "outline 100", "outline 200", "outline 300", "outline 400", "plain matrix", "in a rule"}},
		{"", []string{"plain quick", "outline 100", "outline 200", "outline 300", "outline 400", "plain matrix", "in a rule"}},
		{"@nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.tags, func(t *testing.T) {
			p, err := LoadPlan([]string{"testdata/select.feature"}, tt.tags, Shard{})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p); !slices.Equal(got, tt.want) {
				t.Fatalf("selected %q, want %q", got, tt.want)
			}
			if len(tt.want) == 0 {
				if len(p.paths) != 0 {
					t.Fatalf("features given to godog with nothing selected")
				}
				return
			}
			// godog, given the plan's options, runs exactly the selection.
			feats, err := retrieve(p.godogOptions())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range feats {
				for _, pk := range f.Pickles {
					got = append(got, pk.Name)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("godog would run %q, want %q", got, tt.want)
			}
			orig, _ := os.ReadFile("testdata/select.feature")
			content, ok := p.partial["testdata/select.feature"]
			if !ok && len(tt.want) < 7 {
				t.Fatalf("file of a partial selection given to godog unchanged")
			}
			if n, m := strings.Count(string(content), "\n"), strings.Count(string(orig), "\n"); ok && n != m {
				t.Errorf("rewritten feature has %d lines, the file %d", n, m)
			}
		})
	}
}

func TestLoadPlanLinesAndSources(t *testing.T) {
	p, err := LoadPlan([]string{"testdata/select.feature:21", "testdata/select.feature:8"}, "", Shard{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(p); !slices.Equal(got, []string{"plain quick", "outline 100"}) {
		t.Fatalf("selected %q", got)
	}
	if p.Scenarios[1].Line != 21 {
		t.Errorf("outline row at line %d, want 21", p.Scenarios[1].Line)
	}
	var lines []int
	for _, src := range p.Scenarios[1].steps {
		lines = append(lines, src.Line)
	}
	slices.Sort(lines)
	if !slices.Equal(lines, []int{5, 16}) { // background step, outline step
		t.Errorf("step lines %v, want [5 16]", lines)
	}
}

func TestShardsPartitionTheSelection(t *testing.T) {
	all, err := LoadPlan([]string{"testdata/select.feature"}, "", Shard{})
	if err != nil {
		t.Fatal(err)
	}
	slugs := map[string]bool{}
	for _, s := range all.Scenarios {
		if slugs[s.Slug] {
			t.Errorf("slug %s twice", s.Slug)
		}
		slugs[s.Slug] = true
	}
	for _, n := range []int{1, 2, 3, 8} {
		var union []string
		for i := 1; i <= n; i++ {
			p, err := LoadPlan([]string{"testdata/select.feature"}, "", Shard{Index: i, Count: n})
			if err != nil {
				t.Fatal(err)
			}
			if p.Matched != len(all.Scenarios) {
				t.Errorf("shard %d/%d: matched %d, want %d", i, n, p.Matched, len(all.Scenarios))
			}
			for _, s := range p.Scenarios {
				union = append(union, s.Slug)
				if s.Slug != all.Scenarios[s.Index].Slug {
					t.Errorf("shard %d/%d: %s has slug %s, unsharded %s", i, n, s.Name, s.Slug, all.Scenarios[s.Index].Slug)
				}
			}
		}
		slices.Sort(union)
		var want []string
		for s := range slugs {
			want = append(want, s)
		}
		slices.Sort(want)
		if !slices.Equal(union, want) {
			t.Errorf("%d shards ran %v, want each of %v once", n, union, want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, s := range []string{"1/1", "2/4", "4/4"} {
		if _, err := ParseShard(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"0/4", "5/4", "1/0", "a/b", "2", ""} {
		if _, err := ParseShard(s); !errors.Is(err, ErrBadInput) {
			t.Errorf("%q: err %v, want bad input", s, err)
		}
	}
}

// godog panics on an empty tag and reads "@a b" as one tag no scenario has.
func TestCheckTagsRefusesWhatGodogMisreads(t *testing.T) {
	for _, bad := range []string{"@a,,@b", "@a && ", "~", "@a b"} {
		if err := checkTags(bad); !errors.Is(err, ErrBadInput) {
			t.Errorf("checkTags(%q) = %v, want bad input", bad, err)
		}
	}
	for _, good := range []string{"@quick", "~@slow", "@a,@b", "@a && ~@b", ""} {
		if err := checkTags(good); err != nil {
			t.Errorf("checkTags(%q) = %v", good, err)
		}
	}
}

// A file is given to godog rewritten, with the same lines, only when some of its scenarios
// do not run.
func TestPartialSelectionKeepsLines(t *testing.T) {
	orig, err := os.ReadFile("testdata/select.feature")
	if err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{"testdata/select.feature:21"}, {"testdata/select.feature:8", "testdata/select.feature:37"}} {
		p, err := LoadPlan(paths, "", Shard{})
		if err != nil {
			t.Fatal(err)
		}
		content, ok := p.partial["testdata/select.feature"]
		if !ok {
			t.Fatalf("%v: file not rewritten", paths)
		}
		if n, m := strings.Count(string(content), "\n"), strings.Count(string(orig), "\n"); n != m {
			t.Errorf("%v: rewritten feature has %d lines, the file %d", paths, n, m)
		}
	}
	p, err := LoadPlan([]string{"testdata/select.feature"}, "@sel", Shard{Index: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.partial) != 0 {
		t.Errorf("a selection of every scenario rewrote %d files", len(p.partial))
	}
}

// Two scenarios called "same" and one "same 2" must get three output directories: the second
// "same" would otherwise take "same-2", the third scenario's own name.
func TestSlugsNeverCollide(t *testing.T) {
	plan, err := LoadPlan([]string{"../cmd/drdrill/testdata/bad/same-names.feature"}, "", Shard{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, s := range plan.Scenarios {
		if other, ok := seen[s.Slug]; ok {
			t.Errorf("scenarios %q and %q share the output directory %s", other, s.Name, s.Slug)
		}
		seen[s.Slug] = s.Name
	}
	if len(seen) != 3 {
		t.Errorf("%d output directories for 3 scenarios: %v", len(seen), seen)
	}
}

// Why a partly run file is given to godog rewritten: godog's pretty formatter prints an
// outline's steps only with its first Examples row as written, so with that row filtered out
// by godog (tags, FILE:LINE) the outline would be printed without its steps.
func TestPrettyOutputOfAPartialSelectionShowsTheOutline(t *testing.T) {
	p, err := LoadPlan([]string{"testdata/select.feature:23"}, "", Shard{}) // outline row 200
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	suite := steps.Suite{Check: true, Scenario: lookupIn(p.metas("check", "0000", t.TempDir(), Shard{}))}
	opt := p.godogOptions()
	opt.Format, opt.Output, opt.NoColors, opt.Strict = "pretty", &out, true, true
	if status := (godog.TestSuite{ScenarioInitializer: suite.InitializeScenario, Options: &opt}).Run(); status != 0 {
		t.Fatalf("godog status %d\n%s", status, out.String())
	}
	for _, want := range []string{"Scenario Outline: outline <n>", "Given the drill has <n> tenants", "| 200 |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("pretty output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "| 100 |") {
		t.Errorf("pretty output shows a row that did not run:\n%s", out.String())
	}
}
