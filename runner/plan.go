package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/drdrill/drdrill/steps"
)

// Plan is the set of scenarios a run will execute, with the feature contents godog is given.
type Plan struct {
	Features  []Feature
	Scenarios []*Planned // selected and in this shard, in run order
	Matched   int        // scenarios matching the paths and tags, before sharding
}

// Feature is one feature file as godog receives it: lines of scenarios outside the selection
// are commented out, so that line numbers stay those of the file.
type Feature struct {
	Path     string
	Contents []byte
}

// Planned is one selected scenario (a pickle: one Examples row of an outline is its own).
type Planned struct {
	Index    int    // among the matched scenarios, before sharding: stable across shards
	Path     string // feature file
	Line     int    // line of the scenario, or of its Examples row
	Name     string
	Tags     []string
	Slug     string
	pickleID string // godog's ID of the pickle when given Features in order
	steps    map[string]steps.Source
}

// Shard selects every Count-th scenario starting at Index (1-based), as "i/n" writes it.
type Shard struct{ Index, Count int }

func (s Shard) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard reads "i/n" with 1 ≤ i ≤ n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("%w: shard %q: write i/n with 1 ≤ i ≤ n, e.g. 2/4", ErrBadInput, s)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) has(index int) bool { return s.Count <= 1 || index%s.Count == s.Index-1 }

// LoadPlan parses the feature files under paths (files, directories, or file:line) and selects
// the scenarios matching tags, then those of the shard. Every error names the file and line.
func LoadPlan(paths []string, tags string, shard Shard) (*Plan, error) {
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	files, lines, err := featureFiles(paths)
	if err != nil {
		return nil, err
	}
	type parsed struct {
		path    string
		content []byte
		doc     *messages.GherkinDocument
		pickles []*messages.Pickle
		keep    map[string]bool // pickle IDs selected for this run
	}
	var docs []*parsed
	var errs []error
	for _, path := range files {
		content, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrBadInput, err))
			continue
		}
		doc, pickles, err := parse(path, content)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, &parsed{path: path, content: content, doc: doc, pickles: pickles, keep: map[string]bool{}})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	plan := &Plan{}
	slugs := map[string]bool{}
	index := 0
	for _, p := range docs {
		loc := locations(p.doc)
		for _, pk := range p.pickles {
			line := loc[pk.AstNodeIds[len(pk.AstNodeIds)-1]].Line
			if want, ok := lines[p.path]; ok && !slices.Contains(want, line) && !slices.Contains(want, loc[pk.AstNodeIds[0]].Line) {
				continue
			}
			var tagNames []string
			for _, t := range pk.Tags {
				tagNames = append(tagNames, t.Name)
			}
			if !matchTags(tags, tagNames) {
				continue
			}
			slug := uniqueSlug(slugs, slugify(strings.TrimSuffix(filepath.Base(p.path), ".feature")+"-"+pk.Name))
			if shard.has(index) {
				p.keep[pk.Id] = true
				plan.Scenarios = append(plan.Scenarios, &Planned{Index: index, Path: p.path, Line: line, Name: pk.Name, Tags: tagNames, Slug: slug})
			}
			index++
		}
	}
	plan.Matched = index

	// godog is given the kept scenarios only; its pickle IDs are those of parsing the
	// rewritten contents in this order with a fresh ID generator, as godog does.
	newID := (&messages.Incrementing{}).NewId
	next := 0
	for _, p := range docs {
		if len(p.keep) == 0 {
			continue
		}
		content := rewrite(p.content, p.doc, p.pickles, p.keep)
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(content), newID)
		if err != nil {
			return nil, fmt.Errorf("%s: selecting scenarios made the feature unreadable (a bug in drdrill): %v", p.path, err)
		}
		pickles := gherkin.Pickles(*doc, p.path, newID)
		loc := locations(doc)
		for _, pk := range pickles {
			if next >= len(plan.Scenarios) || plan.Scenarios[next].Path != p.path || plan.Scenarios[next].Name != pk.Name {
				return nil, fmt.Errorf("%s: %q: selection does not match the plan (a bug in drdrill)", p.path, pk.Name)
			}
			sc := plan.Scenarios[next]
			sc.pickleID = pk.Id
			sc.steps = map[string]steps.Source{}
			for _, st := range pk.Steps {
				id := st.AstNodeIds[0]
				src := steps.Source{File: p.path, Line: loc[id].Line, Rows: loc[id].Rows}
				if len(st.AstNodeIds) > 1 {
					src.Example = loc[st.AstNodeIds[1]].Line
				}
				sc.steps[id] = src
			}
			next++
		}
		plan.Features = append(plan.Features, Feature{Path: p.path, Contents: content})
	}
	if next != len(plan.Scenarios) {
		return nil, fmt.Errorf("selection kept %d of %d scenarios (a bug in drdrill)", next, len(plan.Scenarios))
	}
	return plan, nil
}

