package saas

import "time"

// Tenant is a customer. SiteIDs are its live sites, DeletedSiteIDs its soft-deleted ones.
type Tenant struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Plan           string     `json:"plan"`
	CreatedAt      time.Time  `json:"created_at"`
	DeletedAt      *time.Time `json:"deleted_at,omitempty"`
	SiteIDs        []int64    `json:"site_ids"`
	DeletedSiteIDs []int64    `json:"deleted_site_ids"`
}

// Site is one site of a tenant. Counts is set by GET /v1/sites/{id} only.
type Site struct {
	ID        int64       `json:"id"`
	TenantID  int64       `json:"tenant_id"`
	Hostname  string      `json:"hostname"`
	CreatedAt time.Time   `json:"created_at"`
	DeletedAt *time.Time  `json:"deleted_at,omitempty"`
	Counts    *SiteCounts `json:"counts,omitempty"`
}

// SiteCounts are the rows a site holds, soft-deleted ones included (Live* exclude them).
type SiteCounts struct {
	Products     int64 `json:"products"`
	Users        int64 `json:"users"`
	Apps         int64 `json:"apps"`
	Records      int64 `json:"records"`
	LiveProducts int64 `json:"live_products"`
	LiveUsers    int64 `json:"live_users"`
	LiveApps     int64 `json:"live_apps"`
}

// Product is a product (jira, confluence, ...) enabled on a site.
type Product struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	SiteID    int64      `json:"site_id"`
	Kind      string     `json:"kind"`
	Seats     int32      `json:"seats"`
	CreatedAt time.Time  `json:"created_at"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// User is a user of a site.
type User struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	SiteID    int64      `json:"site_id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// App is a third-party app installed on a site.
type App struct {
	ID          int64      `json:"id"`
	TenantID    int64      `json:"tenant_id"`
	SiteID      int64      `json:"site_id"`
	AppKey      string     `json:"app_key"`
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	InstalledAt time.Time  `json:"installed_at"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

// Record is one key/value of a site's content.
type Record struct {
	ID        int64     `json:"id"`
	SiteID    int64     `json:"site_id"`
	TenantID  int64     `json:"tenant_id"`
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Health statuses of a site. Anything but StatusHealthy is served with 503.
const (
	StatusHealthy  = "healthy"
	StatusMissing  = "missing"  // no such site row (never existed, or permanently deleted)
	StatusDeleted  = "deleted"  // the site or its tenant is soft-deleted
	StatusDegraded = "degraded" // the site has no live product or no live user
)

// Health is the answer of GET /v1/sites/{id}/health.
type Health struct {
	Site   int64  `json:"site"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// DeleteResult is the answer of DELETE /v1/sites/{id} and POST /v1/sites/{id}/restore: rows
// marked (soft), deleted (hard) or unmarked (restore). Records have no soft-delete column: for
// soft they count the rows the mark hides.
type DeleteResult struct {
	Site     int64  `json:"site"`
	Mode     string `json:"mode"`
	Sites    int64  `json:"sites"`
	Products int64  `json:"products"`
	Users    int64  `json:"users"`
	Apps     int64  `json:"apps"`
	Records  int64  `json:"records"`
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
}
