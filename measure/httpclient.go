package measure

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wireClient sends the traffic's writes and the prober's probes: HTTP/1.1 over keep-alive
// connections it dials itself, each used by one caller at a time, the request written in one
// write and its answer read (with net/http's own parser) on the caller's goroutine. An answer
// is timed when it reached this host (the kernel's receive timestamp, on Linux), not when the
// harness read it: a caller may read late, several answers after one wake-up, and lose nothing
// of the timing.
//
// net/http's Transport gives every connection a reader and a writer goroutine and passes each
// request through both: at 200 writes a second plus the probe rounds, on two cores, those
// hand-offs and the scheduler's wake-ups behind them were about half of the harness's CPU
// beside a restore it measures (a CPU profile of the restore phase: 2.2 s of 4.8 s sampled in
// net/http's connection loops, the traffic and the prober). Here a request costs its write, its
// read, and one read that finds the idle connection still open.
type wireClient struct {
	addr    string // host:port dialled
	host    string // the Host header
	prefix  string // the base URL's path, prepended to every request's
	timeout time.Duration
	idle    chan *wireConn // connections not in use; at most as many as callers at once
}

// wireConn is one connection and its reader.
type wireConn struct {
	c   net.Conn
	rc  syscall.RawConn // c's socket, for the idle peek and arr; nil if c has none
	arr *arrivalReader  // c read with receive timestamps; nil where they are not to be had
	br  *bufio.Reader   // reads arr, else c
	req []byte          // the request being written, reused
}

// newWireClient is a client of the service at baseURL (http://host[:port][/path]) keeping at
// most conns idle connections, each request bounded by timeout from dial to the answer's end.
func newWireClient(baseURL string, conns int, timeout time.Duration) (*wireClient, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("base URL %q: want http://host[:port][/path]", baseURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &wireClient{
		addr: addr, host: u.Host, prefix: strings.TrimRight(u.EscapedPath(), "/"),
		timeout: timeout, idle: make(chan *wireConn, max(conns, 1)),
	}, nil
}

// do sends one request (path relative to the base URL, with its query; body sent with
// Content-Length when method is not GET or HEAD) and returns the answer's status and when the
// answer reached this host. It reads the answer from readAt on (at once when that has passed),
// so that callers that sent at once read at once: one wake-up of the harness, not one per
// answer (only where answers carry their arrival time: elsewhere reading late would make them
// late). The answer's body is read whole: into keep, up to limit bytes (the rest discarded),
// when keep is not nil. An error is the transport's (no answer): ctx's when ctx ended first, a
// net.Error whose Timeout is true when the deadline passed.
func (c *wireClient) do(ctx context.Context, method, path, contentType, body string, keep *bytes.Buffer, limit int64, readAt time.Time) (status int, at time.Time, err error) {
	for i := 0; i < len(path); i++ {
		if path[i] <= ' ' || path[i] >= 0x7f {
			return 0, time.Time{}, fmt.Errorf("%w: path %q", errBadRequest, path)
		}
	}
	deadline := time.Now().Add(c.timeout)
	wc, err := c.conn(ctx, deadline)
	if err != nil {
		return 0, time.Time{}, err
	}
	if err := wc.c.SetDeadline(deadline); err != nil {
		wc.c.Close()
		return 0, time.Time{}, err
	}
	// Cancelling ctx pulls the deadline in: the blocked read or write returns at once.
	stop := context.AfterFunc(ctx, func() { wc.c.SetDeadline(time.Unix(1, 0)) })
	status, at, reuse, err := wc.roundTrip(c, method, path, contentType, body, keep, limit, readAt)
	if !stop() {
		reuse = false
		if err != nil {
			err = fmt.Errorf("%w (%v)", context.Cause(ctx), err)
		}
	}
	if !reuse || err != nil {
		wc.c.Close()
		return status, at, err
	}
	select {
	case c.idle <- wc:
	default:
		wc.c.Close()
	}
	return status, at, nil
}

// conn is an idle connection still open, or a new one.
func (c *wireClient) conn(ctx context.Context, deadline time.Time) (*wireConn, error) {
	for {
		select {
		case wc := <-c.idle:
			if wc.open() {
				return wc, nil
			}
			wc.c.Close()
			continue
		default:
		}
		d := net.Dialer{Deadline: deadline}
		nc, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return nil, err
		}
		wc := &wireConn{c: nc, rc: rawConn(nc)}
		wc.arr = newArrivalReader(wc.rc)
		if wc.arr != nil {
			wc.br = bufio.NewReaderSize(wc.arr, 16<<10)
		} else {
			wc.br = bufio.NewReaderSize(nc, 16<<10)
		}
		return wc, nil
	}
}

