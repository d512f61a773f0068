// Command notes-purge is the notes stack's faulty maintenance script: it deletes the workspaces
// WORKSPACE_IDS names and, without the check-kind guardrail, takes every ID for a workspace's.
// See package purge for its inputs (environment only) and its exit codes (purge.Exit*).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drdrill/drdrill/stacks/notes/purge"
)

func main() {
	os.Exit(run())
}

func run() int {
	opts, err := purge.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notes-purge: %v\n", err)
		return purge.ExitCode(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// An empty string makes pgx read libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
	// PGDATABASE); its errors may quote them, so they are not printed.
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		fmt.Fprintln(os.Stderr, "notes-purge: bad connection settings in PGHOST, PGPORT, PGUSER, PGPASSWORD or PGDATABASE")
		return purge.ExitBadInput
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "notes-purge"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notes-purge: connect to %s:%d/%s as %s: %v\n", cfg.Host, cfg.Port, cfg.Database, cfg.User, err)
		return purge.ExitError
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if err := purge.Run(ctx, conn, opts, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "notes-purge: %v\n", err)
		return purge.ExitCode(err)
	}
	return purge.ExitDone
}
