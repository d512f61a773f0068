package main

import (
	"bytes"
	"cmp"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/internal/prereq"
)

// TestDockerHostIsHonoured runs a drill with DOCKER_HOST pointing at a socket of the test's
// own, which relays to the real engine and counts the containers created through it: every
// Docker client drdrill uses (testcontainers for the services, dockertest for the one-shot
// jobs, go-dockerclient for images and cleanup) must go through DOCKER_HOST, so the relay
// must see the db, the app and the jobs created, and the drill must pass.
func TestDockerHostIsHonoured(t *testing.T) {
	needDocker(t)
	drills <- struct{}{}
	defer func() { <-drills }()

	engine := strings.TrimPrefix(cmp.Or(os.Getenv("DOCKER_HOST"), "unix:///var/run/docker.sock"), "unix://")
	if _, err := os.Stat(engine); err != nil {
		prereq.Missing(t, prereq.Docker, "engine is not on a local unix socket (%s): %v", engine, err)
	}
	// Unix socket paths are limited to ~100 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "dh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	relay := &relay{engine: engine}
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go relay.serve(ln)

	group := newGroup("dockerhost")
	code, out, pid := runCLI(t, []string{"DOCKER_HOST=unix://" + sock}, "run", "--group", group, "--out", t.TempDir(), smallDrill)
	if code != 0 {
		t.Fatalf("drill through DOCKER_HOST: exit %d\n%s", code, out)
	}
	creates := relay.creates()
	t.Logf("containers created through DOCKER_HOST: %d", creates)
	// db and app (testcontainers), the faulty script and the restore's data copy (dockertest
	// jobs): 4. A client that ignored DOCKER_HOST would leave 2.
	if creates < 4 {
		t.Errorf("only %d containers were created through DOCKER_HOST: some client ignores it\n%s", creates, out)
	}
	if left := leftovers(t, pid); len(left) > 0 {
		t.Errorf("process %d left %v", pid, left)
	}
	if n, err := groupRemaining(t.Context(), group); err != nil || n != 0 {
		t.Errorf("group %s: %d resources remain (err %v)", group, n, err)
	}
}

// relay forwards connections on a unix socket to the engine's and counts container-create
// requests in the client's bytes (the API is plain HTTP/1.1 on the socket).
type relay struct {
	engine string
	mu     sync.Mutex
	n      int
}

func (r *relay) creates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *relay) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			e, err := net.DialTimeout("unix", r.engine, 10*time.Second)
			if err != nil {
				return
			}
			defer e.Close()
			go func() { io.Copy(c, e); c.Close() }()
			io.Copy(&counter{w: e, r: r}, c)
		}()
	}
}

// counter passes bytes on and counts "POST /…/containers/create" request lines in them. A
// request line split across two writes is missed; writes of a request line are whole in
// practice (the clients write the header in one go).
type counter struct {
	w io.Writer
	r *relay
}

func (c *counter) Write(b []byte) (int, error) {
	for _, line := range bytes.Split(b, []byte("\r\n")) {
		if bytes.HasPrefix(line, []byte("POST ")) && bytes.Contains(line, []byte("/containers/create")) {
			c.r.mu.Lock()
			c.r.n++
			c.r.mu.Unlock()
		}
	}
	return c.w.Write(b)
}
