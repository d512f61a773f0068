package measure

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// connCounter counts the connections a test server accepted.
type connCounter struct {
	mu sync.Mutex
	n  int
}

func (c *connCounter) state(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
}

func (c *connCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestWireClient sends real requests to a real server and checks what it heard and what came
// back: the request line, headers and body as written, answers of every framing read whole,
// connections reused unless the server says otherwise, and no request failed by a connection
// the server closed while it was idle.
func TestWireClient(t *testing.T) {
	type heard struct {
		method, uri, host, ctype, body string
		length                         int64
	}
	cases := []struct {
		name         string
		base         string // path after the server's URL
		method, path string
		ctype, body  string
		answer       func(w http.ResponseWriter) // nil: 200, "ok"
		wantStatus   int
		wantBody     string
		limit        int64
		closeIdle    bool          // the server closes idle connections between the requests
		readLate     time.Duration // answers read this long after sending (the traffic's way)
		requests     int
		wantConns    int
		wantURI      string
		wantNoLength bool
	}{
		{name: "PUT with a body, kept alive", method: "PUT", path: "/v1/sites/7/records/k-1", ctype: "application/json",
			body: `{"value":"r-1"}`, wantStatus: 200, wantBody: "ok", limit: 1 << 20, requests: 5, wantConns: 1, wantURI: "/v1/sites/7/records/k-1"},
		{name: "GET has no body or length", method: "GET", path: "/v1/sites/7/health", wantStatus: 200, wantBody: "ok",
			limit: 1 << 20, requests: 3, wantConns: 1, wantURI: "/v1/sites/7/health", wantNoLength: true},
		{name: "base URL with a path and a query", base: "/api/", method: "POST", path: "/v1/health/sites?list=down", ctype: "application/json",
			body: `{"sites":[1,2]}`, wantStatus: 200, wantBody: "ok", limit: 1 << 20, requests: 2, wantConns: 1, wantURI: "/api/v1/health/sites?list=down"},
		{name: "chunked answer, status kept", method: "GET", path: "/x", answer: func(w http.ResponseWriter) {
			w.WriteHeader(503)
			for range 3 {
				io.WriteString(w, strings.Repeat("z", 5000))
				w.(http.Flusher).Flush()
			}
		}, wantStatus: 503, wantBody: strings.Repeat("z", 15000), limit: 1 << 20, requests: 3, wantConns: 1, wantURI: "/x", wantNoLength: true},
		{name: "answer longer than the limit: cut, and the connection still reused", method: "GET", path: "/x", answer: func(w http.ResponseWriter) {
			io.WriteString(w, strings.Repeat("y", 10000))
		}, wantStatus: 200, wantBody: strings.Repeat("y", 4096), limit: 4096, requests: 3, wantConns: 1, wantURI: "/x", wantNoLength: true},
		{name: "Connection: close honoured", method: "GET", path: "/x", answer: func(w http.ResponseWriter) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		}, wantStatus: 200, wantBody: "bye", limit: 1 << 20, requests: 3, wantConns: 3, wantURI: "/x", wantNoLength: true},
		{name: "idle connections closed by the server: redialled, nothing fails", method: "PUT", path: "/k", body: "v",
			wantStatus: 200, wantBody: "ok", limit: 1 << 20, closeIdle: true, requests: 4, wantConns: 4, wantURI: "/k"},
		{name: "chunked answers read late: whole, and the connection reused", method: "GET", path: "/x", answer: func(w http.ResponseWriter) {
			for range 3 {
				io.WriteString(w, strings.Repeat("z", 30000))
				w.(http.Flusher).Flush()
			}
		}, wantStatus: 200, wantBody: strings.Repeat("z", 90000), limit: 1 << 20, readLate: 50 * time.Millisecond, requests: 3, wantConns: 1,
			wantURI: "/x", wantNoLength: true},
		{name: "idle connections closed by the server, answers read late: redialled, nothing fails", method: "PUT", path: "/k", body: "v",
			wantStatus: 200, wantBody: "ok", limit: 1 << 20, closeIdle: true, readLate: 50 * time.Millisecond, requests: 4, wantConns: 4, wantURI: "/k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []heard
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, heard{r.Method, r.RequestURI, r.Host, r.Header.Get("Content-Type"), string(b), r.ContentLength})
				mu.Unlock()
				if c.answer != nil {
					c.answer(w)
					return
				}
				io.WriteString(w, "ok")
			}))
			var conns connCounter
			srv.Config.ConnState = conns.state
			srv.Start()
			defer srv.Close()
			cl, err := newWireClient(srv.URL+c.base, 4, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.requests {
				if c.closeIdle && i > 0 {
					// Every idle connection closed, and the close seen by the client's kernel
					// before the next request.
					srv.CloseClientConnections()
					time.Sleep(50 * time.Millisecond)
				}
				var keep bytes.Buffer
				var readAt time.Time
				if c.readLate > 0 {
					readAt = time.Now().Add(c.readLate)
				}
				status, _, err := cl.do(context.Background(), c.method, c.path, c.ctype, c.body, &keep, c.limit, readAt)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if status != c.wantStatus || keep.String() != c.wantBody {
					t.Fatalf("request %d: status %d, body %.40q (%d bytes), want %d, %.40q (%d bytes)", i, status, keep.String(), keep.Len(), c.wantStatus, c.wantBody, len(c.wantBody))
				}
			}
			if n := conns.count(); n != c.wantConns {
				t.Errorf("%d connections for %d requests, want %d", n, c.requests, c.wantConns)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != c.requests {
				t.Fatalf("server heard %d requests, want %d", len(got), c.requests)
			}
			for _, h := range got {
				wantLen := int64(len(c.body))
				if c.wantNoLength {
					wantLen = 0
				}
				if h.method != c.method || h.uri != c.wantURI || h.host != strings.TrimPrefix(srv.URL, "http://") ||
					h.ctype != c.ctype || h.body != c.body || h.length != wantLen {
					t.Errorf("server heard %+v", h)
				}
			}
		})
	}
}

