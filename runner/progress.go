package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// progress shows what long steps are doing. On a terminal every progress line of a drill is
// shown as it comes; in CI only one line per step (phase) with its duration, so logs stay
// short. Every line also goes to the scenario's drill.log.
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

type stepStartKey struct{}

// hook adds, in CI, one line per finished step: scenario, step, status, duration.
func (p *progress) hook(sc *godog.ScenarioContext) {
	if !p.ci {
		return
	}
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		return context.WithValue(ctx, stepStartKey{}, time.Now()), nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		start, _ := ctx.Value(stepStartKey{}).(time.Time)
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintf(p.w, "drdrill: %-7s %6.1fs  %s\n", status, time.Since(start).Seconds(), st.Text)
		return ctx, nil
	})
}
