package legacycleanup

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Mode is how rows are removed.
type Mode string

// Modes: mark sets deleted_at (reversible), purge deletes rows (the foreign keys cascade).
// Two more incident kinds real post-mortems show: truncate empties one table for every tenant
// at once (a migration run against the wrong database; it takes no IDs, Options.Table names the
// table), corrupt rewrites the records of the listed sites with garbage and, the bug, leaves
// updated_at as it was (data present but wrong).
const (
	ModeMark     Mode = "mark"
	ModePurge    Mode = "purge"
	ModeTruncate Mode = "truncate"
	ModeCorrupt  Mode = "corrupt"
)

// Modes lists the script's modes, as --mode takes them.
var Modes = []Mode{ModeMark, ModePurge, ModeTruncate, ModeCorrupt}

// TruncatableTables are the tables truncate mode empties: those a tenant owns that no other
// table references (TRUNCATE of sites or tenants would need CASCADE: everything would go).
var TruncatableTables = []string{"products", "users", "apps", "records"}

// Kind is what an ID turned out to be in the database.
type Kind string

// Kinds of IDs. Only KindSite and KindApp are acted on; the others are skipped.
const (
	KindSite     Kind = "site"
	KindApp      Kind = "app"
	KindTenant   Kind = "tenant"
	KindProduct  Kind = "product"
	KindUser     Kind = "user"
	KindRecord   Kind = "record"
	KindNotFound Kind = "not-found"
)

// DefaultAppKey is the deprecated app the script exists to remove.
const DefaultAppKey = "insight"

// DefaultBatch is the number of IDs per transaction.
const DefaultBatch = 100

// DB is what the script needs: a *pgx.Conn or a *pgxpool.Pool.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Options are the script's switches.
type Options struct {
	// RunID is the drill run whose database this must be (see dbmark.Table): required, and
	// checked before the plan is read and again inside every batch's transaction.
	RunID  string
	Mode   Mode
	AppKey string // the deprecated app; DefaultAppKey when empty
	// Guardrails the run applies; the zero value is the original script, guardrails off.
	Guardrails
	// Batch is the number of IDs per transaction; DefaultBatch when 0.
	Batch int
	// Pause waits between batches, to pace a run like the original's minutes-long one.
	Pause time.Duration
	// Log gets the progress lines; io.Discard when nil.
	Log io.Writer
	// Table is the table truncate mode empties (one of TruncatableTables); only that mode
	// takes one.
	Table string
}

