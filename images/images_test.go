package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/drdrill/drdrill/internal/prereq"
)

func TestHashParts(t *testing.T) {
	tests := []struct {
		name string
		a, b [][]byte
		same bool
	}{
		{"equal parts", [][]byte{[]byte("x"), []byte("y")}, [][]byte{[]byte("x"), []byte("y")}, true},
		{"bytes moved between parts", [][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("a"), []byte("bc")}, false},
		{"one byte differs", [][]byte{[]byte("rootfs"), []byte("v1")}, [][]byte{[]byte("rootfs"), []byte("v2")}, false},
		{"route differs", [][]byte{[]byte("rootfs"), []byte("s")}, [][]byte{[]byte("dockerfile"), []byte("s")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hashParts(tt.a...) == hashParts(tt.b...); got != tt.same {
				t.Errorf("same hash = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestGoArch(t *testing.T) {
	for engine, want := range map[string]string{"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "riscv64": "fallback"} {
		if got := goArch(engine, "fallback"); got != want {
			t.Errorf("goArch(%q) = %q, want %q", engine, got, want)
		}
	}
}

// TestEnsureAppIdempotent builds the Go image from a throwaway module under a throwaway tag:
// the first Ensure builds, the second changes nothing, a source change rebuilds.
func TestEnsureAppIdempotent(t *testing.T) {
	prereq.RealContainers(t)
	ctx := context.Background()
	c, err := Connect(ctx)
	if err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	src := fakeModule(t, "v1")
	tag := fmt.Sprintf("drdrill-test/saasd:%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = c.RemoveImageExtended(tag, dc.RemoveImageOptions{Force: true}) })
	opts := Options{SourceDir: src, AppTag: tag, Only: []string{tag}}

	st := status1(t, ctx, opts)
	if st.Present || st.UpToDate || st.Problem == "" {
		t.Fatalf("before build: %+v, want missing with a problem line", st)
	}
	var log bytes.Buffer
	opts.Progress = &log
	if err := Ensure(ctx, opts); err != nil {
		t.Fatal(err)
	}
	first := status1(t, ctx, opts)
	if !first.UpToDate || first.Size == 0 {
		t.Fatalf("after build: %+v, want up to date\n%s", first, log.String())
	}
	img, err := c.InspectImage(tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Config.Cmd; len(got) != 1 || got[0] != "/saasd" {
		t.Errorf("Cmd = %v, want [/saasd]", got)
	}
	if err := Ensure(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if again := status1(t, ctx, opts); again.ID != first.ID {
		t.Errorf("second Ensure rebuilt: %s -> %s", first.ID, again.ID)
	}

	writeMain(t, src, "saasd", "v2")
	if st := status1(t, ctx, opts); st.UpToDate {
		t.Fatalf("after a source change: %+v, want out of date", st)
	}
	if err := Ensure(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if changed := status1(t, ctx, opts); changed.ID == first.ID || !changed.UpToDate {
		t.Errorf("after a source change: %+v, want a new up-to-date image (old %s)", changed, first.ID)
	}
	if _, err := c.InspectImage(first.ID); !errors.Is(err, dc.ErrNoSuchImage) {
		t.Errorf("replaced image %s still present (err %v)", first.ID, err)
	}
}

// TestStatusPostgres checks that the real Postgres image is seen; it does not rebuild it.
func TestStatusPostgres(t *testing.T) {
	prereq.RealContainers(t)
	ctx := context.Background()
	if _, err := Connect(ctx); err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	sts, err := Status(ctx, Options{SourceDir: "..", Only: []string{Postgres}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].Name != Postgres {
		t.Fatalf("Status = %+v, want one entry for %s", sts, Postgres)
	}
	if !sts[0].Present {
		prereq.Missing(t, prereq.Docker, "%s not built on this engine: %s (run `make images`)", Postgres, sts[0].Problem)
	}
	if sts[0].Size < 100e6 {
		t.Errorf("%s size %d, want > 100 MB", Postgres, sts[0].Size)
	}
	if !sts[0].UpToDate && sts[0].Problem == "" {
		t.Errorf("out of date without a problem line: %+v", sts[0])
	}
}

func TestConnectUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := Connect(context.Background())
	if !errors.Is(err, ErrDockerUnreachable) {
		t.Fatalf("err = %v, want ErrDockerUnreachable", err)
	}
}

func status1(t *testing.T, ctx context.Context, opts Options) ImageStatus {
	t.Helper()
	opts.Progress = nil
	sts, err := Status(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 {
		t.Fatalf("Status = %+v, want one image", sts)
	}
	return sts[0]
}

// fakeModule is a module with tiny mains in place of the real commands and the real Dockerfile.
func fakeModule(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/fake\n\ngo 1.26\n"), 0o644))
	df, err := os.ReadFile(filepath.Join("saasd", "Dockerfile"))
	must(t, err)
	must(t, os.MkdirAll(filepath.Join(dir, "images", "saasd"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "images", "saasd", "Dockerfile"), df, 0o644))
	for _, bin := range appBinaries {
		writeMain(t, dir, bin, version)
	}
	return dir
}

func writeMain(t *testing.T, dir, bin, version string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(dir, ReferenceCmd, bin), 0o755))
	src := fmt.Sprintf("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(%q) }\n", bin+" "+version)
	must(t, os.WriteFile(filepath.Join(dir, ReferenceCmd, bin, "main.go"), []byte(src), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresImageTools runs the built Postgres image and checks the contract both routes
// promise: the server and backup tools on PATH (pgBackRest among them), run as postgres, with
// the repository directory its own.
func TestPostgresImageTools(t *testing.T) {
	prereq.RealContainers(t)
	ctx := t.Context()
	c, err := Connect(ctx)
	if err != nil {
		prereq.Missing(t, prereq.Docker, "no Docker engine: %v", err)
	}
	if _, err := c.InspectImage(Postgres); err != nil {
		prereq.Missing(t, prereq.Docker, "%s missing: run `make images`", Postgres)
	}
	ctr, err := c.CreateContainer(dc.CreateContainerOptions{
		Context: ctx,
		Config: &dc.Config{
			Image:  Postgres,
			Cmd:    []string{"sh", "-c", "pgbackrest version && pg_basebackup --version && postgres --version && id -un && stat -c '%U %a' /var/lib/pgbackrest /etc/pgbackrest"},
			Labels: map[string]string{"drdrill.run": "images-test-tools"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveContainer(dc.RemoveContainerOptions{ID: ctr.ID, Force: true}) })
	if err := c.StartContainerWithContext(ctr.ID, nil, ctx); err != nil {
		t.Fatal(err)
	}
	code, err := c.WaitContainerWithContext(ctr.ID, ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.Logs(dc.LogsOptions{Context: ctx, Container: ctr.ID, OutputStream: &out, ErrorStream: &out, Stdout: true, Stderr: true}); err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("tools check exited %d:\n%s", code, out.String())
	}
	for _, want := range []string{"pgBackRest 2.", "pg_basebackup (PostgreSQL) 15.", "postgres (PostgreSQL) 15.", "\npostgres\n", "postgres 750", "postgres 755"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("image output lacks %q:\n%s", want, out.String())
		}
	}
}
