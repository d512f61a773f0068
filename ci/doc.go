// Package ci checks the repository's CI configuration: the example scheduled drill workflow
// (.github/workflows/dr-drill.yml) is linted by actionlint, pinned as a tool in go.mod
// (`go tool actionlint`), so a workflow that GitHub would reject fails `go test` here first.
// The package has no code of its own, only the tests.
package ci
