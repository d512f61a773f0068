package measure

import (
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// arrivalReader reads a TCP connection with recvmsg and keeps the kernel's receive timestamp
// (SO_TIMESTAMPNS) of the last bytes it returned: when they reached this host, however long the
// harness took to get round to reading them. Deadlines set on the connection hold as for Read.
type arrivalReader struct {
	rc   syscall.RawConn
	oob  []byte
	last time.Time // the arrival of the last bytes read; zero until the kernel gave one
	// quiet: the receive low-water mark is raised (hush), and an answer's arrival wakes no one.
	quiet bool
}

// quietLowat is a receive low-water mark above the size of any answer the harness reads late.
const quietLowat = 64 << 10

// hush raises the connection's receive low-water mark (SO_RCVLOWAT) above any answer's size,
// so that the kernel does not wake the harness when an answer arrives: Go's poller is told of
// every arrival on every connection, whether a goroutine waits for it or not, and each of those
// is a wake-up. The caller reads the answer later, when it means to; Read lowers the mark again
// when the answer is not all there by then, and waits for it as usual.
func (a *arrivalReader) hush() {
	if a.quiet {
		return
	}
	var serr error
	err := a.rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, quietLowat)
	})
	a.quiet = err == nil && serr == nil
}

// newArrivalReader turns on receive timestamps on the socket rc; nil when it cannot give them
// (no socket, or the kernel refused), and the caller reads the connection as it is.
func newArrivalReader(rc syscall.RawConn) *arrivalReader {
	if rc == nil {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return nil
	}
	return &arrivalReader{rc: rc, oob: make([]byte, syscall.CmsgSpace(int(unsafe.Sizeof(syscall.Timespec{}))))}
}

func (a *arrivalReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n, oobn int
	var err error
	if rerr := a.rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, err = syscall.Recvmsg(int(fd), p, a.oob, 0)
		if err == syscall.EAGAIN && a.quiet {
			// Nothing (more) there yet: let the kernel say when something comes.
			if serr := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, 1); serr != nil {
				err = serr
				return true
			}
			a.quiet = false
		}
		return err != syscall.EAGAIN && err != syscall.EINTR // else wait until readable, or retry
	}); rerr != nil {
		return 0, rerr // the deadline passed, or the connection was closed
	}
	if err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	if at, ok := receiveStamp(a.oob[:oobn]); ok {
		a.last = at
	}
	return n, nil
}

// receiveStamp is the SO_TIMESTAMPNS time among a recvmsg's control messages.
func receiveStamp(oob []byte) (time.Time, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix()), true
		}
	}
	return time.Time{}, false
}
