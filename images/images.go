package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// Names of the images drdrill builds and runs.
const (
	Postgres = "drdrill/postgres:15"
	App      = "drdrill/saasd:dev"
	Notes    = "drdrill/notesd:dev"
)

// InputsLabel is the image label holding the SHA-256 of the image's build inputs.
const InputsLabel = "drdrill.inputs"

// ErrDockerUnreachable means no Docker engine answered at DOCKER_HOST (or the default socket).
var ErrDockerUnreachable = errors.New("docker engine unreachable")

// Route says how drdrill/postgres:15 is built.
type Route string

// Routes for the Postgres image. RouteAuto tries to pull debian:bookworm-slim and takes the
// Dockerfile route when that works, the rootfs route otherwise.
const (
	RouteAuto       Route = ""
	RouteDockerfile Route = "dockerfile"
	RouteRootfs     Route = "rootfs"
)

// Options configure Ensure and Status. The zero value builds every image from the module
// found above the working directory.
type Options struct {
	// SourceDir is the module root (holding go.mod, images/ and the reference stack); empty: the nearest
	// directory above the working directory with a go.mod and an images/ folder.
	SourceDir string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// PostgresRoute forces a route for the Postgres image; empty chooses automatically.
	PostgresRoute Route
	// PostgresTag, AppTag and NotesTag override the image names (tests build under throwaway
	// tags).
	PostgresTag, AppTag, NotesTag string
	// Only limits the work to these image names (after the overrides above); empty: all.
	Only []string
}

// ImageStatus is what Status knows about one image.
type ImageStatus struct {
	Name     string
	Present  bool
	UpToDate bool // present and its drdrill.inputs label matches the current inputs
	ID       string
	Size     int64 // bytes, as the engine reports it
	Created  time.Time
	// Problem says in one line what is wrong and how to fix it; empty when UpToDate.
	Problem string
}

// Ensure builds every image that is missing or whose inputs changed, and nothing else.
func Ensure(ctx context.Context, opts Options) error {
	b, err := newBuilder(ctx, opts)
	if err != nil {
		return err
	}
	defer b.close()
	for _, img := range b.images() {
		start := time.Now()
		st, err := img.status(ctx, b)
		if err != nil {
			return fmt.Errorf("image %s: %w", img.name(), err)
		}
		if st.UpToDate {
			b.logf("%s up to date (%s)", st.Name, mb(st.Size))
			continue
		}
		why := "inputs changed"
		if !st.Present {
			why = "missing"
		}
		b.logf("%s: %s: building", st.Name, why)
		if err := img.build(ctx, b); err != nil {
			return fmt.Errorf("build image %s: %w", img.name(), err)
		}
		after, err := b.client.InspectImage(img.name())
		if err != nil {
			return fmt.Errorf("build image %s: not found after build: %w", img.name(), err)
		}
		if got := after.Config.Labels[InputsLabel]; got != img.wantInputs() {
			return fmt.Errorf("build image %s: label %s=%q after build, want %q", img.name(), InputsLabel, got, img.wantInputs())
		}
		b.logf("%s built in %.1fs (%s)", img.name(), time.Since(start).Seconds(), mb(after.Size))
		// The replaced image is ours and now untagged; drop it unless a container still uses it.
		if st.Present && st.ID != after.ID {
			_ = b.client.RemoveImageExtended(st.ID, dc.RemoveImageOptions{Context: ctx})
		}
	}
	return nil
}

