package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/drdrill/drdrill/stackfile"
)

// cmdStack dispatches drdrill stack check|schema|init.
func cmdStack(ctx context.Context, args []string) error {
	return stackCommand(ctx, args, os.Stdout, os.Stderr)
}

func stackCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("stack: give a subcommand: check FILE..., schema, or init --dsn URL --tenant TABLE")
	}
	switch args[0] {
	case "check":
		return stackCheck(args[1:], stdout, stderr)
	case "schema":
		if len(args) > 1 {
			return usagef("stack schema takes no arguments")
		}
		_, err := stdout.Write(stackfile.Schema)
		return err
	case "init":
		return cmdStackInit(ctx, args[1:], stdout, stderr)
	}
	return usagef("stack: unknown subcommand %q: check, schema or init", args[0])
}

// stackCheck validates stack files without starting anything: every problem of every file,
// then exit status 2 if any was found.
func stackCheck(files []string, stdout, stderr io.Writer) error {
	if len(files) == 0 {
		return usagef("stack check: give one or more stack files")
	}
	var bad []error
	for _, f := range files {
		s, err := stackfile.Load(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = append(bad, err)
			continue
		}
		model := s.Tenancy.Model
		if model == "" {
			model = "foreign-keys"
		}
		fmt.Fprintf(stdout, "%s: ok (%s, tenancy %s, unit %s)\n", f, services(s), model, s.Tenancy.Unit.Table)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %d of %d stack files have problems (above)", errStackSilent, len(bad), len(files))
	}
	return nil
}

// errStackSilent is bad input already printed (exit status 2, no second copy of the problems).
var errStackSilent = fmt.Errorf("%w", stackfile.ErrInvalid)

func services(s *stackfile.Stack) string {
	if s.Compose != "" {
		return "services from " + s.Compose
	}
	return fmt.Sprintf("%d services", len(s.Services))
}
