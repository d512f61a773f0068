// Package saas is the reference multi-tenant service that drills break and restore: its schema
// (tenants, sites, products, users, apps, records; see schema.sql) and its HTTP API over
// PostgreSQL.
//
// Data enters through the JSON API (NewHandler over a pool from NewPool) or, for seeding, through
// COPY into the bare tables (CreateTables, then AddConstraints). It leaves through the same API:
// the per-site health endpoint that the availability prober polls, and the record endpoints that
// live traffic writes and the verifier reads. An acknowledged write (2xx) has been committed.
//
// Routes (errors are JSON {"error": "..."}):
//
//	GET    /healthz                       200 {"status":"ok"} | 503 when the database does not answer
//	POST   /v1/tenants                    {"name","plan"} → 201 Tenant
//	GET    /v1/tenants/{id}               Tenant with site_ids (live) and deleted_site_ids (soft-deleted)
//	POST   /v1/tenants/{id}/sites         {"hostname"} → 201 Site (404 tenant missing/deleted, 409 hostname taken)
//	GET    /v1/sites/{id}                 Site with row counts (also when soft-deleted: it shows deleted_at)
//	DELETE /v1/sites/{id}?mode=soft|hard  soft (default) marks the site and its products, users and apps;
//	                                      hard deletes the site, the foreign keys cascade to every child
//	POST   /v1/sites/{id}/restore         clears a soft delete of the site and of the children marked with it
//	GET    /v1/sites/{id}/health          200 healthy | 503 missing, deleted or degraded, with a reason
//	POST   /v1/health/sites               {"sites":[id,...]} (1..5000) → 200 BulkHealth: the same verdicts in
//	                                      one query, for probers of thousands of sites
//	GET    /v1/sites/{id}/products        live rows only; POST {"kind","seats"} → 201
//	GET    /v1/sites/{id}/users           live rows only; POST {"email","name"} → 201
//	GET    /v1/sites/{id}/apps            live rows only; POST {"app_key","name","version"} → 201
//	GET    /v1/sites/{id}/records?prefix=P&limit=N   ordered by key; limit 1..1000, default 100
//	GET    /v1/sites/{id}/records/{key}
//	PUT    /v1/sites/{id}/records/{key}   {"value"} → 201 created | 200 updated, after COMMIT
//
// Every /v1/sites/{id}/... route except GET /v1/sites/{id}, DELETE, restore and health answers 404
// when the site is missing, soft-deleted, or its tenant is soft-deleted: for the tenant the site
// is gone.
// A database that does not answer gives 503; the pool reconnects on its own when it is back.
package saas
