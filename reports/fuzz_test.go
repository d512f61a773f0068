package reports

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

// FuzzReport feeds `drdrill report`'s input, a results.json from anywhere (a CI artifact, a
// hand-edited file), through every renderer: whatever the file holds, it is refused with an
// error or rendered, never a panic.
func FuzzReport(f *testing.F) {
	// Small seeds only: the mutator slows to a few inputs a minute on the 10-40 KB golden
	// results (measured), and the field names are what it needs to start from.
	for _, s := range []string{"../results/testdata/v1.json"} {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":1,"tenants":[{"id":1,"affected":true,"rto_ms":-5}],"verdict":"breached"}`))
	// Found by this target: a figure beyond ±292 years became math.MinInt64 nanoseconds, which
	// fmtDuration negated forever (stack overflow, `drdrill report` crashed).
	f.Add([]byte(`{"schema":1,"summary":{"affected_tenants":1,"rto_p50_ms":-1e300,"rto_p95_ms":1e300,"rto_max_ms":9.3e12}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Reading and rendering a file of a few KB takes milliseconds; no value in the file may
		// make it loop for minutes (an axis, a histogram or a merge sized by a figure).
		done := make(chan struct{})
		go func() {
			defer close(done)
			r, err := results.Read(bytes.NewReader(data), "fuzz.json")
			if err != nil {
				return
			}
			rep, err := Merge([]*results.Results{r})
			if err != nil {
				return
			}
			_ = WriteSummary(io.Discard, rep)
			_ = WriteJUnit(io.Discard, rep)
			_ = WriteCucumber(io.Discard, rep)
			_ = WriteHTML(io.Discard, rep, nil)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("reading and rendering %d bytes of results took over 10s", len(data))
		}
	})
}
