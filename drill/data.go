package drill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stackfile"
	"github.com/drdrill/drdrill/tenancy"
)

// seedData fills the database as the stack file's seeding says (the reference generator, or
// the generic one over the discovered schema) and returns where the data lives.
func (d *Drill) seedData(ctx context.Context) (*fixtures.Shape, error) {
	s := d.cfg.stackFile()
	switch s.Seeding.Generator {
	case "generic":
		return d.seedGeneric(ctx, s)
	case "command":
		return d.seedCommand(ctx, s)
	}
	d.tenantsSQL = "SELECT id, name FROM tenants ORDER BY id"
	return d.seedReference(ctx)
}

// seedCommand applies the stack file's schema, runs its seeding command (the team's own seed
// script, with the drill's database in libpq's variables), applies its constraints, then
// reads what the command made: the tenancy model, the units, and the faulty list chosen among
// them for the seed.
func (d *Drill) seedCommand(ctx context.Context, s *stackfile.Stack) (*fixtures.Shape, error) {
	start := time.Now()
	if err := d.applySQL(ctx, d.pool, s, s.Database.Schema); err != nil {
		return nil, err
	}
	d.logf("seeding: %s", strings.Join(s.Seeding.Command, " "))
	out, err := scenarios.RunCommand(ctx, d.st, scenarios.OwnStep{Name: "seeding.command", Image: s.Seeding.Image, Run: s.Seeding.Command, Timeout: 30 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("%s: seeding.command %s: %s; its output ends: %s", s.Path, strings.Join(s.Seeding.Command, " "),
			d.st.Redact(err.Error()), d.st.Redact(lastLines(string(out), 10)))
	}
	if err := d.applySQL(ctx, d.pool, s, s.Database.Constraints); err != nil {
		return nil, err
	}
	m, err := tenancy.Discover(ctx, d.pool, s.Declared())
	if err != nil {
		return nil, fmt.Errorf("%s: the tenancy model of the seeded schema: %w", s.Path, err)
	}
	shape, err := fixtures.ShapeOf(s.Name, m, writesOf(s))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	unit, _ := m.Table(m.UnitTable)
	rows, err := d.pool.Query(ctx, "SELECT k.drdrill_tenant::bigint, k.drdrill_unit::bigint FROM ("+unit.SelectKeyed("")+") k ORDER BY 1, 2")
	if err != nil {
		return nil, fmt.Errorf("list the seeded units: %w", err)
	}
	var units []fixtures.UnitRef
	var u fixtures.UnitRef
	if _, err := pgx.ForEachRow(rows, []any{&u.Tenant, &u.ID}, func() error { units = append(units, u); return nil }); err != nil {
		return nil, fmt.Errorf("list the seeded units: %w", err)
	}
	targets, err := fixtures.Victims(units, d.profile.VictimTenants, d.profile.VictimSites, d.cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: after seeding.command: %w", s.Path, err)
	}
	st := fixtures.Stats{Profile: d.profile.Name, Seed: d.cfg.Seed, Rows: map[string]int64{}, Connections: 1}
	if _, err := d.pool.Exec(ctx, fixtures.Settle); err != nil {
		return nil, fmt.Errorf("vacuum after seeding: %w", err)
	}
	for _, t := range m.Tables {
		var n int64
		if err := d.pool.QueryRow(ctx, "SELECT count(*) FROM "+t.QualifiedName()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Name, err)
		}
		st.Rows[t.Name], st.TotalRows = n, st.TotalRows+n
	}
	st.Duration = time.Since(start)
	st.RowsPerSecond = float64(st.TotalRows) / st.Duration.Seconds()
	d.useModel(s, m, st, units, targets)
	return shape, nil
}

