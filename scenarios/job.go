package scenarios

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// job is a one-shot container: created, given its files, started, waited for, logged, removed.
// The machine running drdrill may itself be a container, so files go in through the Docker API
// (a tar upload), never through a bind mount of a host path.
type job struct {
	Name    string // for errors
	Image   string
	Cmd     []string
	User    string
	Network string            // joined by name; "" = default bridge
	Labels  map[string]string // the run's labels
	Volumes map[string]string // docker volume name → mount path
	Files   map[string][]byte // absolute path → content, uploaded before start
	Env     []string          // NAME=value
}

// jobResult is what a finished job left behind.
type jobResult struct {
	Started  time.Time // harness clock, immediately before the start request
	Duration time.Duration
	ExitCode int
	Log      string
}

// newPool connects to the Docker engine the way testcontainers does (DOCKER_HOST or the socket).
func newPool() (*dockertest.Pool, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, fmt.Errorf("connect to docker: %w", err)
	}
	return pool, nil
}

// run runs the job to its exit. The container is removed even when ctx is cancelled; a
// cancelled ctx kills the job and returns ctx's error.
func (j job) run(ctx context.Context, pool *dockertest.Pool) (jobResult, error) {
	var res jobResult
	cfg := &dc.Config{Image: j.Image, Cmd: j.Cmd, User: j.User, Labels: j.Labels, Env: j.Env}
	host := &dc.HostConfig{NetworkMode: j.Network}
	for vol, mnt := range j.Volumes {
		host.Mounts = append(host.Mounts, dc.HostMount{Type: "volume", Source: vol, Target: mnt})
	}
	// Create is not cancelled with ctx: a create cancelled in flight is still completed by the
	// engine, after the run's sweep, and its container is left behind (found by the SIGINT
	// tests of cmd/drdrill). Create, register the removal, then honour ctx.
	createCtx, cancelCreate := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	c, err := pool.Client.CreateContainer(dc.CreateContainerOptions{Config: cfg, HostConfig: host, Context: createCtx})
	cancelCreate()
	if err != nil {
		return res, fmt.Errorf("%s: create container from %s: %w", j.Name, j.Image, err)
	}
	defer func() {
		// Removal must happen even when the drill is being cancelled.
		rm := context.WithoutCancel(ctx)
		rm, cancel := context.WithTimeout(rm, 30*time.Second)
		defer cancel()
		_ = pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: c.ID, Force: true, RemoveVolumes: true, Context: rm})
	}()
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%s: %w", j.Name, err)
	}

	if len(j.Files) > 0 {
		tarball, err := tarFiles(j.Files)
		if err != nil {
			return res, fmt.Errorf("%s: %w", j.Name, err)
		}
		if err := pool.Client.UploadToContainer(c.ID, dc.UploadToContainerOptions{InputStream: tarball, Path: "/", Context: ctx}); err != nil {
			return res, fmt.Errorf("%s: upload files: %w", j.Name, err)
		}
	}

	res.Started = time.Now()
	if err := pool.Client.StartContainerWithContext(c.ID, nil, ctx); err != nil {
		return res, fmt.Errorf("%s: start: %w", j.Name, err)
	}
	code, err := pool.Client.WaitContainerWithContext(c.ID, ctx)
	res.Duration = time.Since(res.Started)
	res.ExitCode = code
	var log bytes.Buffer
	logCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if lerr := pool.Client.Logs(dc.LogsOptions{Context: logCtx, Container: c.ID, OutputStream: &log, ErrorStream: &log, Stdout: true, Stderr: true}); lerr != nil && err == nil {
		err = fmt.Errorf("read log: %w", lerr)
	}
	res.Log = log.String()
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: %w", j.Name, ctx.Err())
		}
		return res, fmt.Errorf("%s: wait: %w", j.Name, err)
	}
	return res, nil
}

// tarFiles packs files (absolute paths) into a tar stream extracted at "/". Directories are
// not created: put files where the image already has a directory (or at the root).
func tarFiles(files map[string][]byte) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		hdr := &tar.Header{Name: strings.TrimPrefix(name, "/"), Mode: 0o644, Size: int64(len(data)), ModTime: time.Now()}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar: %w", err)
	}
	return &buf, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
