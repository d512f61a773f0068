//go:build !linux

package measure

import (
	"syscall"
	"time"
)

// arrivalReader is Linux's only (receive timestamps); elsewhere answers are timed when read.
type arrivalReader struct{ last time.Time }

func newArrivalReader(syscall.RawConn) *arrivalReader { return nil }

func (a *arrivalReader) Read([]byte) (int, error) { panic("unreachable") }

func (a *arrivalReader) hush() {}
