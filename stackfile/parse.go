package stackfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid matches every error of Load and Parse about the file's content.
var ErrInvalid = errors.New("invalid stack file")

// Problem is one thing wrong with a stack file, at a position in it.
type Problem struct {
	Line, Col int
	Msg       string // what is wrong
	Fix       string // what to write instead; may be empty
}

// Error lists every problem of one file, by position.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s", e.File, p.Line, p.Col, p.Msg)
		if p.Fix != "" {
			b.WriteString("; write instead: " + p.Fix)
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Load reads and validates the stack file at path.
func Load(path string) (*Stack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stack file: %w", err)
	}
	return Parse(path, b)
}

// Parse validates data as the stack file named filename (relative paths in it are relative to
// filename's directory).
func Parse(filename string, data []byte) (*Stack, error) {
	return parse(&checker{file: filename, dir: filepath.Dir(filename)}, data)
}

// ParseFS reads and validates the stack file name of fsys, and the files it names from fsys
// (an embedded stack).
func ParseFS(fsys fs.FS, name string) (*Stack, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("stack file: %w", err)
	}
	return parse(&checker{file: name, dir: path.Dir(name), fsys: fsys}, b)
}

func parse(c *checker, data []byte) (*Stack, error) {
	filename := c.file
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		msg := err.Error()
		if n, ok := yamlLine(msg); ok {
			line = n
		}
		c.add(&yaml.Node{Line: line, Column: 1}, "the file is not YAML: "+strings.TrimPrefix(msg, "yaml: "), "")
		return nil, c.err()
	}
	if len(doc.Content) == 0 {
		c.add(&yaml.Node{Line: 1, Column: 1}, "the file is empty", "apiVersion: "+APIVersion+" (see docs/stack-file.md)")
		return nil, c.err()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		c.add(root, "a stack file is a mapping of sections (apiVersion, kind, services, …)", "apiVersion: "+APIVersion)
		return nil, c.err()
	}
	c.known(root, reflect.TypeOf(Stack{}), "")
	s := &Stack{Path: filename, nodes: c.nodes}
	if err := root.Decode(s); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				n, _ := yamlLine(m)
				c.add(&yaml.Node{Line: max(n, 1), Column: 1}, strings.TrimPrefix(m, "line "+fmt.Sprint(n)+": "), "")
			}
		} else {
			c.add(root, err.Error(), "")
		}
		return nil, c.err()
	}
	c.validate(s)
	if s.Compose != "" && len(c.problems) == 0 {
		c.composeServices(s)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// yamlLine reads the line number out of a yaml error ("yaml: line 7: …", "line 7: …").
func yamlLine(msg string) (int, bool) {
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0, false
	}
	var n int
	if _, err := fmt.Sscanf(msg[i:], "line %d", &n); err != nil {
		return 0, false
	}
	return n, true
}

// checker collects the problems of one file and the node of every key path.
type checker struct {
	file, dir string
	fsys      fs.FS // nil: the operating system's files
	problems  []Problem
	nodes     map[string]*yaml.Node // "tenancy.tenant.key" → its value node
}

func (c *checker) add(n *yaml.Node, msg, fix string) {
	c.problems = append(c.problems, Problem{Line: n.Line, Col: n.Column, Msg: msg, Fix: fix})
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return &Error{File: c.file, Problems: c.problems}
}

// at is the node of a key path, or the nearest ancestor present, or the document's start.
func (c *checker) at(path string) *yaml.Node {
	for p := path; ; {
		if n, ok := c.nodes[p]; ok {
			return n
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return &yaml.Node{Line: 1, Column: 1}
		}
		p = p[:i]
	}
}

// known reports every key of the mapping n that type t has no field for, with the nearest
// field name as the fix, and records the node of every key path.
func (c *checker) known(n *yaml.Node, t reflect.Type, path string) {
	if c.nodes == nil {
		c.nodes = map[string]*yaml.Node{}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(Incident{}):
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value != "script" {
				c.add(k, fmt.Sprintf("unknown field %q in incident", k.Value), "script: builtin, or script: {image: …, command: […], ids: {file: /ids.txt}}")
				continue
			}
			c.nodes[join(path, "script")] = v
			if v.Kind == yaml.MappingNode {
				c.known(v, reflect.TypeOf(Script{}), join(path, "script"))
			}
		}
		return
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			c.nodes[p] = n.Content[i+1]
			c.known(n.Content[i+1], t.Elem(), p)
		}
		return
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			c.nodes[p] = e
			c.known(e, t.Elem(), p)
		}
		return
	case t.Kind() != reflect.Struct:
		return
	}
	if n.Kind != yaml.MappingNode {
		return // Decode reports the wrong kind
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			fields[tag] = f.Type
		}
	}
	if t == reflect.TypeOf(Step{}) {
		fields["run"] = reflect.TypeOf("")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		if !ok {
			fix := ""
			if near := nearest(k.Value, slices.Sorted(mapsKeys(fields))); near != "" {
				fix = fmt.Sprintf("%s (did you mean %q?)", near, near)
			}
			where := path
			if where == "" {
				where = "the stack file"
			}
			c.add(k, fmt.Sprintf("unknown field %q in %s", k.Value, where), fix)
			continue
		}
		p := join(path, k.Value)
		c.nodes[p] = v
		c.known(v, ft, p)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// nearest is the candidate closest to s by edit distance, if close enough to be a typo.
func nearest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// UnmarshalYAML reads incident.script: "builtin" or a mapping of the user's own script.
func (in *Incident) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Script yaml.Node `yaml:"script"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	switch raw.Script.Kind {
	case 0:
	case yaml.ScalarNode:
		in.Script = raw.Script.Value
	case yaml.MappingNode:
		in.Own = &Script{}
		return raw.Script.Decode(in.Own)
	}
	return nil
}

// UnmarshalYAML reads a step's run as a list of arguments or one shell string.
func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	type plain Step
	var raw struct {
		plain `yaml:",inline"`
		Run   yaml.Node `yaml:"run"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*s = Step(raw.plain)
	switch raw.Run.Kind {
	case yaml.ScalarNode:
		if raw.Run.Value != "" {
			s.Run = []string{"sh", "-c", raw.Run.Value}
		}
	case yaml.SequenceNode:
		return raw.Run.Decode(&s.Run)
	}
	return nil
}
