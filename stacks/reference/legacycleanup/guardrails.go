package legacycleanup

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// Guardrails are the script's switches that stop it before it changes anything. It is the one
// typed form of the guardrails as a drill writes them ("dry-run", "check-kind", "max-scope=N":
// ParseGuardrails), as the script's command line gives them (--dry-run, --check-kind,
// --max-scope N: Args and Flags, one the inverse of the other) and as Run applies them
// (Options.Guardrails). The zero value is the original script: every guardrail off.
type Guardrails struct {
	// DryRun prints the plan and changes nothing.
	DryRun bool
	// CheckKind refuses the run if any ID is not an installation of Options.AppKey.
	CheckKind bool
	// MaxScope, when positive, refuses the run if more than MaxScope sites would be affected: a
	// site is affected when it is removed (a site ID) or loses an app (an app ID). 0: no limit.
	MaxScope int
}

// The guardrails' names: as a drill writes them and as the script's flags are called.
const (
	GuardDryRun    = "dry-run"
	GuardCheckKind = "check-kind"
	GuardMaxScope  = "max-scope"
)

// guardrailForms lists the guardrails as a drill writes them, for error messages.
const guardrailForms = GuardDryRun + ", " + GuardCheckKind + ", " + GuardMaxScope + "=N"

// ParseGuardrails parses guardrails as a drill writes them, one a string: dry-run, check-kind,
// and max-scope=N with N a whole number of sites ≥ 1. The error names the string at fault and
// what is known.
func ParseGuardrails(list []string) (Guardrails, error) {
	var g Guardrails
	for _, s := range list {
		name, val, hasVal := strings.Cut(s, "=")
		switch {
		case name == GuardDryRun && !hasVal:
			g.DryRun = true
		case name == GuardCheckKind && !hasVal:
			g.CheckKind = true
		case name == GuardMaxScope && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return Guardrails{}, fmt.Errorf("guardrail %q: max-scope needs a whole number of sites ≥ 1, e.g. max-scope=5", s)
			}
			g.MaxScope = n
		default:
			return Guardrails{}, fmt.Errorf("unknown guardrail %q: known guardrails are %s", s, guardrailForms)
		}
	}
	return g, nil
}

// CheckGuardrailName says whether name is a guardrail (dry-run, check-kind, max-scope), named
// as a refusal names it: without a value.
func CheckGuardrailName(name string) error {
	switch name {
	case GuardDryRun, GuardCheckKind, GuardMaxScope:
		return nil
	}
	return fmt.Errorf("unknown guardrail %q: known guardrails are %s, %s, %s", name, GuardDryRun, GuardCheckKind, GuardMaxScope)
}

// Validate checks guardrails set by hand or from flags: MaxScope must not be negative.
func (g Guardrails) Validate() error {
	if g.MaxScope < 0 {
		return fmt.Errorf("--%s %d: want a number of sites, 1 or more (0: no limit)", GuardMaxScope, g.MaxScope)
	}
	return nil
}

// Names returns g as a drill writes it (see ParseGuardrails), in a fixed order.
func (g Guardrails) Names() []string {
	var out []string
	if g.DryRun {
		out = append(out, GuardDryRun)
	}
	if g.CheckKind {
		out = append(out, GuardCheckKind)
	}
	if g.MaxScope > 0 {
		out = append(out, GuardMaxScope+"="+strconv.Itoa(g.MaxScope))
	}
	return out
}

// Args returns g as the script's flags (see Flags).
func (g Guardrails) Args() []string {
	var args []string
	if g.DryRun {
		args = append(args, "--"+GuardDryRun)
	}
	if g.CheckKind {
		args = append(args, "--"+GuardCheckKind)
	}
	if g.MaxScope > 0 {
		args = append(args, "--"+GuardMaxScope, strconv.Itoa(g.MaxScope))
	}
	return args
}

// Flags defines the guardrails' flags on fs, parsed into g (see Args).
func (g *Guardrails) Flags(fs *flag.FlagSet) {
	fs.BoolVar(&g.DryRun, GuardDryRun, false, "print the blast radius and change nothing")
	fs.BoolVar(&g.CheckKind, GuardCheckKind, false, "refuse if any id is not an app id of --app-key")
	fs.IntVar(&g.MaxScope, GuardMaxScope, 0, "refuse if more than N sites would be affected (0: no limit)")
}
