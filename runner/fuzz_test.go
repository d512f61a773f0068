package runner

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets for what a user writes to `drdrill run`: --shard, --tags, and the feature
// files themselves. `make fuzz` runs each for a few seconds.

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/4", "4/4", "0/4", "5/4", "1/0", "a/b", "2", "", "-1/3", "1/-3", " 1/2", "1/2/3", "+1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "shard") {
				t.Fatalf("ParseShard(%q) error %v: want bad input naming the shard", s, err)
			}
			return
		}
		if sh.Index < 1 || sh.Index > sh.Count {
			t.Fatalf("ParseShard(%q) = %+v: index out of 1..count", s, sh)
		}
		// Every scenario index is in exactly one shard of the count.
		for idx := range 3 * sh.Count {
			n := 0
			for i := 1; i <= sh.Count; i++ {
				if (Shard{Index: i, Count: sh.Count}).has(idx) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("count %d: scenario %d is in %d shards", sh.Count, idx, n)
			}
		}
		if sh.Count > 1 {
			back, err := ParseShard(sh.String())
			if err != nil || back != sh {
				t.Fatalf("ParseShard(%q) = %+v, String %q reads back as %+v, %v", s, sh, sh.String(), back, err)
			}
		}
	})
}

// FuzzTagExpression: an expression checkTags lets through never panics godog's tag filter,
// and selects consistently.
func FuzzTagExpression(f *testing.F) {
	for _, s := range []string{"@quick", "~@slow", "@a,@b", "@a && ~@b", "", "@a,,@b", "@a && ", "~", "@a b", "@@x", "~~@x", "@a&&@b,~@c"} {
		f.Add(s, "quick")
	}
	f.Fuzz(func(t *testing.T, expr, tag string) {
		err := checkTags(expr)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("checkTags(%q) = %v, want bad input", expr, err)
			}
			return
		}
		if !tagRe.MatchString(tag) {
			return // not a tag a feature can carry
		}
		got := selects(t, expr, tag)
		// An expression and'ed with itself selects the same scenarios.
		if strings.TrimSpace(expr) != "" && selects(t, expr+" && "+expr, tag) != got {
			t.Fatalf("%q && itself differs from %q on @%s", expr, expr, tag)
		}
		// One tag and its negation select complementary sets.
		if t1 := strings.TrimSpace(expr); t1 != "" && !strings.ContainsAny(t1, ",&~") {
			if neg := selects(t, "~"+t1, tag); neg == got {
				t.Fatalf("%q and ~%q agree (%v) on @%s", t1, t1, got, tag)
			}
		}
	})
}

var tagRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// selects reports whether the plan, that is godog's tag filter, selects a scenario tagged
// @tag by expr.
func selects(t *testing.T, expr, tag string) bool {
	path := filepath.Join(t.TempDir(), "f.feature")
	feature := "@" + tag + "\nFeature: f\n  Scenario: s\n    Given a step\n"
	if err := os.WriteFile(path, []byte(feature), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlan([]string{path}, expr, Shard{})
	if err != nil {
		t.Fatalf("tags %q: %v", expr, err)
	}
	return len(p.Scenarios) == 1
}

// FuzzFeature checks the plan of any feature file: a file is either refused as bad input, or
// planned; and then its shards partition its scenarios, each shard rewritten so that godog
// reads exactly the planned scenarios (LoadPlan checks this and says "a bug in drdrill").
func FuzzFeature(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.feature")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Feature: x\n  Scenario: a\n    Given a\n  Scenario: b\n    Given b\n"))
	f.Add([]byte("Feature: x\n  Rule: r\n    Background:\n      Given a\n    Scenario Outline: <n>\n      Given <n>\n      Examples:\n        | n |\n        | 1 |\n        | 2 |\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "f.feature")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		all, err := LoadPlan([]string{path}, "", Shard{})
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("not bad input: %v", err)
			}
			return
		}
		for _, n := range []int{2, 3} {
			var union []int
			for i := 1; i <= n; i++ {
				p, err := LoadPlan([]string{path}, "", Shard{Index: i, Count: n})
				if err != nil {
					t.Fatalf("shard %d/%d of a feature that plans unsharded: %v", i, n, err)
				}
				for _, s := range p.Scenarios {
					union = append(union, s.Index)
					if w := all.Scenarios[s.Index]; w.Name != s.Name || w.Line != s.Line {
						t.Fatalf("shard %d/%d: scenario %d is %q line %d, unsharded %q line %d", i, n, s.Index, s.Name, s.Line, w.Name, w.Line)
					}
				}
			}
			slices.Sort(union)
			for i, idx := range union {
				if i != idx {
					t.Fatalf("%d shards ran scenarios %v, want 0..%d once each", n, union, len(all.Scenarios)-1)
				}
			}
			if len(union) != len(all.Scenarios) {
				t.Fatalf("%d shards ran %d scenarios, want %d", n, len(union), len(all.Scenarios))
			}
		}
	})
}
