package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/drdrill/drdrill/images"
)

func cmdImages(ctx context.Context, args []string) error {
	fs := newFlags("images", "[-route auto|rootfs|dockerfile] [-source DIR]")
	route := fs.String("route", "auto", "how to build drdrill/postgres:15: auto (Dockerfile if debian:bookworm-slim can be pulled, else rootfs), rootfs (debootstrap, needs root), dockerfile")
	source := fs.String("source", "", "the drdrill checkout (default: found above the working directory)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	opts := images.Options{SourceDir: *source, Progress: os.Stdout}
	switch *route {
	case "auto":
	case "rootfs":
		opts.PostgresRoute = images.RouteRootfs
	case "dockerfile":
		opts.PostgresRoute = images.RouteDockerfile
	default:
		return usagef("-route %q: want auto, rootfs or dockerfile", *route)
	}
	start := time.Now()
	if err := images.Ensure(ctx, opts); err != nil {
		return err
	}
	fmt.Printf("images: done in %.1fs\n", time.Since(start).Seconds())
	return nil
}