// TestWireClientFailures: each way a request can fail is named as the counts and timelines name
// it, in about the time it takes, and the client works again afterwards.
func TestWireClientFailures(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			<-release
		case "/hangup":
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(release)
	// A port nothing listens on: one a listener had, closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	background := func() context.Context { return context.Background() }
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		return ctx
	}
	cases := []struct {
		name, base, path string
		ctx              func() context.Context
		timeout          time.Duration
		want             string
		within           time.Duration
	}{
		{"no answer within the timeout", srv.URL, "/slow", background, 200 * time.Millisecond, "timeout", 2 * time.Second},
		{"cancelled while waiting", srv.URL, "/slow", cancelled, time.Minute, "canceled", 2 * time.Second},
		{"connection closed without an answer", srv.URL, "/hangup", background, time.Minute, "connection reset", 2 * time.Second},
		{"nothing listening", refused, "/x", background, time.Minute, "connection refused", 2 * time.Second},
		{"a space in the path", srv.URL, "/a b", background, time.Minute, "bad request", time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := newWireClient(c.base, 2, c.timeout)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, _, err = cl.do(c.ctx(), "GET", c.path, "", "", nil, 0, time.Time{})
			if err == nil {
				t.Fatal("no error")
			}
			if got := failureReason(err); got != c.want {
				t.Errorf("failure %q (%v), want %q", got, err, c.want)
			}
			if d := time.Since(start); d > c.within || c.want == "canceled" && d < 100*time.Millisecond {
				t.Errorf("failed after %v, want within %v", d, c.within)
			}
			if c.base == srv.URL {
				if status, _, err := cl.do(context.Background(), "GET", "/ok", "", "", nil, 0, time.Time{}); err != nil || status != 200 {
					t.Errorf("next request: %d, %v", status, err)
				}
			}
		})
	}
	for _, bad := range []string{"https://x", "x:80", "http://", "http://u:p@x", "http://x/?q=1", "::"} {
		if _, err := newWireClient(bad, 1, time.Second); err == nil || !strings.Contains(err.Error(), "base URL") {
			t.Errorf("base URL %q: %v, want an error naming it", bad, err)
		}
	}
}

// TestWireClientArrival injects when an answer left the server and when the client reads it,
// and checks that the client times the answer by its arrival, not by its reading: a caller
// that reads late (the traffic reads a release's answers together) loses nothing of the
// timing, and one that waits for a slow answer gets the time it came.
func TestWireClientArrival(t *testing.T) {
	cases := []struct {
		name      string
		serverLag time.Duration // the handler waits this long before answering
		readLate  time.Duration // the client reads this long after sending
	}{
		{"read at once", 0, 0},
		{"read 300 ms after the answer came", 0, 300 * time.Millisecond},
		{"answer 200 ms late, read at once", 200 * time.Millisecond, 0},
		{"answer 100 ms late, read 300 ms after sending", 100 * time.Millisecond, 300 * time.Millisecond},
		// Not there when read: the client waits for it (were the kernel still told to stay
		// quiet, this would end at the 5 s deadline, an error).
		{"answer 400 ms late, read 100 ms after sending", 400 * time.Millisecond, 100 * time.Millisecond},
	}
	var mu sync.Mutex
	var before, after time.Time // around the answer's one write to the socket
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lag, _ := time.ParseDuration(r.URL.Query().Get("lag"))
		time.Sleep(lag)
		w.Header().Set("Content-Length", "2")
		mu.Lock()
		defer mu.Unlock()
		before = time.Now()
		io.WriteString(w, "ok")
		w.(http.Flusher).Flush()
		after = time.Now()
	}))
	defer srv.Close()
	cl, err := newWireClient(srv.URL, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sent := time.Now()
			status, at, err := cl.do(context.Background(), "GET", "/?lag="+c.serverLag.String(), "", "", nil, 0, sent.Add(c.readLate))
			returned := time.Now()
			if err != nil || status != 200 {
				t.Fatalf("status %d, %v", status, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if returned.Sub(sent) < c.readLate {
				t.Errorf("returned %v after sending, before the %v it was to wait", returned.Sub(sent), c.readLate)
			}
			// The answer reached the client after the server began writing it, and within a
			// few milliseconds of its write's end; reading it can come much later.
			if at.Before(before) || at.After(after.Add(20*time.Millisecond)) {
				t.Errorf("answer timed %v after the server wrote it (%v after it finished), read %v after; want its arrival, within 20 ms of the write",
					at.Sub(before), at.Sub(after), returned.Sub(after))
			}
		})
	}
}
