package purge

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Exit codes of notes-purge; stack.yaml declares ExitRefused as the refusal.
const (
	ExitDone     = 0 // done, or a dry run
	ExitError    = 1 // the database failed (batches before the failing one stay committed)
	ExitBadInput = 2 // a bad ID, mode or guardrail: nothing changed
	ExitRefused  = 3 // a guardrail refused: nothing changed
)

// ErrBadInput marks errors in what the operator gave.
var ErrBadInput = errors.New("bad input")

// ErrRefused marks a run a guardrail stopped before anything changed.
var ErrRefused = errors.New("refused by guardrail")

// ExitCode maps an error of FromEnv or Run to the script's exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitDone
	case errors.Is(err, ErrRefused):
		return ExitRefused
	case errors.Is(err, ErrBadInput):
		return ExitBadInput
	default:
		return ExitError
	}
}

// The environment variables the script reads (besides libpq's).
const (
	EnvIDs        = "WORKSPACE_IDS"
	EnvMode       = "DRDRILL_MODE"
	EnvGuardrails = "DRDRILL_GUARDRAILS"
)

// Mode is what the script does to a workspace.
type Mode string

// The modes. ModePurge is the default.
const (
	ModeMark  Mode = "mark"  // set deleted_at: reversible
	ModePurge Mode = "purge" // delete the rows
)

// The guardrails' names, as DRDRILL_GUARDRAILS gives them.
const (
	GuardDryRun    = "dry-run"
	GuardCheckKind = "check-kind"
	GuardMaxScope  = "max-scope"
)

// BatchSize is how many IDs one transaction handles.
const BatchSize = 50

// Guardrails are the switches that stop the script before it changes anything. The zero
// value is the original script: every guardrail off.
type Guardrails struct {
	DryRun    bool // print the plan, change nothing
	CheckKind bool // refuse if any ID is not a workspace's
	MaxScope  int  // when positive, refuse if more workspaces would be affected
}

// Options are the script's parsed inputs.
type Options struct {
	IDs        []int64
	Mode       Mode
	Guardrails Guardrails
	// Batch is the number of IDs per transaction; 0 means BatchSize.
	Batch int
}

// FromEnv reads the script's inputs through getenv (os.Getenv in the command). Its errors
// wrap ErrBadInput and name the variable at fault.
func FromEnv(getenv func(string) string) (Options, error) {
	ids, err := ParseIDs(getenv(EnvIDs))
	if err != nil {
		return Options{}, fmt.Errorf("%s: %w", EnvIDs, err)
	}
	mode, err := ParseMode(getenv(EnvMode))
	if err != nil {
		return Options{}, fmt.Errorf("%s: %w", EnvMode, err)
	}
	g, err := ParseGuardrails(getenv(EnvGuardrails))
	if err != nil {
		return Options{}, fmt.Errorf("%s: %w", EnvGuardrails, err)
	}
	return Options{IDs: ids, Mode: mode, Guardrails: g, Batch: BatchSize}, nil
}

// ParseIDs reads a list of positive integer IDs separated by commas and white space (spaces,
// tabs, newlines). An ID repeated is kept once, at its first place. An empty list is bad input.
func ParseIDs(s string) ([]int64, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no ids (want workspace ids separated by commas, spaces or newlines)", ErrBadInput)
	}
	ids := make([]int64, 0, len(fields))
	seen := make(map[int64]bool, len(fields))
	for i, f := range fields {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id < 1 || f[0] == '+' {
			return nil, fmt.Errorf("%w: id %d %q: not a positive integer", ErrBadInput, i+1, f)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ParseMode reads a mode; empty means ModePurge.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.TrimSpace(s)); m {
	case "":
		return ModePurge, nil
	case ModeMark, ModePurge:
		return m, nil
	default:
		return "", fmt.Errorf("%w: unknown mode %q: want %s or %s", ErrBadInput, s, ModeMark, ModePurge)
	}
}

// ParseGuardrails reads a comma-separated list of guardrails: dry-run, check-kind and
// max-scope=N with N a whole number of workspaces ≥ 1. Empty items are ignored, so an empty
// list is every guardrail off.
func ParseGuardrails(s string) (Guardrails, error) {
	var g Guardrails
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, val, hasVal := strings.Cut(item, "=")
		switch {
		case item == "":
		case name == GuardDryRun && !hasVal:
			g.DryRun = true
		case name == GuardCheckKind && !hasVal:
			g.CheckKind = true
		case name == GuardMaxScope && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return Guardrails{}, fmt.Errorf("%w: guardrail %q: max-scope needs a whole number of workspaces ≥ 1, e.g. max-scope=5", ErrBadInput, item)
			}
			g.MaxScope = n
		default:
			return Guardrails{}, fmt.Errorf("%w: unknown guardrail %q: known guardrails are %s, %s, %s=N",
				ErrBadInput, item, GuardDryRun, GuardCheckKind, GuardMaxScope)
		}
	}
	return g, nil
}
