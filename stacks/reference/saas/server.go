package saas

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options tune the handler. The zero value is ready to use.
type Options struct {
	// AccessLog, when set, gets one line per request. Off by default: at hundreds of requests
	// per second it costs more than it tells.
	AccessLog io.Writer
	// QueryTimeout bounds every request's database work (default 5s). A request that runs out
	// of it is answered 503.
	QueryTimeout time.Duration
	// HealthTimeout bounds /healthz and the per-site health query (default 2s), so that a probe
	// of a paused database fails fast instead of piling up.
	HealthTimeout time.Duration
	// AdminToken is what destructive routes (DELETE /v1/sites/{id}) require as
	// "Authorization: Bearer <token>". Empty: those routes are refused to everyone.
	AdminToken string
	// ErrorLog gets the database errors that answers do not show (a client sees a generic
	// message and a request ID to look up here); nil: discarded.
	ErrorLog io.Writer
}

// Limits of the input the API accepts.
const (
	MaxKeyBytes   = 200
	MaxValueBytes = 64 << 10
	MaxBodyBytes  = 1 << 20
	MaxListLimit  = 1000
	DefaultLimit  = 100
	maxNameBytes  = 200
)

type handler struct {
	db     *pgxpool.Pool
	mux    *http.ServeMux
	log    *slog.Logger
	errLog *slog.Logger
	opts   Options
	reqID  atomic.Uint64
}

// NewHandler returns the service's HTTP API over db. See the package documentation for routes.
func NewHandler(db *pgxpool.Pool, opts Options) http.Handler {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 5 * time.Second
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = 2 * time.Second
	}
	h := &handler{db: db, mux: http.NewServeMux(), opts: opts}
	if opts.AccessLog != nil {
		h.log = slog.New(slog.NewTextHandler(opts.AccessLog, nil))
	}
	errLog := opts.ErrorLog
	if errLog == nil {
		errLog = io.Discard
	}
	h.errLog = slog.New(slog.NewTextHandler(errLog, nil))
	m := h.mux
	m.HandleFunc("GET /healthz", h.healthz)
	m.HandleFunc("POST /v1/tenants", h.createTenant)
	m.HandleFunc("GET /v1/tenants/{id}", h.getTenant)
	m.HandleFunc("POST /v1/tenants/{id}/sites", h.createSite)
	m.HandleFunc("GET /v1/sites/{id}", h.getSite)
	m.HandleFunc("DELETE /v1/sites/{id}", h.admin(h.deleteSite))
	m.HandleFunc("POST /v1/sites/{id}/restore", h.restoreSite)
	m.HandleFunc("GET /v1/sites/{id}/health", h.siteHealth)
	m.HandleFunc("POST /v1/health/sites", h.bulkHealth)
	m.HandleFunc("GET /v1/sites/{id}/products", h.listProducts)
	m.HandleFunc("POST /v1/sites/{id}/products", h.createProduct)
	m.HandleFunc("GET /v1/sites/{id}/users", h.listUsers)
	m.HandleFunc("POST /v1/sites/{id}/users", h.createUser)
	m.HandleFunc("GET /v1/sites/{id}/apps", h.listApps)
	m.HandleFunc("POST /v1/sites/{id}/apps", h.createApp)
	m.HandleFunc("GET /v1/sites/{id}/records", h.listRecords)
	m.HandleFunc("GET /v1/sites/{id}/records/{key}", h.getRecord)
	m.HandleFunc("PUT /v1/sites/{id}/records/{key}", h.putRecord)
	m.HandleFunc("/", h.noRoute)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.log == nil {
		h.mux.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.mux.ServeHTTP(sw, r)
	h.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
		"duration", time.Since(start).Round(time.Microsecond))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// noRoute answers every request no other pattern takes: 405 with Allow when the path exists
// under another method, 404 otherwise, both as JSON like every other error.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s (allowed: %s)",
			r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
}

// httpError is an error with the status and message the client gets.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, Error{Error: msg})
}

