package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// debianBase is what the Dockerfile route starts from; being able to get it is what
// "a registry answers" means.
const debianBase = "debian:bookworm-slim"

// postgresImage is drdrill/postgres:15. Its inputs are the build recipe of each route plus
// the Debian mirror; an image built by either route counts as up to date, so a machine that
// gains or loses registry access does not rebuild for that alone.
type postgresImage struct {
	tag                   string
	mirror                string
	rootfsSh, dockerfile  []byte
	wantRootfs, wantDfile string
	want                  string // the hash of the route that build chose
	dir                   string
}

func (p *postgresImage) name() string       { return p.tag }
func (p *postgresImage) wantInputs() string { return p.want }

func (p *postgresImage) load(ctx context.Context, b *builder) error {
	if p.wantRootfs != "" {
		return nil
	}
	p.dir = filepath.Join(b.opts.SourceDir, "images", "postgres")
	var err error
	if p.rootfsSh, err = os.ReadFile(filepath.Join(p.dir, "rootfs.sh")); err != nil {
		return fmt.Errorf("read rootfs.sh: %w", err)
	}
	if p.dockerfile, err = os.ReadFile(filepath.Join(p.dir, "Dockerfile")); err != nil {
		return fmt.Errorf("read Dockerfile: %w", err)
	}
	// rootfs.sh owns the rule for finding the mirror; ask it rather than repeat it here.
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(p.dir, "rootfs.sh"), "--mirror").Output()
	if err == nil {
		p.mirror = strings.TrimSpace(string(out))
	}
	p.wantRootfs = hashParts([]byte("rootfs"), p.rootfsSh, []byte(p.mirror))
	p.wantDfile = hashParts([]byte("dockerfile"), p.dockerfile, []byte(p.mirror))
	return nil
}

func (p *postgresImage) status(ctx context.Context, b *builder) (ImageStatus, error) {
	if err := p.load(ctx, b); err != nil {
		return ImageStatus{Name: p.tag}, err
	}
	st, label, err := b.present(p.tag)
	if err != nil || !st.Present {
		if st.Problem == "missing" {
			st.Problem = fmt.Sprintf("image %s missing: run `make images`", p.tag)
		}
		return st, err
	}
	st.UpToDate = label == p.wantRootfs || label == p.wantDfile
	if !st.UpToDate {
		st.Problem = fmt.Sprintf("image %s was not built from the current images/postgres recipe and mirror: run `make images`", p.tag)
	}
	return st, nil
}

func (p *postgresImage) build(ctx context.Context, b *builder) error {
	route := b.opts.PostgresRoute
	if route == RouteAuto {
		route = p.chooseRoute(ctx, b)
	}
	switch route {
	case RouteDockerfile:
		p.want = p.wantDfile
		b.logf("%s: Dockerfile route (FROM %s)", p.tag, debianBase)
		return p.buildDockerfile(ctx, b)
	case RouteRootfs:
		p.want = p.wantRootfs
		b.logf("%s: rootfs route (debootstrap from %s, no registry)", p.tag, p.mirror)
		return p.buildRootfs(ctx, b)
	}
	return fmt.Errorf("unknown Postgres route %q: want %q or %q", route, RouteDockerfile, RouteRootfs)
}

// chooseRoute takes the Dockerfile route when the Debian base is local or can be pulled, and
// the rootfs route otherwise. The pull is bounded: an engine without a registry may hang on it.
func (p *postgresImage) chooseRoute(ctx context.Context, b *builder) Route {
	if _, err := b.client.InspectImage(debianBase); err == nil {
		return RouteDockerfile
	}
	b.logf("trying to pull %s (30s at most) to choose the Postgres route", debianBase)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	repo, tag, _ := strings.Cut(debianBase, ":")
	err := b.client.PullImage(dc.PullImageOptions{Repository: repo, Tag: tag, Context: pctx, OutputStream: io.Discard}, dc.AuthConfiguration{})
	if err != nil {
		b.logf("no registry: %s", firstLine(err.Error()))
		return RouteRootfs
	}
	return RouteDockerfile
}

func (p *postgresImage) buildDockerfile(ctx context.Context, b *builder) error {
	var out bytes.Buffer
	w := io.Writer(&out)
	if b.opts.Progress != nil {
		w = io.MultiWriter(&out, b.opts.Progress)
	}
	err := b.client.BuildImage(dc.BuildImageOptions{
		Context:             ctx,
		Name:                p.tag,
		ContextDir:          p.dir,
		Dockerfile:          "Dockerfile",
		BuildArgs:           []dc.BuildArg{{Name: "MIRROR", Value: p.mirror}},
		Labels:              map[string]string{InputsLabel: p.want},
		RmTmpContainer:      true,
		ForceRmTmpContainer: true,
		OutputStream:        w,
	})
	if err != nil {
		return fmt.Errorf("%w\n%s", err, tail(out.String(), 20))
	}
	return nil
}

// buildRootfs runs rootfs.sh, which needs root for debootstrap and the docker CLI for import.
func (p *postgresImage) buildRootfs(ctx context.Context, b *builder) error {
	if os.Geteuid() != 0 {
		return errors.New("the rootfs route runs debootstrap, which needs root: run `sudo make images`")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return errors.New("the rootfs route imports with the docker CLI, which is not on PATH: install docker.io's client")
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(p.dir, "rootfs.sh"), p.tag, InputsLabel+"="+p.want)
	var out bytes.Buffer
	w := io.Writer(&out)
	if b.opts.Progress != nil {
		w = io.MultiWriter(&out, b.opts.Progress)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rootfs.sh: %w\n%s", err, tail(out.String(), 20))
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// firstLines keeps the first n lines of s, joined by " / ", for one-line problem reports.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
