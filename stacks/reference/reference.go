// Package reference is the reference stack's stack file, embedded: what a drill drills when
// its feature names no stack. The service, schema and script it describes are the packages
// below this one (saas, legacycleanup) and their commands.
package reference

import (
	"embed"
	"fmt"
	"sync"

	"github.com/drdrill/drdrill/stackfile"
)

//go:embed stack.yaml saas/schema.sql saas/constraints.sql
var files embed.FS

// File is the reference stack file's path in the repository, as reports name it.
const File = "stacks/reference/stack.yaml"

// Stack returns the reference stack file, parsed and validated once. Callers must not modify it.
var Stack = sync.OnceValue(func() *stackfile.Stack {
	s, err := stackfile.ParseFS(files, "stack.yaml")
	if err != nil {
		panic(fmt.Sprintf("the embedded reference stack file is invalid: %v", err)) // TestStack keeps it valid
	}
	s.Path = File
	return s
})
