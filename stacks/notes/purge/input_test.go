package purge

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestParseIDs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []int64
		bad  bool
	}{
		{"commas", "1,2,3", []int64{1, 2, 3}, false},
		{"spaces and newlines", "1 2\n3\r\n\t4", []int64{1, 2, 3, 4}, false},
		{"mixed with empty items", ",1,, 2 ,\n", []int64{1, 2}, false},
		{"repeat kept once at first place", "3,1,3,2,1", []int64{3, 1, 2}, false},
		{"largest int64", "9223372036854775807", []int64{9223372036854775807}, false},
		{"empty", "", nil, true},
		{"only separators", " ,\n, ", nil, true},
		{"not an integer", "1,abc", nil, true},
		{"negative", "-4", nil, true},
		{"zero", "0", nil, true},
		{"plus sign", "+5", nil, true},
		{"out of range", "9223372036854775808", nil, true},
		{"semicolon is no separator", "1;2", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDs(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrBadInput) {
					t.Fatalf("ParseIDs(%q) = %v, %v; want ErrBadInput", tt.in, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseIDs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		bad  bool
	}{
		{"", ModePurge, false},
		{"purge", ModePurge, false},
		{"mark", ModeMark, false},
		{" mark\n", ModeMark, false},
		{"MARK", "", true},
		{"delete", "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got, err := ParseMode(tt.in)
			if tt.bad != errors.Is(err, ErrBadInput) || got != tt.want {
				t.Fatalf("ParseMode(%q) = %q, %v; want %q, bad %v", tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestParseGuardrails(t *testing.T) {
	tests := []struct {
		in   string
		want Guardrails
		bad  bool
	}{
		{"", Guardrails{}, false},
		{" , ", Guardrails{}, false},
		{"dry-run", Guardrails{DryRun: true}, false},
		{"check-kind", Guardrails{CheckKind: true}, false},
		{"max-scope=5", Guardrails{MaxScope: 5}, false},
		{"dry-run, check-kind,max-scope=12", Guardrails{DryRun: true, CheckKind: true, MaxScope: 12}, false},
		{"max-scope=0", Guardrails{}, true},
		{"max-scope=-1", Guardrails{}, true},
		{"max-scope=x", Guardrails{}, true},
		{"max-scope", Guardrails{}, true},
		{"dry-run=1", Guardrails{}, true},
		{"paranoid", Guardrails{}, true},
		{"dry-run;check-kind", Guardrails{}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got, err := ParseGuardrails(tt.in)
			if tt.bad != errors.Is(err, ErrBadInput) || got != tt.want {
				t.Fatalf("ParseGuardrails(%q) = %+v, %v; want %+v, bad %v", tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestGuardrailsStringRoundTrip(t *testing.T) {
	for _, g := range []Guardrails{{DryRun: true}, {CheckKind: true, MaxScope: 3}, {DryRun: true, CheckKind: true, MaxScope: 1}} {
		got, err := ParseGuardrails(g.String())
		if err != nil || got != g {
			t.Errorf("ParseGuardrails(%q) = %+v, %v; want %+v", g.String(), got, err, g)
		}
	}
	if s := (Guardrails{}).String(); s != "none" {
		t.Errorf("zero Guardrails = %q, want none", s)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Options
		code int
	}{
		{"defaults", map[string]string{EnvIDs: "7,8"}, Options{IDs: []int64{7, 8}, Mode: ModePurge, Batch: BatchSize}, ExitDone},
		{"all set", map[string]string{EnvIDs: "7\n8", EnvMode: "mark", EnvGuardrails: "check-kind,max-scope=2"},
			Options{IDs: []int64{7, 8}, Mode: ModeMark, Guardrails: Guardrails{CheckKind: true, MaxScope: 2}, Batch: BatchSize}, ExitDone},
		{"no ids", map[string]string{EnvMode: "mark"}, Options{}, ExitBadInput},
		{"bad mode", map[string]string{EnvIDs: "1", EnvMode: "wipe"}, Options{}, ExitBadInput},
		{"bad guardrail", map[string]string{EnvIDs: "1", EnvGuardrails: "max-scope=none"}, Options{}, ExitBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(func(k string) string { return tt.env[k] })
			if code := ExitCode(err); code != tt.code || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FromEnv = %+v, %v (exit %d); want %+v, exit %d", got, err, code, tt.want, tt.code)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitDone},
		{errors.New("connection reset"), ExitError},
		{fmt.Errorf("x: %w", ErrBadInput), ExitBadInput},
		{fmt.Errorf("%w check-kind: 1 of 2 ids are not workspaces", ErrRefused), ExitRefused},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
