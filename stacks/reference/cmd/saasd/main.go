// Command saasd serves the reference multi-tenant SaaS API (package saas) over PostgreSQL.
//
//	saasd [-database-url URL] [-listen ADDR] [-access-log] [-migrate]
//
// Flags fall back to the environment: DATABASE_URL, LISTEN_ADDR (default :8080), ACCESS_LOG=1.
// SAASD_ADMIN_TOKEN (environment only) enables the destructive routes for holders of the token.
// It starts even when the database is down (/healthz answers 503 until it is up) and stops
// gracefully on SIGTERM or SIGINT: in-flight requests finish, then the pool closes. It needs no
// file of the image it runs in, so it runs FROM scratch.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/stacks/reference/saas"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "saasd:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("saasd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	addr := fs.String("listen", envOr("LISTEN_ADDR", ":8080"), "listen address (env LISTEN_ADDR)")
	accessLog := fs.Bool("access-log", envOr("ACCESS_LOG", "") == "1", "log every request to stdout (env ACCESS_LOG=1)")
	migrate := fs.Bool("migrate", false, "create the schema first if the database has no tenants table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("no database: set -database-url or DATABASE_URL (postgres://user:pw@host:5432/db)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	pool, err := saas.NewPool(ctx, *dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *migrate {
		if err := migrateIfEmpty(ctx, pool); err != nil {
			return err
		}
	}

	// The admin token comes from the environment only: a flag would show it in ps.
	opts := saas.Options{AdminToken: os.Getenv("SAASD_ADMIN_TOKEN"), ErrorLog: stderr}
	if *accessLog {
		opts.AccessLog = stdout
	}
	// Timeouts bound what a slow or stuck client holds: a request's body is at most 1 MiB and
	// its database work at most the handler's QueryTimeout (5s), so 30s to write is generous.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           saas.NewHandler(pool, opts),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(stdout, "saasd listening on %s\n", *addr)

	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", *addr, err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "saasd shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// migrateIfEmpty creates the schema when the tenants table is absent, waiting up to a minute for
// the database to answer (it may be starting next to us).
func migrateIfEmpty(ctx context.Context, pool *pgxpool.Pool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		var exists bool
		err := pool.QueryRow(ctx, "SELECT to_regclass('public.tenants') IS NOT NULL").Scan(&exists)
		if err == nil {
			if exists {
				return nil
			}
			return saas.Migrate(ctx, pool)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: database did not answer: %w", err)
		case <-tick.C:
		}
	}
}
