package stackfile

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want lines of testdata/malformed from the parser (review the diff)")

// TestMalformed parses every file of testdata/malformed: its first problem must be the one its
// first line names, `# want: LINE:COL: substring`, as FILE:LINE:COL.
func TestMalformed(t *testing.T) {
	files, err := filepath.Glob("testdata/malformed/*.yaml")
	if err != nil || len(files) < 15 {
		t.Fatalf("%d malformed files (want at least 15): %v", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, rest, _ := strings.Cut(string(b), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not a want line", first)
			}
			_, err = Parse(f, b)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || len(e.Problems) == 0 {
				t.Fatalf("err = %v, want an *Error matching ErrInvalid", err)
			}
			p := e.Problems[0]
			got := fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg)
			if *update {
				if err := os.WriteFile(f, []byte("# want: "+got+"\n"+rest), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			pos, sub, _ := strings.Cut(want, ": ")
			if !strings.HasPrefix(got, pos+": ") || !strings.Contains(p.Msg, sub) {
				t.Errorf("first problem %q, want %q", got, want)
			}
			if !strings.HasPrefix(err.Error(), f+":"+pos+": ") {
				t.Errorf("error %q does not start with %s:%s", err, f, pos)
			}
			for _, p := range e.Problems {
				if p.Line < 1 || p.Col < 1 {
					t.Errorf("problem without a position: %+v", p)
				}
			}
		})
	}
}

// TestValid loads the reference stack and every file of testdata/valid.
func TestValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	files = append(files, "../stacks/reference/stack.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestComposeServices reads a compose file's services as a drill starts them: the database in
// drdrill's image, the app with its image, command, environment, container port and the path
// of its healthcheck URL.
func TestComposeServices(t *testing.T) {
	s, err := Load("testdata/valid/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Service{
		"postgres": {Image: DBImage, Postgres: true},
		"web": {Image: "myco/web:dev", Command: []string{"/web", "--listen", ":8080"}, Port: 8080,
			Env:  map[string]string{"LOG_LEVEL": "info", "DATABASE_URL": "postgres://postgres:example@postgres:5432/app"},
			Wait: Wait{HTTP: "/healthz"}},
	}
	if !reflect.DeepEqual(s.Services, want) {
		t.Errorf("services from compose:\n got %+v\nwant %+v", s.Services, want)
	}
	for _, c := range []struct {
		ports, expose []string
		want          int
	}{{[]string{"8080:80"}, nil, 80}, {[]string{"127.0.0.1:8080:80/tcp"}, nil, 80}, {[]string{"9000"}, nil, 9000}, {nil, []string{"3000"}, 3000}, {nil, nil, 0}} {
		if got := composePort(c.ports, c.expose); got != c.want {
			t.Errorf("composePort(%q, %q) = %d, want %d", c.ports, c.expose, got, c.want)
		}
	}
}
