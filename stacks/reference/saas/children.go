package saas

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

// liveSiteSQL finds a site a tenant can use: present, not soft-deleted, tenant not deleted.
// Creation statements select from it so that the existence check and the insert are one
// statement.
const liveSiteSQL = `SELECT s.id, s.tenant_id FROM sites s JOIN tenants t ON t.id = s.tenant_id
	WHERE s.id = $1 AND s.deleted_at IS NULL AND t.deleted_at IS NULL`

func siteGone(id int64) error {
	return notFound("site %d not found or deleted", id)
}

// listLive answers a list of a live site's live children: one query for the site (so that an
// empty list and a missing site differ), one for the rows.
func listLive[T any](h *handler, w http.ResponseWriter, r *http.Request, q string, scan func(pgx.Rows) (T, error), args ...any) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var out []T
	err = h.run(r.Context(), h.opts.QueryTimeout, true, func(ctx context.Context) error {
		out = []T{}
		var sid, tid int64
		if err := h.db.QueryRow(ctx, liveSiteSQL, id).Scan(&sid, &tid); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return siteGone(id)
			}
			return err
		}
		rows, err := h.db.Query(ctx, q, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// create inserts one child of a live site with q (which selects from liveSiteSQL) and answers 201.
func create[T any](h *handler, w http.ResponseWriter, r *http.Request, id int64, q string, scan func(pgx.Row) (T, error), args ...any) {
	var v T
	err := h.run(r.Context(), h.opts.QueryTimeout, false, func(ctx context.Context) error {
		var err error
		v, err = scan(h.db.QueryRow(ctx, q, append([]any{id}, args...)...))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = siteGone(id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.TenantID, &p.SiteID, &p.Kind, &p.Seats, &p.CreatedAt, &p.DeletedAt)
	p.CreatedAt, p.DeletedAt = p.CreatedAt.UTC(), utcPtr(p.DeletedAt)
	return p, err
}

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.TenantID, &u.SiteID, &u.Email, &u.Name, &u.CreatedAt, &u.DeletedAt)
	u.CreatedAt, u.DeletedAt = u.CreatedAt.UTC(), utcPtr(u.DeletedAt)
	return u, err
}

func scanApp(row pgx.Row) (App, error) {
	var a App
	err := row.Scan(&a.ID, &a.TenantID, &a.SiteID, &a.AppKey, &a.Name, &a.Version, &a.InstalledAt, &a.DeletedAt)
	a.InstalledAt, a.DeletedAt = a.InstalledAt.UTC(), utcPtr(a.DeletedAt)
	return a, err
}

func (h *handler) listProducts(w http.ResponseWriter, r *http.Request) {
	listLive(h, w, r, `SELECT id, tenant_id, site_id, kind, seats, created_at, deleted_at FROM products
		WHERE site_id = $1 AND deleted_at IS NULL ORDER BY id`, func(rows pgx.Rows) (Product, error) { return scanProduct(rows) })
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	listLive(h, w, r, `SELECT id, tenant_id, site_id, email, name, created_at, deleted_at FROM users
		WHERE site_id = $1 AND deleted_at IS NULL ORDER BY id`, func(rows pgx.Rows) (User, error) { return scanUser(rows) })
}

func (h *handler) listApps(w http.ResponseWriter, r *http.Request) {
	listLive(h, w, r, `SELECT id, tenant_id, site_id, app_key, name, version, installed_at, deleted_at FROM apps
		WHERE site_id = $1 AND deleted_at IS NULL ORDER BY id`, func(rows pgx.Rows) (App, error) { return scanApp(rows) })
}

func (h *handler) createProduct(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var in struct {
		Kind  string
		Seats *int32
	}
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkText("kind", in.Kind, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	seats := int32(1)
	if in.Seats != nil {
		if *in.Seats < 0 {
			h.fail(w, badRequest("seats %d: must be 0 or more", *in.Seats))
			return
		}
		seats = *in.Seats
	}
	create(h, w, r, id, `INSERT INTO products (id, tenant_id, site_id, kind, seats, created_at)
		SELECT nextval('object_id'), s.tenant_id, s.id, $2, $3, now() FROM (`+liveSiteSQL+`) s
		RETURNING id, tenant_id, site_id, kind, seats, created_at, deleted_at`, scanProduct, in.Kind, seats)
}

func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var in struct{ Email, Name string }
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkText("email", in.Email, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	if at := strings.IndexByte(in.Email, '@'); at <= 0 || at == len(in.Email)-1 {
		h.fail(w, badRequest("email %q: want local@domain", in.Email))
		return
	}
	if err := checkText("name", in.Name, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	create(h, w, r, id, `INSERT INTO users (id, tenant_id, site_id, email, name, created_at)
		SELECT nextval('object_id'), s.tenant_id, s.id, $2, $3, now() FROM (`+liveSiteSQL+`) s
		RETURNING id, tenant_id, site_id, email, name, created_at, deleted_at`, scanUser, in.Email, in.Name)
}

func (h *handler) createApp(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var in struct {
		AppKey  string `json:"app_key"`
		Name    string
		Version string
	}
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkText("app_key", in.AppKey, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	if in.Name == "" {
		in.Name = in.AppKey
	}
	if in.Version == "" {
		in.Version = "1.0.0"
	}
	for _, f := range []struct{ name, v string }{{"name", in.Name}, {"version", in.Version}} {
		if err := checkText(f.name, f.v, maxNameBytes); err != nil {
			h.fail(w, err)
			return
		}
	}
	create(h, w, r, id, `INSERT INTO apps (id, tenant_id, site_id, app_key, name, version, installed_at)
		SELECT nextval('object_id'), s.tenant_id, s.id, $2, $3, $4, now() FROM (`+liveSiteSQL+`) s
		RETURNING id, tenant_id, site_id, app_key, name, version, installed_at, deleted_at`, scanApp, in.AppKey, in.Name, in.Version)
}
