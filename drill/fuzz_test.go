package drill

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzIncidentSpec checks the validation of the incident step's arguments (mode, ID kind,
// guardrails as the feature writes them): whatever the text, Validate either refuses it with
// a message naming the value, or accepts only modes, kinds and guardrails the drill knows.
func FuzzIncidentSpec(f *testing.F) {
	for _, s := range []struct{ mode, kind, guards string }{
		{"purge", "site", ""}, {"mark", "app", "dry-run"}, {"purge", "site", "max-scope=5,check-kind"},
		{"shred", "site", ""}, {"purge", "tenant", ""}, {"purge", "site", "max-scope=0"},
		{"purge", "site", "max-scope=x"}, {"purge", "site", "dry-run=1"}, {"mark", "app", "max-scope"},
	} {
		f.Add(s.mode, s.kind, s.guards)
	}
	f.Fuzz(func(t *testing.T, mode, kind, guards string) {
		spec := IncidentSpec{Mode: mode, IDKind: kind}
		for _, g := range strings.Split(guards, ",") {
			if g = strings.TrimSpace(g); g != "" {
				spec.Guardrails = append(spec.Guardrails, g)
			}
		}
		err := spec.Validate()
		if err != nil {
			msg := err.Error()
			named := strings.Contains(msg, strconv.Quote(mode)) || strings.Contains(msg, strconv.Quote(kind))
			for _, g := range spec.Guardrails {
				named = named || strings.Contains(msg, strconv.Quote(g))
			}
			if !named {
				t.Fatalf("%+v: error %q does not name the bad value", spec, msg)
			}
			return
		}
		if mode != "mark" && mode != "purge" || kind != "app" && kind != "site" {
			t.Fatalf("accepted mode %q, kind %q", mode, kind)
		}
		for _, g := range spec.Guardrails {
			name, val, _ := strings.Cut(g, "=")
			switch name {
			case "dry-run", "check-kind":
				if g != name {
					t.Fatalf("accepted guardrail %q", g)
				}
			case "max-scope":
				// phases.go reads the number with Atoi and ignores the error: it must parse.
				if n, err := strconv.Atoi(val); err != nil || n < 1 {
					t.Fatalf("accepted guardrail %q", g)
				}
			default:
				t.Fatalf("accepted guardrail %q", g)
			}
		}
	})
}