// writesOf is where the stack file's traffic lands and how it is read back.
func writesOf(s *stackfile.Stack) fixtures.Writes {
	return fixtures.Writes{Table: s.Traffic.Table, KeyColumn: s.Traffic.KeyColumn, ReadBack: s.Traffic.ReadBack}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// seedGeneric applies the stack file's schema, discovers its tenancy model, seeds it with the
// generic generator (the profile's tenants and victims, the file's sizes), then applies the
// file's constraints.
func (d *Drill) seedGeneric(ctx context.Context, s *stackfile.Stack) (*fixtures.Shape, error) {
	start := time.Now()
	m, err := d.discoverStack(ctx, s)
	if err != nil {
		return nil, err
	}
	writes := writesOf(s)
	shape, err := fixtures.ShapeOf(s.Name, m, writes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	g := fixtures.Generic{
		Model: m, Tenants: d.profile.Tenants, PerTenant: s.Seeding.PerTenant, PerUnit: s.Seeding.PerUnit,
		Seed: d.cfg.Seed, Writes: writes, VictimTenants: d.profile.VictimTenants, VictimUnits: d.profile.VictimSites,
	}
	var last time.Time
	res, err := fixtures.SeedGeneric(ctx, d.pool, g, func(p fixtures.Progress) {
		if time.Since(last) >= 2*time.Second || p.Phase == "done" {
			last = time.Now()
			d.logf("seeding: %s %d/%d rows (%s)", p.Phase, p.Rows, p.Total, p.Elapsed.Round(100*time.Millisecond))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", s.Name, err)
	}
	cs := time.Now()
	if err := d.applySQL(ctx, d.pool, s, s.Database.Constraints); err != nil {
		return nil, err
	}
	res.Stats.ConstraintsDuration = time.Since(cs)
	res.Stats.ConstraintsAdded = s.Database.Constraints != ""
	res.Stats.Profile = d.profile.Name
	res.Stats.Duration = time.Since(start)
	if sec := res.Stats.Duration.Seconds(); sec > 0 {
		res.Stats.RowsPerSecond = float64(res.Stats.TotalRows) / sec
	}
	d.useModel(s, m, res.Stats, res.Units, res.Targets)
	return shape, nil
}

// useModel keeps what the later phases need of a seeding over the model m: its figures, the
// units (traffic and probes go to them), the faulty list, and how to list the tenants.
func (d *Drill) useModel(s *stackfile.Stack, m *tenancy.Model, st fixtures.Stats, units []fixtures.UnitRef, targets fixtures.Targets) {
	d.seedStats, d.targets = st, targets
	d.sites = d.sites[:0]
	for _, u := range units {
		d.sites = append(d.sites, measure.SiteRef{ID: u.ID, Tenant: u.Tenant})
	}
	tenant, _ := m.Table(m.TenantTable)
	name := "t." + pgx.Identifier{m.TenantKey}.Sanitize() + "::text"
	if _, ok := tenant.Column("name"); ok {
		name = "t.name::text"
	}
	d.tenantsSQL = fmt.Sprintf("SELECT t.%s::bigint, %s FROM %s t ORDER BY 1", pgx.Identifier{m.TenantKey}.Sanitize(), name, tenant.QualifiedName())
	d.logf("seeding: tenancy of %s: %d owned tables from %s, unit %s; %d units, faulty list of %d units of %d tenants",
		s.Name, len(m.Tables), m.TenantTable, m.UnitTable, len(units), len(targets.SiteIDs), len(targets.Tenants))
}

// discoverStack applies the stack file's schema and discovers its tenancy model with the
// constraints applied inside a transaction that is rolled back: the model sees every foreign
// key, and the tables stay bare for the COPY, keys and indexes built once afterwards.
func (d *Drill) discoverStack(ctx context.Context, s *stackfile.Stack) (*tenancy.Model, error) {
	if err := d.applySQL(ctx, d.pool, s, s.Database.Schema); err != nil {
		return nil, err
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover the tenancy model: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := d.applySQL(ctx, tx, s, s.Database.Constraints); err != nil {
		return nil, err
	}
	m, err := tenancy.Discover(ctx, tx, s.Declared())
	if err != nil {
		return nil, fmt.Errorf("%s: the tenancy model of the schema: %w", s.Path, err)
	}
	return m, nil
}

// execer runs SQL: the pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// applySQL runs one of the stack file's SQL files (relative to the file; "" does nothing).
func (d *Drill) applySQL(ctx context.Context, db execer, s *stackfile.Stack, rel string) error {
	if rel == "" {
		return nil
	}
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(s.Path), rel)
	}
	sql, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("%s: database SQL: %w", s.Path, err)
	}
	if _, err := db.Exec(ctx, string(sql)); err != nil {
		return fmt.Errorf("%s: apply %s: %w", s.Path, p, err)
	}
	return nil
}
