package runner

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// progress shows what long steps are doing. On a terminal every progress line of a drill is
// shown as it comes, between godog's lines (godog prints a step when it ends). In CI the
// console has godog's one line per step only, and the progress lines go to the scenario's
// drill.log, where they always go.
type progress struct {
	w  io.Writer
	ci bool
	mu sync.Mutex
}

// scenarioLog is the drill's progress writer: whole lines to file, and on a terminal also to
// the console, prefixed so they stand apart from godog's output.
func (p *progress) scenarioLog(file io.Writer) io.Writer { return &logWriter{p: p, file: file} }

// logWriter writes complete lines; a partial line waits for its end.
type logWriter struct {
	p    *progress
	file io.Writer
	mu   sync.Mutex
	buf  []byte
}

func (l *logWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(l.buf[:i])
		l.buf = l.buf[i+1:]
		fmt.Fprintf(l.file, "%s %s\n", time.Now().UTC().Format("15:04:05.000"), line)
		if !l.p.ci {
			l.p.mu.Lock()
			fmt.Fprintf(l.p.w, "    │ %s\n", line)
			l.p.mu.Unlock()
		}
	}
}