// fail answers err: its own status for an httpError, 503 when the database is unreachable or too
// slow (the client may retry), 409 for a uniqueness conflict, 500 otherwise.
func (h *handler) fail(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	// The database's own text (constraint names, values, SQL) stays in the error log: the
	// answer says what kind of failure it was and which request to look up.
	id := h.reqID.Add(1)
	h.errLog.Error("request failed", "request_id", id, "err", redact(err))
	ref := fmt.Sprintf(" (request %d)", id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			writeError(w, http.StatusConflict, "already exists"+ref)
		case pgErr.Code == "23503":
			writeError(w, http.StatusNotFound, "parent row is gone"+ref)
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"),
			pgErr.Code == "53300", pgErr.Code == "40001", pgErr.Code == "40P01":
			writeError(w, http.StatusServiceUnavailable, "database unavailable"+ref)
		default:
			writeError(w, http.StatusInternalServerError, "database error"+ref)
		}
		return
	}
	// Anything that is not a server error is the transport: refused, reset, timed out, closed.
	writeError(w, http.StatusServiceUnavailable, "database unavailable"+ref)
}

// admin lets a request through to next only with the admin token: destructive routes must not
// be one curl away for whoever reaches the port.
func (h *handler) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.opts.AdminToken == "" {
			writeError(w, http.StatusForbidden, "destructive routes are disabled: the service has no admin token (SAASD_ADMIN_TOKEN)")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, "this route needs the admin token: Authorization: Bearer <token>")
			return
		}
		next(w, r)
	}
}

// transient reports whether err came from the connection rather than from the server's answer.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08")
	}
	return err != nil && !errors.Is(err, pgx.ErrNoRows) && !errors.Is(err, context.Canceled)
}

// run calls fn with the request's deadline. When fn fails on a dead connection, the pool
// is reset so that other stale connections of a restarted or replaced server are not tried one
// request at a time, and fn is tried once more if that is safe: always for reads (idempotent),
// only when nothing reached the server for writes (pgconn.SafeToRetry).
func (h *handler) run(ctx context.Context, timeout time.Duration, read bool, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := fn(ctx)
	if err == nil || !transient(err) || ctx.Err() != nil {
		return err
	}
	h.db.Reset()
	if read || pgconn.SafeToRetry(err) {
		err = fn(ctx)
	}
	return err
}

func siteID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("site id %q is not a positive integer", raw)
	}
	return id, nil
}

func tenantID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("tenant id %q is not a positive integer", raw)
	}
	return id, nil
}

// decode reads one JSON object of at most MaxBodyBytes into v. Unknown fields are ignored so
// that clients may send more than we read.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)}
		case errors.Is(err, io.EOF):
			return badRequest("empty body: a JSON object is expected")
		default:
			return badRequest("bad JSON body: %v", err)
		}
	}
	if dec.More() {
		return badRequest("bad JSON body: more than one JSON value")
	}
	return nil
}

// checkText validates a text field: not empty, at most max bytes, valid UTF-8 without NUL (which
// Postgres text cannot hold).
func checkText(field, v string, max int) error {
	switch {
	case v == "":
		return badRequest("%s must not be empty", field)
	case len(v) > max:
		return badRequest("%s is %d bytes, more than the %d allowed", field, len(v), max)
	case !utf8.ValidString(v):
		return badRequest("%s is not valid UTF-8", field)
	case strings.IndexByte(v, 0) >= 0:
		return badRequest("%s contains a NUL byte", field)
	}
	return nil
}

func redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	// pgx's connect errors name the user and host; passwords only appear in URLs, strip those.
	if i := strings.Index(msg, "://"); i >= 0 {
		if j := strings.Index(msg[i:], "@"); j >= 0 {
			if k := strings.LastIndex(msg[i:i+j], ":"); k > 0 {
				msg = msg[:i+k] + ":xxxxx" + msg[i+j:]
			}
		}
	}
	return errors.New(msg)
}

func hasParam(dsn, name string) bool {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Query().Has(name)
	}
	return strings.Contains(dsn, name+"=")
}
