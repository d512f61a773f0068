package saas

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// upsertSQL writes a record of a live site in one round trip. No row back means the site is
// missing or deleted. xmax is 0 on a freshly inserted row version and the updating transaction's
// id on an updated one, which tells 201 from 200 without a second query. The autocommit
// statement returns after COMMIT, with synchronous_commit on (see NewPool).
const upsertSQL = `INSERT INTO records (id, tenant_id, site_id, key, value, updated_at)
	SELECT nextval('object_id'), s.tenant_id, s.id, $2, $3, now() FROM (` + liveSiteSQL + `) s
	ON CONFLICT (site_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
	RETURNING id, site_id, tenant_id, key, value, updated_at, xmax = 0`

func (h *handler) putRecord(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	key := r.PathValue("key")
	if err := checkText("key", key, MaxKeyBytes); err != nil {
		h.fail(w, err)
		return
	}
	var in struct{ Value *string }
	if err := decode(w, r, &in); err != nil {
		h.fail(w, err)
		return
	}
	if in.Value == nil {
		h.fail(w, badRequest(`value is missing: want {"value":"..."}`))
		return
	}
	if err := checkText("value", *in.Value, MaxValueBytes); err != nil {
		h.fail(w, err)
		return
	}
	var rec Record
	var inserted bool
	err = h.run(r.Context(), h.opts.QueryTimeout, false, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, upsertSQL, id, key, *in.Value).
			Scan(&rec.ID, &rec.SiteID, &rec.TenantID, &rec.Key, &rec.Value, &rec.UpdatedAt, &inserted)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = siteGone(id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	rec.UpdatedAt = rec.UpdatedAt.UTC()
	status := http.StatusOK
	if inserted {
		status = http.StatusCreated
	}
	writeJSON(w, status, rec)
}

// getRecordSQL returns one row when the site is live: the record's columns are NULL when the key
// is absent, so a missing site and a missing key are told apart in one round trip.
const getRecordSQL = `SELECT r.id, r.site_id, r.tenant_id, r.key, r.value, r.updated_at
	FROM (` + liveSiteSQL + `) s LEFT JOIN records r ON r.site_id = s.id AND r.key = $2`

func (h *handler) getRecord(w http.ResponseWriter, r *http.Request) {
	id, err := siteID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	key := r.PathValue("key")
	if err := checkText("key", key, MaxKeyBytes); err != nil {
		h.fail(w, err)
		return
	}
	var (
		rid, sid, tid *int64
		k, v          *string
		at            *time.Time
		rec           Record
	)
	err = h.run(r.Context(), h.opts.QueryTimeout, true, func(ctx context.Context) error {
		return h.db.QueryRow(ctx, getRecordSQL, id, key).Scan(&rid, &sid, &tid, &k, &v, &at)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = siteGone(id)
	case err == nil && rid == nil:
		err = notFound("record %q of site %d not found", key, id)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	rec.ID, rec.SiteID, rec.TenantID, rec.Key, rec.Value, rec.UpdatedAt = *rid, *sid, *tid, *k, *v, at.UTC()
	writeJSON(w, http.StatusOK, rec)
}

func (h *handler) listRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prefix := q.Get("prefix")
	// Empty is allowed (no filter); otherwise the rules of a key: a NUL or bad UTF-8 would
	// reach Postgres and come back as a 500.
	if prefix != "" {
		if err := checkText("prefix", prefix, MaxKeyBytes); err != nil {
			h.fail(w, err)
			return
		}
	}
	limit := DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			h.fail(w, badRequest("limit %q: want an integer from 1 to %d", s, MaxListLimit))
			return
		}
		limit = n
	}
	listLive(h, w, r, `SELECT id, site_id, tenant_id, key, value, updated_at FROM records
		WHERE site_id = $1 AND ($2 = '' OR starts_with(key, $2)) ORDER BY key LIMIT $3`,
		func(rows pgx.Rows) (Record, error) {
			var rec Record
			err := rows.Scan(&rec.ID, &rec.SiteID, &rec.TenantID, &rec.Key, &rec.Value, &rec.UpdatedAt)
			rec.UpdatedAt = rec.UpdatedAt.UTC()
			return rec, err
		}, prefix, limit)
}
