// Package images builds drdrill's container images on the local Docker engine, without a
// registry: drdrill/postgres:15 (from a Dockerfile where debian:bookworm-slim can be pulled,
// from a debootstrap root filesystem where it cannot) and drdrill/saasd:dev (FROM scratch, the
// static binaries of the reference stack's saasd and legacy-cleanup, stacks/reference/cmd) and
// drdrill/notesd:dev (the same way, the notes example stack's notesd and notes-purge,
// stacks/notes/cmd).
//
// Each image carries the label drdrill.inputs, a SHA-256 of what it was built from; Ensure
// rebuilds an image only when that label differs from the hash of the current inputs, so a
// second `drdrill images` is a no-op. Status reports the same comparison without building.
package images
