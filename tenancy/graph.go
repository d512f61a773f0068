package tenancy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// route is how the rows of a table reach an anchor: the joins, then the anchor's column.
type route struct {
	path []Edge
	col  string
}

// graph is the catalog with the declared joins added as edges.
type graph struct {
	cat    *catalog
	edges  []Edge // foreign keys then declared joins, self-references included
	joins  []Edge // the declared joins alone
	byRef  map[string][]Edge
	byFrom map[string][]Edge
}

// newGraph checks the declared joins against the catalog and adds them as edges; a join that
// a foreign key already states is not added twice.
func newGraph(cat *catalog, joins []Join) (*graph, error) {
	g := &graph{cat: cat, edges: slices.Clone(cat.fks), byRef: map[string][]Edge{}, byFrom: map[string][]Edge{}}
	for _, j := range joins {
		for _, tc := range [][2]string{{j.Table, j.Column}, {j.RefTable, j.RefColumn}} {
			t := cat.tables[tc[0]]
			if t == nil {
				return nil, fmt.Errorf("tenancy: join %s: table %s not found in schema %s: %w", j, tc[0], cat.schema, ErrJoin)
			}
			if _, ok := t.Column(tc[1]); !ok {
				return nil, fmt.Errorf("tenancy: join %s: column %s not found in table %s (columns: %s): %w",
					j, tc[1], tc[0], columnNames(t), ErrJoin)
			}
		}
		e := Edge{Table: j.Table, Columns: []string{j.Column}, RefTable: j.RefTable, RefColumns: []string{j.RefColumn}, Declared: true}
		g.joins = append(g.joins, e)
		if !slices.ContainsFunc(g.edges, func(f Edge) bool { return sameEdge(e, f) }) {
			g.edges = append(g.edges, e)
		}
	}
	for _, e := range g.edges {
		g.byRef[e.RefTable] = append(g.byRef[e.RefTable], e)
		g.byFrom[e.Table] = append(g.byFrom[e.Table], e)
	}
	// Foreign keys before declared joins, then by name: ties between equally short routes
	// always go the same way, and to the database's own word first.
	for _, m := range []map[string][]Edge{g.byRef, g.byFrom} {
		for _, es := range m {
			slices.SortStableFunc(es, edgeOrder)
		}
	}
	return g, nil
}

func edgeOrder(a, b Edge) int {
	if a.Declared != b.Declared {
		if a.Declared {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.Table, b.Table), slices.Compare(a.Columns, b.Columns),
		cmp.Compare(a.RefTable, b.RefTable), slices.Compare(a.RefColumns, b.RefColumns))
}

func sameEdge(a, b Edge) bool {
	return a.Table == b.Table && a.RefTable == b.RefTable && slices.Equal(a.Columns, b.Columns) && slices.Equal(a.RefColumns, b.RefColumns)
}

