// Command notesd serves the notes example stack's API (package notesd) over PostgreSQL.
//
// It is configured by the environment only: NOTES_DSN (the PostgreSQL URL, required; never
// logged) and NOTES_LISTEN (default :9090). It starts even when the database is down (/ready
// answers 503 until it is up) and stops gracefully on SIGTERM or SIGINT. It needs no file of
// the image it runs in, so it runs FROM scratch.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/drdrill/drdrill/stacks/notes/notesd"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("notesd stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	dsn := os.Getenv("NOTES_DSN")
	if dsn == "" {
		return errors.New("NOTES_DSN is not set: want the PostgreSQL URL (postgres://user:pw@host:5432/db)")
	}
	addr := os.Getenv("NOTES_LISTEN")
	if addr == "" {
		addr = ":9090"
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	pool, err := notesd.NewPool(ctx, dsn)
	if err != nil {
		return fmt.Errorf("NOTES_DSN: %w", err)
	}
	defer pool.Close()

	srv := &http.Server{
		Addr:              addr,
		Handler:           notesd.NewHandler(pool, notesd.Options{ErrorLog: log}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("notesd listening", "addr", addr)

	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", addr, err)
	case <-ctx.Done():
	}
	log.Info("notesd shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