// rawConn is c's socket, or nil when c has none.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// open says whether an idle connection can carry a request: nothing is waiting to be read on
// it, and the service has not closed it. A service closes idle connections (a restart, an idle
// timeout); net/http's reader goroutine notices that before the connection is reused, and
// without this check a request sent on such a connection would fail for no fault of the
// service, a write counted lost or a site counted down.
func (wc *wireConn) open() bool {
	if wc.br.Buffered() > 0 {
		return false // bytes nobody asked for
	}
	if wc.rc == nil {
		return false
	}
	// One peek that does not wait (a read deadline in the past would not even try the socket).
	var n int
	var perr error
	var b [1]byte
	if err := wc.rc.Read(func(fd uintptr) bool {
		n, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		return false
	}
	return n < 0 && errors.Is(perr, syscall.EAGAIN) // n 0: closed; n 1: bytes nobody asked for
}

// errBadRequest is a request that cannot be written: a path with a space, a control or a
// non-ASCII byte (a stack file's template filled with such a value).
var errBadRequest = errors.New("bad request")

// roundTrip writes the request and reads the answer from readAt on; at is when the answer's
// last bytes reached this host (when they were read, without a receive timestamp); reuse says
// whether the connection can carry another request.
func (wc *wireConn) roundTrip(c *wireClient, method, path, contentType, body string, keep *bytes.Buffer, limit int64, readAt time.Time) (status int, at time.Time, reuse bool, err error) {
	b := append(wc.req[:0], method...)
	b = append(b, ' ')
	b = append(b, c.prefix...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nUser-Agent: drdrill\r\n"...)
	if method != http.MethodGet && method != http.MethodHead {
		if contentType != "" {
			b = append(b, "Content-Type: "...)
			b = append(b, contentType...)
			b = append(b, "\r\n"...)
		}
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	wc.req = b
	if wc.arr != nil {
		wc.arr.last = time.Time{}
	}
	late := wc.arr != nil && time.Until(readAt) > 0 // without arrival times, read at once
	if late {
		wc.arr.hush() // the answer's arrival wakes no one: it is read at readAt
	}
	if _, err := wc.c.Write(b); err != nil {
		return 0, time.Time{}, false, err
	}
	if late {
		time.Sleep(time.Until(readAt))
	}
	resp, err := http.ReadResponse(wc.br, &http.Request{Method: method})
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the service closed the connection without answering
	}
	if err != nil {
		return 0, time.Now(), false, err
	}
	defer resp.Body.Close()
	if keep != nil {
		if _, err := keep.ReadFrom(io.LimitReader(resp.Body, limit)); err != nil {
			return resp.StatusCode, time.Now(), false, err
		}
	}
	// Drain the rest, so that the connection carries the next request.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, time.Now(), false, err
	}
	at = time.Now()
	if wc.arr != nil && !wc.arr.last.IsZero() {
		at = wc.arr.last
	}
	return resp.StatusCode, at, !resp.Close, nil
}

// failureReason names a transport error the way counts and timelines show it.
func failureReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errBadRequest):
		return "bad request"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	}
	return "transport error"
}
