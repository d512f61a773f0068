package saas

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

const maxHostnameBytes = 253

func checkHostname(h string) error {
	if err := checkText("hostname", h, maxHostnameBytes); err != nil {
		return err
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
		if !ok {
			return badRequest("hostname %q: character %q at byte %d is not a letter, digit, '-', '_' or '.'", h, c, i)
		}
	}
	return nil
}

func (h *handler) createSite(w http.ResponseWriter, r *http.Request) {
	tid, err := tenantID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var in struct{ Hostname string }
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkHostname(in.Hostname); err != nil {
		h.fail(w, err)
		return
	}
	var s Site
	err = h.run(r.Context(), h.opts.QueryTimeout, false, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, `INSERT INTO sites (id, tenant_id, hostname, created_at)
			SELECT nextval('object_id'), t.id, $2, now() FROM tenants t WHERE t.id = $1 AND t.deleted_at IS NULL
			RETURNING id, tenant_id, hostname, created_at`, tid, in.Hostname).
			Scan(&s.ID, &s.TenantID, &s.Hostname, &s.CreatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("tenant %d not found or deleted", tid)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	s.CreatedAt = s.CreatedAt.UTC()
	writeJSON(w, http.StatusCreated, s)
}

func (h *handler) getSite(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	s := Site{Counts: &SiteCounts{}}
	c := s.Counts
	err = h.run(r.Context(), h.opts.QueryTimeout, true, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, `SELECT s.id, s.tenant_id, s.hostname, s.created_at, s.deleted_at,
				(SELECT count(*) FROM products WHERE site_id = s.id),
				(SELECT count(*) FROM users WHERE site_id = s.id),
				(SELECT count(*) FROM apps WHERE site_id = s.id),
				(SELECT count(*) FROM records WHERE site_id = s.id),
				(SELECT count(*) FROM products WHERE site_id = s.id AND deleted_at IS NULL),
				(SELECT count(*) FROM users WHERE site_id = s.id AND deleted_at IS NULL),
				(SELECT count(*) FROM apps WHERE site_id = s.id AND deleted_at IS NULL)
			FROM sites s WHERE s.id = $1`, id).
			Scan(&s.ID, &s.TenantID, &s.Hostname, &s.CreatedAt, &s.DeletedAt,
				&c.Products, &c.Users, &c.Apps, &c.Records, &c.LiveProducts, &c.LiveUsers, &c.LiveApps)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("site %d not found", id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	s.CreatedAt, s.DeletedAt = s.CreatedAt.UTC(), utcPtr(s.DeletedAt)
	writeJSON(w, http.StatusOK, s)
}

// softDeleteSQL marks the site and its live products, users and apps in one statement (so one
// transaction, with one timestamp, which restoreSQL relies on). Marking a marked site changes
// nothing. The last column tells a missing site from an already marked one.
const softDeleteSQL = `WITH s AS (
		UPDATE sites SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id),
	p AS (UPDATE products SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1),
	u AS (UPDATE users SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1),
	a AS (UPDATE apps SET deleted_at = now() WHERE site_id IN (SELECT id FROM s) AND deleted_at IS NULL RETURNING 1)
	SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM p), (SELECT count(*) FROM u), (SELECT count(*) FROM a),
		(SELECT count(*) FROM records WHERE site_id IN (SELECT id FROM s)),
		EXISTS (SELECT 1 FROM sites WHERE id = $1)`

// hardDeleteSQL deletes the site; the foreign keys cascade to its children. The counts come from
// the statement's snapshot, taken before the delete.
const hardDeleteSQL = `WITH d AS (DELETE FROM sites WHERE id = $1 RETURNING id)
	SELECT (SELECT count(*) FROM d),
		(SELECT count(*) FROM products WHERE site_id = $1), (SELECT count(*) FROM users WHERE site_id = $1),
		(SELECT count(*) FROM apps WHERE site_id = $1), (SELECT count(*) FROM records WHERE site_id = $1),
		(SELECT count(*) FROM d) > 0`

// restoreSQL clears the site's mark and the marks of the children marked with it or later; a
// child marked before the site (an app removed on its own) stays removed.
const restoreSQL = `WITH s AS (SELECT id, deleted_at FROM sites WHERE id = $1 AND deleted_at IS NOT NULL),
	r AS (UPDATE sites SET deleted_at = NULL WHERE id IN (SELECT id FROM s) RETURNING id),
	p AS (UPDATE products c SET deleted_at = NULL FROM s WHERE c.site_id = s.id AND c.deleted_at >= s.deleted_at RETURNING 1),
	u AS (UPDATE users c SET deleted_at = NULL FROM s WHERE c.site_id = s.id AND c.deleted_at >= s.deleted_at RETURNING 1),
	a AS (UPDATE apps c SET deleted_at = NULL FROM s WHERE c.site_id = s.id AND c.deleted_at >= s.deleted_at RETURNING 1)
	SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM p), (SELECT count(*) FROM u), (SELECT count(*) FROM a),
		(SELECT count(*) FROM records WHERE site_id IN (SELECT id FROM s)),
		EXISTS (SELECT 1 FROM sites WHERE id = $1)`

func (h *handler) deleteSite(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	mode := r.URL.Query().Get("mode")
	if mode == "" {
		mode = "soft"
	}
	var q string
	switch strings.ToLower(mode) {
	case "soft":
		q = softDeleteSQL
	case "hard":
		q = hardDeleteSQL
	default:
		h.fail(w, badRequest("mode %q: want soft or hard", mode))
		return
	}
	h.siteStatement(w, r, id, strings.ToLower(mode), q)
}

func (h *handler) restoreSite(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.siteStatement(w, r, id, "restore", restoreSQL)
}

func (h *handler) siteStatement(w http.ResponseWriter, r *http.Request, id int64, mode, q string) {
	res := DeleteResult{Site: id, Mode: mode}
	var exists bool
	err := h.run(r.Context(), h.opts.QueryTimeout, false, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, q, id).Scan(&res.Sites, &res.Products, &res.Users, &res.Apps, &res.Records, &exists)
	})
	if err == nil && !exists {
		err = notFound("site %d not found", id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// healthSQL answers the site's health in one round trip: no row means the site is missing.
const healthSQL = `SELECT s.deleted_at IS NOT NULL, t.id IS NULL OR t.deleted_at IS NOT NULL,
		EXISTS (SELECT 1 FROM products p WHERE p.site_id = s.id AND p.deleted_at IS NULL),
		EXISTS (SELECT 1 FROM users u WHERE u.site_id = s.id AND u.deleted_at IS NULL)
	FROM sites s LEFT JOIN tenants t ON t.id = s.tenant_id WHERE s.id = $1`

func (h *handler) siteHealth(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var siteDeleted, tenantDeleted, hasProduct, hasUser bool
	err = h.run(r.Context(), h.opts.HealthTimeout, true, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, healthSQL, id).Scan(&siteDeleted, &tenantDeleted, &hasProduct, &hasUser)
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		h.fail(w, err)
		return
	}
	hl := classify(id, err == nil, siteDeleted, tenantDeleted, hasProduct, hasUser)
	status := http.StatusOK
	if hl.Status != StatusHealthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, hl)
}

// classify turns the facts of healthSQL into a Health.
func classify(id int64, found, siteDeleted, tenantDeleted, hasProduct, hasUser bool) Health {
	hl := Health{Site: id, Status: StatusHealthy}
	switch {
	case !found:
		hl.Status, hl.Reason = StatusMissing, "site not found"
	case siteDeleted:
		hl.Status, hl.Reason = StatusDeleted, "site is soft-deleted"
	case tenantDeleted:
		hl.Status, hl.Reason = StatusDeleted, "tenant of the site is deleted"
	case !hasProduct:
		hl.Status, hl.Reason = StatusDegraded, "site has no live product"
	case !hasUser:
		hl.Status, hl.Reason = StatusDegraded, "site has no live user"
	}
	return hl
}

// MaxBulkHealth is the most sites one POST /v1/health/sites may ask about.
const MaxBulkHealth = 5000

// BulkHealth is the answer of POST /v1/health/sites: one Health per asked site, in the order
// asked, and how many are healthy. With ?list=down, Sites holds only the sites that are not
// healthy (still in the order asked; the counts cover every site): a prober of thousands of
// sites then reads a few bytes a chunk while all is well.
type BulkHealth struct {
	Sites   []Health `json:"sites"`
	Healthy int      `json:"healthy"`
	Down    int      `json:"down"`
}

// bulkHealthSQL is healthSQL for many sites in one round trip.
const bulkHealthSQL = `SELECT i.id, s.id IS NOT NULL, coalesce(s.deleted_at IS NOT NULL, false),
		t.id IS NULL OR t.deleted_at IS NOT NULL,
		EXISTS (SELECT 1 FROM products p WHERE p.site_id = s.id AND p.deleted_at IS NULL),
		EXISTS (SELECT 1 FROM users u WHERE u.site_id = s.id AND u.deleted_at IS NULL)
	FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, ord)
	LEFT JOIN sites s ON s.id = i.id LEFT JOIN tenants t ON t.id = s.tenant_id
	ORDER BY i.ord`

// bulkHealth answers the health of many sites at once, for probers of thousands of sites: the
// same rules as GET /v1/sites/{id}/health, one query instead of one per site. The status is 200
// whenever the database answered; each site's own status is in the body.
func (h *handler) bulkHealth(w http.ResponseWriter, r *http.Request) {
	var in struct{ Sites []int64 }
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if len(in.Sites) == 0 || len(in.Sites) > MaxBulkHealth {
		h.fail(w, badRequest(`sites: %d ids, want 1 to %d: {"sites":[id, ...]}`, len(in.Sites), MaxBulkHealth))
		return
	}
	list := r.URL.Query().Get("list")
	if list != "" && list != "all" && list != "down" {
		h.fail(w, badRequest(`list=%q: want all (the default) or down`, list))
		return
	}
	var out BulkHealth
	err := h.run(r.Context(), h.opts.HealthTimeout, true, func(ctx context.Context) error {
		out = BulkHealth{Sites: make([]Health, 0, len(in.Sites))}
		rows, err := h.db.Query(ctx, bulkHealthSQL, in.Sites)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var found, siteDeleted, tenantDeleted, hasProduct, hasUser bool
			if err := rows.Scan(&id, &found, &siteDeleted, &tenantDeleted, &hasProduct, &hasUser); err != nil {
				return err
			}
			hl := classify(id, found, siteDeleted, tenantDeleted, hasProduct, hasUser)
			if hl.Status == StatusHealthy {
				out.Healthy++
				if list == "down" {
					continue
				}
			} else {
				out.Down++
			}
			out.Sites = append(out.Sites, hl)
		}
		return rows.Err()
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
