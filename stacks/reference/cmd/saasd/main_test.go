package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunNeedsADatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	var out, errb bytes.Buffer
	err := run(nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("run without a database: %v", err)
	}
}

// TestServesWhileDatabaseDownAndStopsOnSIGTERM starts saasd against a port where nothing
// listens: it must serve /healthz with 503 and shut down cleanly on SIGTERM.
func TestServesWhileDatabaseDownAndStopsOnSIGTERM(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	t.Setenv("LISTEN_ADDR", addr)
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() { done <- run(nil, &out, &errb) }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var status int
	for ; status == 0; <-tick.C {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		} else if ctx.Err() != nil {
			t.Fatalf("saasd never answered on %s: %v", addr, err)
		}
	}
	if status != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with the database down: %d, want 503", status)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("saasd did not stop on SIGTERM")
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Fatalf("output: %s", out.String())
	}
}