// Status reports, for each image, whether it is present and built from the current inputs.
// For the Go image that means compiling the binaries (cached by go build, about a second).
func Status(ctx context.Context, opts Options) ([]ImageStatus, error) {
	b, err := newBuilder(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer b.close()
	var out []ImageStatus
	for _, img := range b.images() {
		st, err := img.status(ctx, b)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// One image's inputs failing to build (a compile error) says nothing about the other.
			st = ImageStatus{Name: img.name(), Problem: fmt.Sprintf("image %s: %v", img.name(), firstLines(err.Error(), 3))}
			if p, _, _ := b.present(img.name()); p.Present {
				st.Present, st.ID, st.Size, st.Created = true, p.ID, p.Size, p.Created
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// image is one buildable image: how to hash its inputs and how to build it.
type image interface {
	name() string
	wantInputs() string
	status(ctx context.Context, b *builder) (ImageStatus, error)
	build(ctx context.Context, b *builder) error
}

type builder struct {
	opts    Options
	client  *dc.Client
	tmp     string // scratch directory for binaries, removed by close
	pg      *postgresImage
	app     *appImage
	notes   *appImage
	workDir string
}

func newBuilder(ctx context.Context, opts Options) (*builder, error) {
	if opts.PostgresTag == "" {
		opts.PostgresTag = Postgres
	}
	if opts.AppTag == "" {
		opts.AppTag = App
	}
	if opts.NotesTag == "" {
		opts.NotesTag = Notes
	}
	if opts.SourceDir == "" {
		dir, err := findSourceDir()
		if err != nil {
			return nil, err
		}
		opts.SourceDir = dir
	}
	c, err := Connect(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "drdrill-images-")
	if err != nil {
		return nil, fmt.Errorf("images: temp dir: %w", err)
	}
	b := &builder{opts: opts, client: c, tmp: tmp}
	b.pg = &postgresImage{tag: opts.PostgresTag}
	b.app = &appImage{tag: opts.AppTag, dir: "saasd", cmdRoot: ReferenceCmd, binaries: appBinaries}
	b.notes = &appImage{tag: opts.NotesTag, dir: "notesd", cmdRoot: NotesCmd, binaries: notesBinaries}
	return b, nil
}

func (b *builder) close() { os.RemoveAll(b.tmp) }

func (b *builder) images() []image {
	all := []image{b.pg, b.app, b.notes}
	if len(b.opts.Only) == 0 {
		return all
	}
	var out []image
	for _, img := range all {
		for _, n := range b.opts.Only {
			if n == img.name() {
				out = append(out, img)
			}
		}
	}
	return out
}

func (b *builder) logf(format string, args ...any) {
	if b.opts.Progress != nil {
		fmt.Fprintf(b.opts.Progress, "images: "+format+"\n", args...)
	}
}

// present inspects tag and fills the fields of an ImageStatus that come from the engine.
func (b *builder) present(tag string) (ImageStatus, string, error) {
	st := ImageStatus{Name: tag}
	img, err := b.client.InspectImage(tag)
	if errors.Is(err, dc.ErrNoSuchImage) {
		st.Problem = "missing"
		return st, "", nil
	}
	if err != nil {
		return st, "", fmt.Errorf("inspect %s: %w", tag, err)
	}
	st.Present, st.ID, st.Size, st.Created = true, img.ID, img.Size, img.Created
	var label string
	if img.Config != nil {
		label = img.Config.Labels[InputsLabel]
	}
	return st, label, nil
}

// Connect returns a client for the engine at DOCKER_HOST (or the default socket) after a
// ping, or an error wrapping ErrDockerUnreachable that says where it looked.
func Connect(ctx context.Context) (*dc.Client, error) {
	endpoint := os.Getenv("DOCKER_HOST")
	c, err := dc.NewClientFromEnv()
	if err != nil {
		return nil, fmt.Errorf("%w: DOCKER_HOST=%q: %v", ErrDockerUnreachable, endpoint, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.PingWithContext(pctx); err != nil {
		where := c.Endpoint()
		if endpoint != "" {
			where += " (from DOCKER_HOST)"
		}
		return nil, fmt.Errorf("%w at %s: %v: start the Docker engine or point DOCKER_HOST at one", ErrDockerUnreachable, where, err)
	}
	return c, nil
}

// findSourceDir walks up from the working directory to the module root holding images/.
func findSourceDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) && fileExists(filepath.Join(d, "images")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("images: no go.mod with an images/ folder above %s: run from the drdrill checkout", dir)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// hashParts hashes named parts so that moving bytes between parts changes the hash.
func hashParts(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/1e6) }
