package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestStackCheck: good files print ok and exit 0; a bad or missing one exits 2 with its
// problems as FILE:LINE:COL, the good ones still checked.
func TestStackCheck(t *testing.T) {
	good := "../../stacks/reference/stack.yaml"
	bad := "../../stackfile/testdata/malformed/join-cycle.yaml"
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"good", []string{"stack", "check", good}, 0, good + ": ok (2 services, tenancy foreign-keys, unit sites)", ""},
		{"bad", []string{"stack", "check", good, bad}, 2, good + ": ok", bad + ":19:7: declared joins form a cycle"},
		{"missing", []string{"stack", "check", "nope.yaml"}, 2, "", "nope.yaml"},
		{"no files", []string{"stack", "check"}, 2, "", "give one or more stack files"},
		{"unknown subcommand", []string{"stack", "lint"}, 2, "", `unknown subcommand "lint"`},
		{"schema", []string{"stack", "schema"}, 0, `"$schema": "http://json-schema.org/draft-07/schema#"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := stackCommand(context.Background(), tc.args[1:], &stdout, &stderr)
			code := exitCode(err, "stack", &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
		})
	}
}
