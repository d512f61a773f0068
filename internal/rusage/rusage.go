// Package rusage reads what this process has used so far, over all its threads: CPU (user and
// system) and thread switches (voluntary and involuntary), one getrusage. A figure is the
// difference of two readings.
package rusage

import (
	"syscall"
	"time"
)

// Usage is one reading.
type Usage struct {
	CPU      time.Duration // user + system
	Switches int64         // voluntary + involuntary: each a wake-up or a preemption of a thread
}

// Now reads the process's usage so far; a zero Usage if getrusage fails (it does not on Linux
// for RUSAGE_SELF).
func Now() Usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}
	}
	return Usage{
		CPU:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		Switches: int64(ru.Nvcsw + ru.Nivcsw),
	}
}

// Since is what was used from u to now.
func (u Usage) Since() Usage { return Now().Sub(u) }

// Sub is u − v.
func (u Usage) Sub(v Usage) Usage {
	return Usage{CPU: u.CPU - v.CPU, Switches: u.Switches - v.Switches}
}