func (o *Options) normalize() error {
	if !slices.Contains(Modes, o.Mode) {
		return fmt.Errorf("%w: mode %q: want mark, purge, truncate or corrupt", ErrBadInput, o.Mode)
	}
	switch {
	case o.Mode == ModeTruncate && !slices.Contains(TruncatableTables, o.Table):
		return fmt.Errorf("%w: truncate mode: table %q: want one of %s", ErrBadInput, o.Table, strings.Join(TruncatableTables, ", "))
	case o.Mode != ModeTruncate && o.Table != "":
		return fmt.Errorf("%w: a table (%q) is for truncate mode only, not %s", ErrBadInput, o.Table, o.Mode)
	}
	if o.RunID == "" {
		return fmt.Errorf("%w: no run id: the script acts only on the database of the drill run it is told (--run-id)", ErrBadInput)
	}
	if err := o.Guardrails.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if o.AppKey == "" {
		o.AppKey = DefaultAppKey
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.Batch < 0 {
		return fmt.Errorf("%w: batch %d: want a positive number of ids per transaction", ErrBadInput, o.Batch)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Counts are rows (and distinct tenants) a run removes: deleted by purge, marked by mark.
// Records have no deleted_at: in mark mode they count the records of the marked sites, which
// the service no longer serves.
type Counts struct {
	Sites    int64 `json:"sites"`
	Tenants  int64 `json:"tenants"`
	Products int64 `json:"products"`
	Users    int64 `json:"users"`
	Apps     int64 `json:"apps"`
	Records  int64 `json:"records"`
}

// String formats the counts as the script's log lines do: key=value pairs.
func (c Counts) String() string {
	return fmt.Sprintf("sites=%d tenants=%d products=%d users=%d apps=%d records=%d",
		c.Sites, c.Tenants, c.Products, c.Users, c.Apps, c.Records)
}

// Target is one ID of the file as resolved in the database.
type Target struct {
	ID     int64
	Kind   Kind
	AppKey string // set for KindApp
}

func (t Target) describe() string {
	if t.Kind == KindApp {
		return fmt.Sprintf("%d (app %q)", t.ID, t.AppKey)
	}
	return fmt.Sprintf("%d (%s)", t.ID, t.Kind)
}

// Plan is the blast radius of a run, computed read-only before anything changes.
type Plan struct {
	Mode    Mode
	Targets []Target
	Kinds   map[Kind]int // IDs per kind
	// BySite is what the site IDs take: the sites and all their children.
	BySite Counts
	// ByApp is what the app IDs take, apps on sites the site IDs already take excepted:
	// Apps removed, Sites that lose an app, Tenants owning them.
	ByApp Counts
	// Total is the union: distinct tenants, and every row once.
	Total Counts
	// AffectedSites is what MaxScope limits: sites removed plus sites losing an app.
	AffectedSites int64
}

// resolveSQL tells what each ID is. IDs come from one shared space, so at most one join matches.
const resolveSQL = `SELECT i.id,
		CASE WHEN s.id IS NOT NULL THEN 'site' WHEN a.id IS NOT NULL THEN 'app'
		     WHEN t.id IS NOT NULL THEN 'tenant' WHEN p.id IS NOT NULL THEN 'product'
		     WHEN u.id IS NOT NULL THEN 'user' WHEN r.id IS NOT NULL THEN 'record' ELSE 'not-found' END,
		coalesce(a.app_key, '')
	FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, ord)
	LEFT JOIN sites s ON s.id = i.id LEFT JOIN apps a ON a.id = i.id LEFT JOIN tenants t ON t.id = i.id
	LEFT JOIN products p ON p.id = i.id LEFT JOIN users u ON u.id = i.id LEFT JOIN records r ON r.id = i.id
	ORDER BY i.ord`

// radiusSQL counts what the run would remove, with the same conditions as the statements that
// remove it (see siteSQL, appSQL); %[1]s is the extra condition of mark mode, which skips rows
// already marked.
const radiusSQL = `WITH s AS (SELECT id, tenant_id FROM sites WHERE id = ANY($1) %[1]s),
	a AS (SELECT id, site_id, tenant_id FROM apps WHERE id = ANY($2) AND site_id NOT IN (SELECT id FROM s) %[1]s)
	SELECT (SELECT count(*) FROM s), (SELECT count(DISTINCT tenant_id) FROM s),
		(SELECT count(*) FROM products WHERE site_id IN (SELECT id FROM s) %[1]s),
		(SELECT count(*) FROM users WHERE site_id IN (SELECT id FROM s) %[1]s),
		(SELECT count(*) FROM apps WHERE site_id IN (SELECT id FROM s) %[1]s),
		(SELECT count(*) FROM records WHERE site_id IN (SELECT id FROM s)),
		(SELECT count(*) FROM a), (SELECT count(DISTINCT site_id) FROM a), (SELECT count(DISTINCT tenant_id) FROM a),
		(SELECT count(*) FROM (SELECT tenant_id FROM s UNION SELECT tenant_id FROM a) x)`

func markCond(m Mode) string {
	if m == ModeMark {
		return "AND deleted_at IS NULL"
	}
	return ""
}

// MakePlan resolves the IDs and computes the blast radius without changing anything.
func MakePlan(ctx context.Context, db DB, ids []int64, mode Mode, appKey string) (Plan, error) {
	p := Plan{Mode: mode, Kinds: map[Kind]int{}}
	rows, err := db.Query(ctx, resolveSQL, ids)
	if err != nil {
		return p, fmt.Errorf("resolve %d ids: %w", len(ids), err)
	}
	var siteIDs, appIDs []int64
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.ID, &t.Kind, &t.AppKey); err != nil {
			rows.Close()
			return p, fmt.Errorf("resolve ids: %w", err)
		}
		p.Targets = append(p.Targets, t)
		p.Kinds[t.Kind]++
		switch t.Kind {
		case KindSite:
			siteIDs = append(siteIDs, t.ID)
		case KindApp:
			appIDs = append(appIDs, t.ID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("resolve ids: %w", err)
	}
	if siteIDs == nil {
		siteIDs = []int64{}
	}
	if appIDs == nil || mode == ModeCorrupt {
		appIDs = []int64{} // corrupt mode rewrites the records of sites; an app holds none
	}
	s, a := &p.BySite, &p.ByApp
	err = db.QueryRow(ctx, fmt.Sprintf(radiusSQL, markCond(mode)), siteIDs, appIDs).Scan(
		&s.Sites, &s.Tenants, &s.Products, &s.Users, &s.Apps, &s.Records,
		&a.Apps, &a.Sites, &a.Tenants, &p.Total.Tenants)
	if err != nil {
		return p, fmt.Errorf("compute blast radius: %w", err)
	}
	p.Total.Sites = s.Sites
	p.Total.Products, p.Total.Users, p.Total.Records = s.Products, s.Users, s.Records
	p.Total.Apps = s.Apps + a.Apps
	p.AffectedSites = s.Sites + a.Sites
	if mode == ModeCorrupt {
		// Only the sites' records are rewritten; the sites and their other rows stay as they are.
		p.BySite = Counts{Tenants: s.Tenants, Records: s.Records}
		p.Total = p.BySite
	}
	return p, nil
}

// offending lists the IDs that are not installations of appKey.
func (p Plan) offending(appKey string) []Target {
	var out []Target
	for _, t := range p.Targets {
		if t.Kind != KindApp || t.AppKey != appKey {
			out = append(out, t)
		}
	}
	return out
}

func (p Plan) write(w io.Writer) {
	var kinds []string
	for _, k := range []Kind{KindSite, KindApp, KindTenant, KindProduct, KindUser, KindRecord, KindNotFound} {
		if n := p.Kinds[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
	}
	fmt.Fprintf(w, "plan: ids=%d %s\n", len(p.Targets), strings.Join(kinds, " "))
	fmt.Fprintf(w, "plan: by site ids: %s\n", p.BySite)
	fmt.Fprintf(w, "plan: by app ids: apps=%d on sites=%d of tenants=%d\n", p.ByApp.Apps, p.ByApp.Sites, p.ByApp.Tenants)
	fmt.Fprintf(w, "plan: total (%s): %s affected_sites=%d\n", verb(p.Mode), p.Total, p.AffectedSites)
}

func verb(m Mode) string {
	switch m {
	case ModeMark:
		return "would be marked deleted"
	case ModeCorrupt:
		return "records would be rewritten"
	}
	return "would be deleted"
}
