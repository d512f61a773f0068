package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drdrill/drdrill/internal/pgtest"
	"github.com/drdrill/drdrill/stackfile"
)

// TestStackInit introspects a real database holding the reference schema: the draft names the
// tenancy the schema has, and every bad input is a usage error that names what to give.
func TestStackInit(t *testing.T) {
	if testing.Short() {
		t.Skip("real container")
	}
	db := pgtest.Start(t, pgtest.Options{})
	db.Migrate(t)
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "dsn")
	if err := os.WriteFile(dsnFile, []byte(db.DSN()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("reference schema", func(t *testing.T) {
		out := filepath.Join(dir, "stack.yaml")
		var stdout, stderr bytes.Buffer
		if err := cmdStackInit(ctx, []string{"--dsn-file", dsnFile, "--tenant", "tenants", "--unit", "sites", "--out", out}, &stdout, &stderr); err != nil {
			t.Fatalf("err = %v\n%s", err, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"apiVersion: drdrill/v1",
			"tenant: {table: tenants, key: id}",
			"unit: {table: sites, key: id, tenantColumn: tenant_id}",
			"softDelete: deleted_at",
		} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("draft lacks %q:\n%s", want, b)
			}
		}
		// The draft is a stack file whose only problems are its TODOs: what the user must fill in.
		_, err = stackfile.Parse(out, b)
		var e *stackfile.Error
		if !errors.As(err, &e) {
			t.Fatalf("draft: err = %v, want the TODOs as problems", err)
		}
		lines := strings.Split(string(b), "\n")
		for _, p := range e.Problems {
			if !strings.Contains(lines[p.Line-1], "TODO") {
				t.Errorf("draft line %d %q: problem %q is not a TODO left to the user", p.Line, lines[p.Line-1], p.Msg)
			}
		}
		if !strings.Contains(stderr.String(), "6 tables owned by tenants") {
			t.Errorf("stderr = %q, want the count of the reference schema's 6 tables", stderr.String())
		}
		// A second run must not overwrite the file the user may have edited.
		err = cmdStackInit(ctx, []string{"--dsn-file", dsnFile, "--tenant", "tenants", "--out", out}, &stdout, &stderr)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "exists") {
			t.Errorf("second run: err = %v, want a refusal to overwrite", err)
		}
	})

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no dsn", []string{"--tenant", "tenants"}, "--dsn"},
		{"no tenant", []string{"--dsn-file", dsnFile}, "--tenant TABLE is required"},
		{"unknown tenant table", []string{"--dsn-file", dsnFile, "--tenant", "customers"}, "customers"},
		{"unit not owned", []string{"--dsn-file", dsnFile, "--tenant", "sites", "--unit", "tenants"}, "tenants"},
		{"bad join", []string{"--dsn-file", dsnFile, "--tenant", "tenants", "--join", "records.site_id"}, "TABLE.COLUMN=TABLE.COLUMN"},
		{"join to a missing column", []string{"--dsn-file", dsnFile, "--tenant", "tenants", "--join", "records.nope=sites.id"}, "nope"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := cmdStackInit(ctx, tc.args, &stdout, &stderr)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error naming %q", err, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("wrote a draft on bad input:\n%s", stdout.String())
			}
		})
	}
}
