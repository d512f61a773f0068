// Package notesd is the notes example stack's service: a small HTTP API over the notes schema
// (stacks/notes/schema.sql) that reads a workspace and writes and reads its pages, hiding the
// workspaces notes-purge marked (deleted_at set).
//
// Routes:
//
//	GET /ready                              204 when the database answers SELECT 1 within 2s, else 503
//	GET /v1/workspaces/{id}                 200 {"id","org_id","title"}; 404 when absent or marked
//	PUT /v1/workspaces/{id}/pages/{slug}    body {"body":"..."}: 201 created, 200 updated, 404 no live workspace
//	GET /v1/workspaces/{id}/pages/{slug}    200 {"body"}; 404 when absent or its workspace is marked
//
// Bad input is 400, a database that fails or is too slow 503; errors are JSON {"error":"..."}.
package notesd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limits of the input the API accepts.
const (
	MaxSlugBytes = 200
	MaxPageBytes = 64 << 10
	MaxBodyBytes = 1 << 20
)

// Options tune the handler. The zero value is ready to use.
type Options struct {
	// QueryTimeout bounds a page request's database work (default 5s).
	QueryTimeout time.Duration
	// HealthTimeout bounds /ready and the workspace read, the drill's probes (default 2s).
	HealthTimeout time.Duration
	// ErrorLog gets the database errors answers do not show; nil: discarded.
	ErrorLog *slog.Logger
}

// Workspace is the answer of GET /v1/workspaces/{id}.
type Workspace struct {
	ID    int64  `json:"id"`
	OrgID int64  `json:"org_id"`
	Title string `json:"title"`
}

// Page is the body of a page's PUT and the answer of its GET.
type Page struct {
	Body *string `json:"body"`
}

type handler struct {
	db   *pgxpool.Pool
	opts Options
}

// NewPool opens a pool on dsn that does not connect before its first query, so the service
// starts while Postgres is still down and comes back by itself after Postgres does. Its errors
// never quote dsn.
func NewPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors quote the DSN, password included.
		return nil, errors.New("parse database URL: not a PostgreSQL URL or key=value string")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A paused or unreachable server must turn into a quick 503, not a hung request.
		cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["application_name"] = "notesd"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	return pool, nil
}

// NewHandler returns the service's HTTP API over db.
func NewHandler(db *pgxpool.Pool, opts Options) http.Handler {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 5 * time.Second
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = 2 * time.Second
	}
	if opts.ErrorLog == nil {
		opts.ErrorLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &handler{db: db, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", h.ready)
	mux.HandleFunc("GET /v1/workspaces/{id}", h.getWorkspace)
	mux.HandleFunc("PUT /v1/workspaces/{id}/pages/{slug}", h.putPage)
	mux.HandleFunc("GET /v1/workspaces/{id}/pages/{slug}", h.getPage)
	return mux
}

const (
	workspaceSQL = `SELECT w.id, w.org_id, w.title FROM workspaces w JOIN orgs o ON o.id = w.org_id
		WHERE w.id = $1 AND w.deleted_at IS NULL`
	// putPageSQL writes only under a live workspace, in one statement; xmax = 0 tells a new
	// row from an updated one.
	putPageSQL = `INSERT INTO pages (workspace_id, slug, body, updated_at)
		SELECT w.id, $2, $3, now() FROM workspaces w WHERE w.id = $1 AND w.deleted_at IS NULL
		ON CONFLICT (workspace_id, slug) DO UPDATE SET body = EXCLUDED.body, updated_at = now()
		RETURNING (xmax = 0)`
	getPageSQL = `SELECT p.body FROM pages p JOIN workspaces w ON w.id = p.workspace_id AND w.deleted_at IS NULL
		WHERE p.workspace_id = $1 AND p.slug = $2`
)

func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.HealthTimeout)
	defer cancel()
	var one int
	if err := h.db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) getWorkspace(w http.ResponseWriter, r *http.Request) {
	id, err := workspaceID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.HealthTimeout)
	defer cancel()
	var ws Workspace
	err = h.db.QueryRow(ctx, workspaceSQL, id).Scan(&ws.ID, &ws.OrgID, &ws.Title)
	if errors.Is(err, pgx.ErrNoRows) {
		err = &httpError{http.StatusNotFound, fmt.Sprintf("workspace %d not found", id)}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ws)
}

func (h *handler) putPage(w http.ResponseWriter, r *http.Request) {
	id, slug, err := pageKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p Page
	if err := decode(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.QueryTimeout)
	defer cancel()
	var inserted bool
	err = h.db.QueryRow(ctx, putPageSQL, id, slug, *p.Body).Scan(&inserted)
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pgErr) && pgErr.Code == "23503" {
		// No live workspace, or it was deleted between the SELECT and the INSERT.
		err = &httpError{http.StatusNotFound, fmt.Sprintf("workspace %d not found", id)}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if inserted {
		status = http.StatusCreated
	}
	writeJSON(w, status, p)
}

func (h *handler) getPage(w http.ResponseWriter, r *http.Request) {
	id, slug, err := pageKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.QueryTimeout)
	defer cancel()
	var body string
	err = h.db.QueryRow(ctx, getPageSQL, id, slug).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		err = &httpError{http.StatusNotFound, fmt.Sprintf("page %q of workspace %d not found", slug, id)}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page{Body: &body})
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

// fail answers err: its own status for an httpError, 503 for anything the database did (down,
// too slow, refusing): the client may retry. The database's text goes to the error log only.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, map[string]string{"error": he.msg})
		return
	}
	h.opts.ErrorLog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database unavailable"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func workspaceID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, badRequest("workspace id %q: not an integer", s)
	}
	return id, nil
}

func pageKey(r *http.Request) (int64, string, error) {
	id, err := workspaceID(r)
	if err != nil {
		return 0, "", err
	}
	slug := r.PathValue("slug")
	if err := checkText("slug", slug, MaxSlugBytes); err != nil {
		return 0, "", err
	}
	if slug == "" {
		return 0, "", badRequest("slug: empty")
	}
	return id, slug, nil
}

// decode reads a page body of at most MaxBodyBytes with a "body" field of at most MaxPageBytes.
func decode(w http.ResponseWriter, r *http.Request, p *Page) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err := dec.Decode(p); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return badRequest("request body over %d bytes", MaxBodyBytes)
		}
		return badRequest("bad JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("bad JSON body: more than one value")
	}
	if p.Body == nil {
		return badRequest(`bad JSON body: want {"body":"..."}`)
	}
	return checkText("body", *p.Body, MaxPageBytes)
}

// checkText refuses what PostgreSQL's text would (invalid UTF-8, NUL) and what is over max bytes.
func checkText(field, v string, max int) error {
	switch {
	case len(v) > max:
		return badRequest("%s: %d bytes, at most %d", field, len(v), max)
	case !utf8.ValidString(v):
		return badRequest("%s: not valid UTF-8", field)
	case strings.IndexByte(v, 0) >= 0:
		return badRequest("%s: holds a NUL byte", field)
	}
	return nil
}
