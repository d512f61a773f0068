package images

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	dc "github.com/ory/dockertest/v3/docker"
)

// ReferenceCmd holds the main packages of the reference stack, relative to the module root.
const ReferenceCmd = "stacks/reference/cmd"

// NotesCmd holds the main packages of the notes example stack, relative to the module root.
const NotesCmd = "stacks/notes/cmd"

// appBinaries are the main packages (under ReferenceCmd) baked into drdrill/saasd:dev, under
// their names at /.
var appBinaries = []string{"saasd", "legacy-cleanup"}

// notesBinaries are the main packages (under NotesCmd) baked into drdrill/notesd:dev.
var notesBinaries = []string{"notesd", "notes-purge"}

// appImage is an image FROM scratch with static Go binaries: drdrill/saasd:dev (the reference
// stack's) or drdrill/notesd:dev (the notes stack's). Its inputs are the built binaries
// themselves (go build with -trimpath and no VCS stamp is reproducible) and its Dockerfile, so a
// change anywhere in their dependency graph rebuilds it and nothing else does.
type appImage struct {
	tag      string
	dir      string   // the Dockerfile's directory under images/: saasd, notesd
	cmdRoot  string   // the main packages' directory, relative to the module root
	binaries []string // main packages under cmdRoot, copied to / under their names
	want     string
	ctxDir   string // build context: Dockerfile + binaries
}

func (a *appImage) name() string       { return a.tag }
func (a *appImage) wantInputs() string { return a.want }

func (a *appImage) status(ctx context.Context, b *builder) (ImageStatus, error) {
	if err := a.compile(ctx, b); err != nil {
		return ImageStatus{Name: a.tag}, err
	}
	st, label, err := b.present(a.tag)
	if err != nil || !st.Present {
		if st.Problem == "missing" {
			st.Problem = fmt.Sprintf("image %s missing: run `make images`", a.tag)
		}
		return st, err
	}
	st.UpToDate = label == a.want
	if !st.UpToDate {
		st.Problem = fmt.Sprintf("image %s is older than %s (%s) or its Dockerfile: run `make images`",
			a.tag, strings.Join(a.binaries, ", "), a.cmdRoot)
	}
	return st, nil
}

// compile builds the binaries for the engine's architecture into a fresh build context and
// hashes them with the Dockerfile.
func (a *appImage) compile(ctx context.Context, b *builder) error {
	if a.want != "" {
		return nil
	}
	dockerfile, err := os.ReadFile(filepath.Join(b.opts.SourceDir, "images", a.dir, "Dockerfile"))
	if err != nil {
		return fmt.Errorf("read Dockerfile: %w", err)
	}
	a.ctxDir = filepath.Join(b.tmp, a.dir)
	if err := os.MkdirAll(a.ctxDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(a.ctxDir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return err
	}
	arch := runtime.GOARCH
	if info, err := b.client.Info(); err == nil {
		arch = goArch(info.Architecture, arch)
	}
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", a.ctxDir + string(filepath.Separator)}
	for _, bin := range a.binaries {
		args = append(args, "./"+path.Join(a.cmdRoot, bin))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.opts.SourceDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cannot build %s in %s: %w: %s", strings.Join(args[len(args)-len(a.binaries):], " "), b.opts.SourceDir, err, strings.TrimSpace(out.String()))
	}
	parts := [][]byte{[]byte("Dockerfile"), dockerfile}
	for _, bin := range a.binaries {
		data, err := os.ReadFile(filepath.Join(a.ctxDir, bin))
		if err != nil {
			return fmt.Errorf("read built %s: %w", bin, err)
		}
		parts = append(parts, []byte(bin), data)
	}
	a.want = hashParts(parts...)
	return nil
}

func (a *appImage) build(ctx context.Context, b *builder) error {
	var out bytes.Buffer
	err := b.client.BuildImage(dc.BuildImageOptions{
		Context:             ctx,
		Name:                a.tag,
		ContextDir:          a.ctxDir,
		Dockerfile:          "Dockerfile",
		Labels:              map[string]string{InputsLabel: a.want},
		RmTmpContainer:      true,
		ForceRmTmpContainer: true,
		OutputStream:        &out,
	})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out.Bytes())
	}
	return nil
}

// goArch maps the engine's uname architecture to GOARCH.
func goArch(engine, fallback string) string {
	switch engine {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	}
	return fallback
}
