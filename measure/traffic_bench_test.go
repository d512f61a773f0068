package measure

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drdrill/drdrill/internal/rusage"
)

// serviceEnv makes the test binary a stand-in service in a process of its own (see
// TestMain), so that a benchmark's getrusage counts the harness side alone.
const serviceEnv = "DRDRILL_MEASURE_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(serviceEnv) == "1" {
		serveStandIn()
		return
	}
	os.Exit(m.Run())
}

// serveStandIn answers every request 200 after 1-8 ms (a commit's time), prints its address
// on stdout and serves until stdin closes.
func serveStandIn() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(1))
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		d := time.Millisecond + time.Duration(rng.Int63n(int64(7*time.Millisecond)))
		mu.Unlock()
		time.Sleep(d)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
}

// startStandIn runs the stand-in service in a child process and returns its base URL.
func startStandIn(b *testing.B) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serviceEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("stand-in service: %v", err)
	}
	return "http://" + strings.TrimSpace(addr)
}

// BenchmarkTrafficWakeups runs the traffic at 200 writes/s for 5 s against a service in
// another process, its writers reading each answer as it comes or a release's answers
// together, and reports the harness's CPU and thread switches (getrusage: every thread's) per
// acknowledged write.
func BenchmarkTrafficWakeups(b *testing.B) {
	base := startStandIn(b)
	sites := []SiteRef{{1, 100}, {2, 200}, {3, 300}}
	for _, c := range []struct {
		name   string
		atOnce bool
	}{{"answers read as they come", true}, {"a release's answers read together", false}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				l, err := CreateLedger(filepath.Join(b.TempDir(), "ledger.tsv"))
				if err != nil {
					b.Fatal(err)
				}
				u := rusage.Now()
				tr, err := StartTraffic(context.Background(), TrafficConfig{BaseURL: base, Sites: sites, Rate: 200, Ledger: l, ReadAtOnce: c.atOnce})
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(5 * time.Second) // the run's length, not a wait for anything
				s := tr.Stop()
				used := u.Since()
				l.Close()
				if s.Acked == 0 {
					b.Fatalf("nothing acknowledged: %+v", s)
				}
				b.ReportMetric(float64(used.CPU.Microseconds())/float64(s.Acked), "cpu-µs/write")
				b.ReportMetric(float64(used.Switches)/float64(s.Acked), "switches/write")
				b.ReportMetric(float64(s.Acked)/5, "acked/s")
			}
		})
	}
}
