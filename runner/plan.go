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
	"time"
	"unicode/utf8"

	gherkin "github.com/cucumber/gherkin/go/v26"
	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/drdrill/drdrill/steps"
)

// Plan is the set of scenarios a run will execute, and the godog options that run exactly
// those: godog parses the files and selects by tags itself.
type Plan struct {
	Scenarios []*Planned // selected and in this shard, in run order
	Matched   int        // scenarios matching the paths and tags, before sharding
	paths     []string   // the feature files with a selected scenario, in run order
	tags      string
	// partial holds the files of which only some scenarios run, with the others commented
	// out so that lines stay the file's. godog has no shards, takes no FILE:LINE of an
	// Examples row nor two of one file, and its pretty formatter prints an outline's steps
	// only with the outline's first Examples row, and a rule's background only with the
	// rule's first scenario, as written: when its own filters (tags, FILE:LINE) drop that
	// one, the output loses them.
	partial overlay
}

// Planned is one selected scenario (a pickle: one Examples row of an outline is its own).
type Planned struct {
	Index    int    // among the matched scenarios, before sharding: stable across shards
	Path     string // feature file
	Line     int    // line of the scenario, or of its Examples row
	Name     string
	Tags     []string
	Slug     string
	pickleID string // godog's ID of the pickle in the run of godogOptions
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
	tags = strings.TrimSpace(tags) // godog reads " " as an empty tag, and panics
	files, lines, err := featureFiles(paths)
	if err != nil {
		return nil, err
	}
	// godog stops at the first malformed file, and names it "path - (3:5): ...": check each
	// first, so that every one is reported as path:line:col.
	var errs []error
	for _, path := range files {
		if err := readable(path); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	feats, err := retrieve(godog.Options{Paths: files, Tags: tags})
	if err != nil {
		return nil, err
	}
	every := feats // every scenario of each file, whatever the tags
	if tags != "" {
		if every, err = retrieve(godog.Options{Paths: files}); err != nil {
			return nil, err
		}
	}
	pickles := map[string]int{}
	for _, f := range every {
		pickles[f.Uri] = len(f.Pickles)
		if err := checkLines(f, lines[f.Uri]); err != nil {
			return nil, err
		}
	}

	plan := &Plan{tags: tags, partial: overlay{}}
	slugs := map[string]bool{}
	index := 0
	for _, f := range feats {
		loc := locations(f.GherkinDocument)
		keep := map[string]bool{} // pickle IDs selected for this run
		for _, pk := range f.Pickles {
			line := loc[pk.AstNodeIds[len(pk.AstNodeIds)-1]].Line
			// godog's own FILE:LINE takes a scenario's line only, one per path, and appends
			// it to the feature's URI in every report: drdrill selects lines itself.
			if want, ok := lines[f.Uri]; ok && !slices.Contains(want, line) && !slices.Contains(want, loc[pk.AstNodeIds[0]].Line) {
				continue
			}
			var tagNames []string
			for _, t := range pk.Tags {
				tagNames = append(tagNames, t.Name)
			}
			slug := uniqueSlug(slugs, slugify(strings.TrimSuffix(filepath.Base(f.Uri), ".feature")+"-"+pk.Name))
			if shard.has(index) {
				keep[pk.Id] = true
				plan.Scenarios = append(plan.Scenarios, &Planned{Index: index, Path: f.Uri, Line: line, Name: pk.Name, Tags: tagNames, Slug: slug})
			}
			index++
		}
		if len(keep) == 0 {
			continue
		}
		plan.paths = append(plan.paths, f.Uri)
		if len(keep) < pickles[f.Uri] {
			plan.partial[f.Uri] = rewrite(f.Content, f.GherkinDocument, f.Pickles, keep)
		}
	}
	plan.Matched = index
	if len(plan.Scenarios) == 0 {
		return plan, nil
	}
	if err := plan.identify(); err != nil {
		return nil, err
	}
	return plan, nil
}

// identify gives each planned scenario its pickle ID and the sources of its steps, from
// godog's own parse of the run's options: its hooks name a scenario by that ID.
func (p *Plan) identify() error {
	run, err := retrieve(p.godogOptions())
	if err != nil {
		return err
	}
	next := 0
	for _, f := range run {
		loc := locations(f.GherkinDocument)
		for _, pk := range f.Pickles {
			line := loc[pk.AstNodeIds[len(pk.AstNodeIds)-1]].Line
			if next >= len(p.Scenarios) || p.Scenarios[next].Path != f.Uri || p.Scenarios[next].Line != line {
				return fmt.Errorf("%s:%d: %q: godog would run a scenario the plan does not have (a bug in drdrill)", f.Uri, line, pk.Name)
			}
			sc := p.Scenarios[next]
			sc.pickleID = pk.Id
			sc.steps = map[string]steps.Source{}
			for _, st := range pk.Steps {
				id := st.AstNodeIds[0]
				src := steps.Source{File: f.Uri, Line: loc[id].Line, Rows: loc[id].Rows}
				if len(st.AstNodeIds) > 1 {
					src.Example = loc[st.AstNodeIds[1]].Line
				}
				sc.steps[id] = src
			}
			next++
		}
	}
	if next != len(p.Scenarios) {
		return fmt.Errorf("godog would run %d of the %d planned scenarios (a bug in drdrill)", next, len(p.Scenarios))
	}
	return nil
}

// godogOptions are the options that make godog run the plan's scenarios, in order.
func (p *Plan) godogOptions() godog.Options {
	opt := godog.Options{Paths: p.paths, Tags: p.tags}
	if len(p.partial) > 0 {
		opt.FS = p.partial
	}
	return opt
}

// feature is one feature file as godog parsed and filtered it.
type feature struct {
	*messages.GherkinDocument                    // its Uri is the path godog was given
	Pickles                   []*messages.Pickle // those matching the tags, in run order
	Content                   []byte
}

// retrieve is godog's parse and selection of the features of opt: its Gherkin parser, its
// pickle IDs, its tag filter.
func retrieve(opt godog.Options) ([]feature, error) {
	feats, err := godog.TestSuite{Options: &opt}.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	out := make([]feature, len(feats))
	for i, f := range feats {
		out[i] = feature{GherkinDocument: f.GherkinDocument, Pickles: f.Pickles, Content: f.Content}
	}
	return out, nil
}

// overlay serves the features of a partial selection from memory, every other path from disk.
type overlay map[string][]byte

func (o overlay) Open(name string) (fs.File, error) {
	if b, ok := o[name]; ok {
		return memFile{bytes.NewReader(b), name}, nil
	}
	return os.Open(name)
}

// memFile is a file of an overlay; it is its own fs.FileInfo (bytes.Reader gives Size).
type memFile struct {
	*bytes.Reader
	path string
}

func (f memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f memFile) Close() error               { return nil }
func (f memFile) Name() string               { return filepath.Base(f.path) }
func (f memFile) Mode() fs.FileMode          { return 0o444 }
func (f memFile) ModTime() time.Time         { return time.Time{} }
func (f memFile) IsDir() bool                { return false }
func (f memFile) Sys() any                   { return nil }

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

// readable refuses a file godog could not read: errors read "path:line:col: message", one per line.
func readable(path string) error {
	content, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	// A binary file would otherwise be echoed back in the parser's error, raw bytes and all.
	if i := bytes.IndexByte(content, 0); i >= 0 || !utf8.Valid(content) {
		if i < 0 {
			i = invalidUTF8At(content)
		}
		return fmt.Errorf("%w: %s: not a text file (byte %d is not UTF-8 text): a feature is Gherkin text", ErrBadInput, path, i)
	}
	// The parser godog uses; godog itself would drop a file without a Feature silently.
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(content), (&messages.Incrementing{}).NewId)
	if err != nil {
		var msgs []string
		for _, m := range gherkinErrRe.FindAllStringSubmatch(err.Error(), -1) {
			msgs = append(msgs, fmt.Sprintf("%s:%s:%s: %s", path, m[1], m[2], m[3]))
		}
		if len(msgs) == 0 {
			msgs = append(msgs, fmt.Sprintf("%s: %v", path, err))
		}
		return fmt.Errorf("%w: malformed feature:\n%s", ErrBadInput, strings.Join(msgs, "\n"))
	}
	if doc.Feature == nil {
		return fmt.Errorf("%w: %s:1: no Feature in the file", ErrBadInput, path)
	}
	return nil
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

// checkLines refuses a FILE:LINE whose line starts no Scenario, Scenario Outline or Examples
// row of f (a tag line, a step, a blank): godog would select nothing there, and among other
// paths it would go unnoticed. It names the next scenario's line.
func checkLines(f feature, want []int) error {
	if len(want) == 0 {
		return nil
	}
	loc := locations(f.GherkinDocument)
	valid := map[int]bool{}
	var starts []int
	for _, pk := range f.Pickles {
		first, last := loc[pk.AstNodeIds[0]].Line, loc[pk.AstNodeIds[len(pk.AstNodeIds)-1]].Line
		valid[first], valid[last] = true, true
		starts = append(starts, first)
	}
	slices.Sort(starts)
	for _, l := range want {
		if valid[l] {
			continue
		}
		hint := "it has no scenario after it"
		if i, _ := slices.BinarySearch(starts, l); i < len(starts) {
			hint = fmt.Sprintf("the next scenario starts at line %d", starts[i])
		}
		return fmt.Errorf("%w: %s:%d: no Scenario or Examples row starts at line %d (%s)", ErrBadInput, f.Uri, l, l, hint)
	}
	return nil
}