func columnNames(t *Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// routes walks the edges backwards from the anchors (table → the column holding the key) and
// returns, for every table that reaches one, its shortest route. Self-references are trees
// inside a table and never part of a route.
func (g *graph) routes(anchors map[string]string) map[string]route {
	out := map[string]route{}
	var queue []string
	for _, a := range sortedKeys(anchors) {
		out[a] = route{col: anchors[a]}
		queue = append(queue, a)
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, e := range g.byRef[p] {
			if e.Table == p {
				continue
			}
			if _, seen := out[e.Table]; seen {
				continue
			}
			out[e.Table] = route{path: append([]Edge{e}, out[p].path...), col: out[p].col}
			queue = append(queue, e.Table)
		}
	}
	return out
}

// unitRoutes are the routes to the unit table, the last hop dropped when it lands on the unit
// key itself (products.site_id holds the unit key: no need to join sites).
func (g *graph) unitRoutes(unit, key string) map[string]route {
	rs := g.routes(map[string]string{unit: key})
	for t, r := range rs {
		if n := len(r.path); n > 0 {
			last := r.path[n-1]
			if last.RefTable == unit && len(last.Columns) == 1 && slices.Equal(last.RefColumns, []string{key}) {
				rs[t] = route{path: r.path[:n-1], col: last.Columns[0]}
			}
		}
	}
	return rs
}

// joinCycle returns a cycle made of declared joins alone, if there is one.
func (g *graph) joinCycle() []Edge {
	var es []Edge
	for _, e := range g.joins {
		if e.Table != e.RefTable {
			es = append(es, e)
		}
	}
	for _, comp := range components(es) {
		if len(comp) > 1 {
			return cycleIn(comp, es)
		}
	}
	return nil
}

// order puts the owned tables parents first. Cycles of references are broken at nullable
// references (returned as deferred: a restore sets them once both rows exist); a cycle with
// none is an error naming it and the tables stuck behind it.
func order(first string, owned []string, g *graph) (ordered []string, deferred []Edge, err error) {
	in := map[string]bool{}
	for _, t := range owned {
		in[t] = true
	}
	var deps []Edge
	for _, e := range g.edges {
		if e.Table != e.RefTable && in[e.Table] && in[e.RefTable] {
			deps = append(deps, e)
		}
	}
	slices.SortFunc(deps, edgeOrder)
	// Drop nullable references inside cycles one at a time, while they still close one.
	for i := 0; i < len(deps); {
		e := deps[i]
		if g.nullable(e) && sameComponent(e, deps) {
			deferred = append(deferred, e)
			deps = slices.Delete(deps, i, i+1)
			continue
		}
		i++
	}
	for _, comp := range components(deps) {
		if len(comp) > 1 {
			cyc := cycleIn(comp, deps)
			stuck := downstream(comp, deps)
			msg := fmt.Sprintf("tenancy: cycle %s: none of its columns is nullable, so none of its tables can be restored first",
				edgeList(cyc))
			if len(stuck) > 0 {
				msg += fmt.Sprintf("; %s reachable only through it", strings.Join(stuck, ", "))
			}
			return nil, nil, fmt.Errorf("%s (make one of these columns nullable or drop a declared join): %w", msg, ErrCycle)
		}
	}
	// Kahn's algorithm, the tenant table first, then by name among the ready tables.
	parents := map[string]map[string]bool{}
	for _, e := range deps {
		if parents[e.Table] == nil {
			parents[e.Table] = map[string]bool{}
		}
		parents[e.Table][e.RefTable] = true
	}
	done := map[string]bool{}
	for len(ordered) < len(owned) {
		var ready []string
		for _, t := range owned {
			if done[t] {
				continue
			}
			ok := true
			for p := range parents[t] {
				ok = ok && done[p]
			}
			if ok {
				ready = append(ready, t)
			}
		}
		slices.SortFunc(ready, func(a, b string) int {
			return cmp.Or(-boolCmp(a == first, b == first), cmp.Compare(a, b))
		})
		// cannot be empty: deps is acyclic here
		done[ready[0]] = true
		ordered = append(ordered, ready[0])
	}
	return ordered, deferred, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// nullable says whether every referencing column of e may be NULL.
func (g *graph) nullable(e Edge) bool {
	t := g.cat.tables[e.Table]
	for _, c := range e.Columns {
		col, ok := t.Column(c)
		if !ok || !col.Nullable {
			return false
		}
	}
	return true
}

func sameComponent(e Edge, es []Edge) bool {
	for _, comp := range components(es) {
		if slices.Contains(comp, e.Table) && slices.Contains(comp, e.RefTable) {
			return true
		}
	}
	return false
}

// components are the strongly connected components of the graph of es (Tarjan), each sorted.
func components(es []Edge) [][]string {
	adj := map[string][]string{}
	var nodes []string
	for _, e := range es {
		adj[e.Table] = append(adj[e.Table], e.RefTable)
		nodes = append(nodes, e.Table, e.RefTable)
	}
	slices.Sort(nodes)
	nodes = slices.Compact(nodes)
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	var strong func(v string)
	strong = func(v string) {
		index[v] = len(index)
		low[v] = index[v]
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range adj[v] {
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			slices.Sort(comp)
			out = append(out, comp)
		}
	}
	for _, v := range nodes {
		if _, seen := index[v]; !seen {
			strong(v)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// cycleIn returns a shortest cycle through the first table of comp, a strongly connected
// component of es.
func cycleIn(comp []string, es []Edge) []Edge {
	in := map[string]bool{}
	for _, t := range comp {
		in[t] = true
	}
	start := comp[0]
	prev := map[string]Edge{}
	queue := []string{start}
	seen := map[string]bool{start: true}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, e := range es {
			if e.Table != v || !in[e.RefTable] {
				continue
			}
			if e.RefTable == start {
				cyc := []Edge{e}
				for w := v; w != start; w = prev[w].Table {
					cyc = append([]Edge{prev[w]}, cyc...)
				}
				return cyc
			}
			if !seen[e.RefTable] {
				seen[e.RefTable] = true
				prev[e.RefTable] = e
				queue = append(queue, e.RefTable)
			}
		}
	}
	return nil
}

// downstream lists the tables outside comp that reference it, directly or not.
func downstream(comp []string, es []Edge) []string {
	reached := map[string]bool{}
	for _, t := range comp {
		reached[t] = true
	}
	for changed := true; changed; {
		changed = false
		for _, e := range es {
			if reached[e.RefTable] && !reached[e.Table] {
				reached[e.Table] = true
				changed = true
			}
		}
	}
	var out []string
	for t := range reached {
		if !slices.Contains(comp, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

func edgeList(es []Edge) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
		if e.Declared {
			s[i] += " (declared)"
		}
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
