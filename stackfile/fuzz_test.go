package stackfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics, and every problem it reports has a position.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range append(files, "../stacks/reference/stack.yaml") {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("testdata/fuzz.yaml", data)
		var e *Error
		if err == nil {
			return
		}
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *Error", err)
		}
		for _, p := range e.Problems {
			if p.Line < 1 || p.Col < 1 {
				t.Fatalf("problem without a position: %+v", p)
			}
		}
	})
}
