package saas

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	err := h.run(r.Context(), h.opts.HealthTimeout, true, func(ctx context.Context) error {
		var one int
		return h.db.QueryRow(ctx, "SELECT 1").Scan(&one)
	})
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": redact(err).Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) createTenant(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name, Plan string }
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkText("name", in.Name, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	if err := checkText("plan", in.Plan, maxNameBytes); err != nil {
		h.fail(w, err)
		return
	}
	t := Tenant{SiteIDs: []int64{}, DeletedSiteIDs: []int64{}}
	err := h.run(r.Context(), h.opts.QueryTimeout, false, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, `INSERT INTO tenants (id, name, plan, created_at)
			VALUES (nextval('object_id'), $1, $2, now()) RETURNING id, name, plan, created_at`,
			in.Name, in.Plan).Scan(&t.ID, &t.Name, &t.Plan, &t.CreatedAt)
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	t.CreatedAt = t.CreatedAt.UTC()
	writeJSON(w, http.StatusCreated, t)
}

func (h *handler) getTenant(w http.ResponseWriter, r *http.Request) {
	id, err := tenantID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var t Tenant
	err = h.run(r.Context(), h.opts.QueryTimeout, true, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, `SELECT t.id, t.name, t.plan, t.created_at, t.deleted_at,
				coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL AND s.deleted_at IS NULL), '{}'),
				coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.deleted_at IS NOT NULL), '{}')
			FROM tenants t LEFT JOIN sites s ON s.tenant_id = t.id
			WHERE t.id = $1 GROUP BY t.id`, id).
			Scan(&t.ID, &t.Name, &t.Plan, &t.CreatedAt, &t.DeletedAt, &t.SiteIDs, &t.DeletedSiteIDs)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("tenant %d not found", id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	t.CreatedAt, t.DeletedAt = t.CreatedAt.UTC(), utcPtr(t.DeletedAt)
	writeJSON(w, http.StatusOK, t)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