// invalidUTF8At is the offset of the first byte that is not valid UTF-8 in b (len(b) if none).
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// withoutLines drops the :LINE selections of paths.
func withoutLines(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = p
		if j := strings.LastIndexByte(p, ':'); j > 0 {
			if n, err := strconv.Atoi(p[j+1:]); err == nil && n > 0 {
				out[i] = p[:j]
			}
		}
	}
	return out
}

// featureFiles expands paths into feature files, sorted within each directory. A path may end
// in :LINE to select the scenario or Examples row written there.
func featureFiles(paths []string) ([]string, map[string][]int, error) {
	var files []string
	lines := map[string][]int{}
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		path, line := p, 0
		if i := strings.LastIndexByte(p, ':'); i > 0 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil {
				if n < 1 {
					return nil, nil, fmt.Errorf("%w: %s: line %d: lines count from 1 (write FILE:LINE with the line of a Scenario or an Examples row)", ErrBadInput, p, n)
				}
				path, line = p[:i], n
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: feature path %s: %v", ErrBadInput, path, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			if line > 0 {
				lines[path] = append(lines[path], line)
			}
			add(path)
			continue
		}
		var found []string
		err = filepath.WalkDir(path, func(f string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && strings.HasSuffix(f, ".feature") {
				found = append(found, f)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		if len(found) == 0 {
			return nil, nil, fmt.Errorf("%w: %s: no .feature files", ErrBadInput, path)
		}
		slices.Sort(found)
		for _, f := range found {
			add(f)
		}
	}
	return files, lines, nil
}

var gherkinErrRe = regexp.MustCompile(`\((\d+):(\d+)\): (.*)`)

// parse parses one feature; errors read "path:line:col: message", one per line.
func parse(path string, content []byte) (*messages.GherkinDocument, []*messages.Pickle, error) {
	// A binary file would otherwise be echoed back in the parser's error, raw bytes and all.
	if i := bytes.IndexByte(content, 0); i >= 0 || !utf8.Valid(content) {
		if i < 0 {
			i = invalidUTF8At(content)
		}
		return nil, nil, fmt.Errorf("%w: %s: not a text file (byte %d is not UTF-8 text): a feature is Gherkin text", ErrBadInput, path, i)
	}
	newID := (&messages.Incrementing{}).NewId
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(content), newID)
	if err != nil {
		var msgs []string
		for _, m := range gherkinErrRe.FindAllStringSubmatch(err.Error(), -1) {
			msgs = append(msgs, fmt.Sprintf("%s:%s:%s: %s", path, m[1], m[2], m[3]))
		}
		if len(msgs) == 0 {
			msgs = append(msgs, fmt.Sprintf("%s: %v", path, err))
		}
		return nil, nil, fmt.Errorf("%w: malformed feature:\n%s", ErrBadInput, strings.Join(msgs, "\n"))
	}
	if doc.Feature == nil {
		return nil, nil, fmt.Errorf("%w: %s:1: no Feature in the file", ErrBadInput, path)
	}
	return doc, gherkin.Pickles(*doc, path, newID), nil
}

// location of an AST node: its line and, for a step with a data table, its rows' lines.
type location struct {
	Line int
	Rows []int
}

