package legacycleanup_test

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
)

func TestParseGuardrails(t *testing.T) {
	cases := []struct {
		in   []string
		want legacycleanup.Guardrails
		err  string
	}{
		{nil, legacycleanup.Guardrails{}, ""},
		{[]string{"dry-run", "check-kind", "max-scope=5"}, legacycleanup.Guardrails{DryRun: true, CheckKind: true, MaxScope: 5}, ""},
		{[]string{"max-scope=0"}, legacycleanup.Guardrails{}, `guardrail "max-scope=0": max-scope needs a whole number of sites ≥ 1, e.g. max-scope=5`},
		{[]string{"max-scope=five"}, legacycleanup.Guardrails{}, `guardrail "max-scope=five": max-scope needs`},
		{[]string{"max-scope"}, legacycleanup.Guardrails{}, `unknown guardrail "max-scope": known guardrails are dry-run, check-kind, max-scope=N`},
		{[]string{"dry-run=yes"}, legacycleanup.Guardrails{}, `unknown guardrail "dry-run=yes"`},
		{[]string{"pray"}, legacycleanup.Guardrails{}, `unknown guardrail "pray"`},
	}
	for _, c := range cases {
		got, err := legacycleanup.ParseGuardrails(c.in)
		if c.err == "" && (err != nil || got != c.want) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseGuardrails(%q) = %+v, %v; want %+v, %q", c.in, got, err, c.want, c.err)
		}
	}
}

// TestGuardrailFlags checks that the flags Args writes are the ones Flags reads.
func TestGuardrailFlags(t *testing.T) {
	for _, g := range []legacycleanup.Guardrails{{}, {DryRun: true}, {CheckKind: true, MaxScope: 3}, {DryRun: true, CheckKind: true, MaxScope: 1}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var got legacycleanup.Guardrails
		got.Flags(fs)
		if err := fs.Parse(g.Args()); err != nil || got != g {
			t.Errorf("%+v: Args %q parsed back as %+v, %v", g, g.Args(), got, err)
		}
		if back, err := legacycleanup.ParseGuardrails(g.Names()); err != nil || back != g {
			t.Errorf("%+v: Names %q parsed back as %+v, %v", g, g.Names(), back, err)
		}
	}
	if n := (legacycleanup.Guardrails{CheckKind: true, MaxScope: 5}).Names(); !slices.Equal(n, []string{"check-kind", "max-scope=5"}) {
		t.Errorf("Names = %q", n)
	}
	if args := (legacycleanup.Guardrails{MaxScope: 2}).Args(); !slices.Equal(args, []string{"--max-scope", "2"}) {
		t.Errorf("Args = %q", args)
	}
	if err := (legacycleanup.Guardrails{MaxScope: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "--max-scope -1") {
		t.Errorf("Validate(-1) = %v", err)
	}
	for _, name := range []string{"dry-run", "check-kind", "max-scope"} {
		if err := legacycleanup.CheckGuardrailName(name); err != nil {
			t.Errorf("CheckGuardrailName(%q) = %v", name, err)
		}
	}
	if err := legacycleanup.CheckGuardrailName("max-scope=5"); err == nil || err.Error() != `unknown guardrail "max-scope=5": known guardrails are dry-run, check-kind, max-scope` {
		t.Errorf("CheckGuardrailName(max-scope=5) = %v", err)
	}
}
