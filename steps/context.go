package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drdrill/drdrill/drill"
)

// Scenario state travels in the context under unexported keys, one per value.
type (
	drillKey    struct{}
	checkKey    struct{}
	scenarioKey struct{}
	sourceKey   struct{}
)

func withDrill(ctx context.Context, d *drill.Drill) context.Context {
	return context.WithValue(ctx, drillKey{}, d)
}

// drillFrom returns the scenario's drill. Every scenario has one from its Before hook on, so
// a missing drill is a bug in the hooks, reported as such.
func drillFrom(ctx context.Context) (*drill.Drill, error) {
	d, ok := ctx.Value(drillKey{}).(*drill.Drill)
	if !ok || d == nil {
		return nil, errors.New("steps: no drill in the scenario's context (Before hook did not run)")
	}
	return d, nil
}

func withCheck(ctx context.Context) context.Context { return context.WithValue(ctx, checkKey{}, true) }

// checking reports whether this is a check run: arguments are validated, nothing starts.
func checking(ctx context.Context) bool { v, _ := ctx.Value(checkKey{}).(bool); return v }

func withScenario(ctx context.Context, s *Scenario) context.Context {
	return context.WithValue(ctx, scenarioKey{}, s)
}

func scenarioFrom(ctx context.Context) *Scenario {
	s, _ := ctx.Value(scenarioKey{}).(*Scenario)
	return s
}

func withSource(ctx context.Context, src Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, src)
}

func sourceFrom(ctx context.Context) Source { s, _ := ctx.Value(sourceKey{}).(Source); return s }

// Source is where a step is written: file, line, and the lines of its table rows.
type Source struct {
	File string
	Line int
	Rows []int // line of each data table row, header included
	// Example is the line of the Examples row a Scenario Outline's step was made from (0:
	// not an outline): the value that is wrong is written there, not on the step's line.
	Example int
}

func (s Source) String() string {
	switch {
	case s.File == "":
		return "(unknown source)"
	case s.Example > 0:
		return fmt.Sprintf("%s:%d (Examples row of the step at line %d)", s.File, s.Example, s.Line)
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Row returns the source of table row i (0 = header), or the step's own when unknown.
func (s Source) Row(i int) Source {
	if i >= 0 && i < len(s.Rows) {
		return Source{File: s.File, Line: s.Rows[i]}
	}
	return Source{File: s.File, Line: s.Line}
}

// inputError is a step argument that cannot be used as written. Its message starts with the
// file and line of the step, so that a user sees where to fix it.
type inputError struct {
	src Source
	err error
}

func (e *inputError) Error() string {
	msg := e.err.Error()
	if e.src.File != "" && strings.HasPrefix(msg, e.src.File+":") {
		return msg // the parser named the exact line already (a table row)
	}
	return e.src.String() + ": " + msg
}

func (e *inputError) Unwrap() error { return e.err }

// bad marks err as bad input at the current step.
func bad(ctx context.Context, err error) error { return &inputError{src: sourceFrom(ctx), err: err} }

// badf is bad with a formatted message.
func badf(ctx context.Context, format string, args ...any) error {
	return bad(ctx, fmt.Errorf(format, args...))
}