func locations(doc *messages.GherkinDocument) map[string]location {
	loc := map[string]location{}
	addSteps := func(sts []*messages.Step) {
		for _, st := range sts {
			l := location{Line: int(st.Location.Line)}
			if st.DataTable != nil {
				for _, r := range st.DataTable.Rows {
					l.Rows = append(l.Rows, int(r.Location.Line))
				}
			}
			loc[st.Id] = l
		}
	}
	addScenario := func(sc *messages.Scenario) {
		loc[sc.Id] = location{Line: int(sc.Location.Line)}
		addSteps(sc.Steps)
		for _, ex := range sc.Examples {
			for _, r := range ex.TableBody {
				loc[r.Id] = location{Line: int(r.Location.Line)}
			}
		}
	}
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			addSteps(c.Background.Steps)
		case c.Scenario != nil:
			addScenario(c.Scenario)
		case c.Rule != nil:
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					addSteps(rc.Background.Steps)
				}
				if rc.Scenario != nil {
					addScenario(rc.Scenario)
				}
			}
		}
	}
	return loc
}

// rewrite comments out the scenarios and Examples rows whose pickles are not kept. Line
// numbers are unchanged, so everything godog reports points into the real file.
func rewrite(content []byte, doc *messages.GherkinDocument, pickles []*messages.Pickle, keep map[string]bool) []byte {
	lines := strings.SplitAfter(string(content), "\n")
	// Where each node of the feature starts (its first tag line): a scenario ends where the
	// next one, a background or a rule starts.
	var starts []int
	start := func(line int64, tags []*messages.Tag) int {
		s := int(line)
		for _, t := range tags {
			s = min(s, int(t.Location.Line))
		}
		// A tag line gherkin reads no tag from (a lone "@") still belongs to the node: left
		// uncommented above a commented-out scenario, it would tag nothing (found by FuzzFeature).
		for s > 1 && strings.HasPrefix(strings.TrimSpace(lines[s-2]), "@") {
			s--
		}
		starts = append(starts, s)
		return s
	}
	type span struct {
		sc    *messages.Scenario
		start int
	}
	var spans []span
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			start(c.Background.Location.Line, nil)
		case c.Scenario != nil:
			spans = append(spans, span{c.Scenario, start(c.Scenario.Location.Line, c.Scenario.Tags)})
		case c.Rule != nil:
			start(c.Rule.Location.Line, c.Rule.Tags)
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					start(rc.Background.Location.Line, nil)
				}
				if rc.Scenario != nil {
					spans = append(spans, span{rc.Scenario, start(rc.Scenario.Location.Line, rc.Scenario.Tags)})
				}
			}
		}
	}
	slices.Sort(starts)
	keptRows := map[string]bool{}  // example row IDs kept
	keptScens := map[string]bool{} // scenario IDs with a kept pickle
	for _, pk := range pickles {
		if keep[pk.Id] {
			keptScens[pk.AstNodeIds[0]] = true
			if len(pk.AstNodeIds) > 1 {
				keptRows[pk.AstNodeIds[1]] = true
			}
		}
	}
	comment := func(from, to int) { // 1-based, inclusive
		for i := from; i <= to && i <= len(lines); i++ {
			if t := strings.TrimSpace(lines[i-1]); t != "" && !strings.HasPrefix(t, "#") {
				lines[i-1] = "#" + lines[i-1]
			}
		}
	}
	for _, sp := range spans {
		if !keptScens[sp.sc.Id] {
			end := len(lines)
			if i, _ := slices.BinarySearch(starts, sp.start+1); i < len(starts) {
				end = starts[i] - 1
			}
			comment(sp.start, end)
			continue
		}
		for _, ex := range sp.sc.Examples {
			for _, r := range ex.TableBody {
				if !keptRows[r.Id] {
					comment(int(r.Location.Line), int(r.Location.Line))
				}
			}
		}
	}
	return []byte(strings.Join(lines, ""))
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueSlug returns slug, or slug-2, slug-3, … the first that taken does not hold, and takes
// it: two scenarios never share an output directory, even when one is called "same" twice and
// another "same 2".
func uniqueSlug(taken map[string]bool, slug string) string {
	s := slug
	for n := 2; taken[s]; n++ {
		s = slug + "-" + strconv.Itoa(n)
	}
	taken[s] = true
	return s
}

// slugify makes a file-system and URL safe name.
func slugify(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 80 {
		s = strings.TrimRight(s[:80], "-")
	}
	if s == "" {
		s = "scenario"
	}
	return s
}
