package rusage

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestSwitches: a thread that blocks n times (a sleep in the kernel, each a voluntary switch)
// shows at least n switches more; the reading is the process's, every thread's, not the
// calling one's.
func TestSwitches(t *testing.T) {
	const n = 200
	before := Now()
	done := make(chan struct{})
	go func() { // a thread of its own, not the test's
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for range n {
			ts := syscall.NsecToTimespec(int64(100 * time.Microsecond))
			syscall.Nanosleep(&ts, nil)
		}
		close(done)
	}()
	<-done
	if got := before.Since().Switches; got < n {
		t.Errorf("%d thread switches over %d sleeps in the kernel, want at least %d", got, n, n)
	}
}

// TestCPU: work done on another thread shows as CPU of the process. The thread spins until
// the reading has grown by 20 ms; the test fails if it never does within 10 s.
func TestCPU(t *testing.T) {
	const want = 20 * time.Millisecond
	before := Now()
	grew := make(chan time.Duration, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if d := before.Since().CPU; d >= want {
				grew <- d
				return
			}
		}
		grew <- before.Since().CPU
	}()
	if d := <-grew; d < want {
		t.Errorf("CPU grew by %v over 10 s of spinning, want at least %v", d, want)
	}
}

func TestSub(t *testing.T) {
	for _, c := range []struct {
		name    string
		u, v, w Usage
	}{
		{"both grow", Usage{3 * time.Second, 10}, Usage{time.Second, 4}, Usage{2 * time.Second, 6}},
		{"nothing", Usage{time.Second, 4}, Usage{time.Second, 4}, Usage{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.u.Sub(c.v); got != c.w {
				t.Errorf("%+v − %+v = %+v, want %+v", c.u, c.v, got, c.w)
			}
		})
	}
}
