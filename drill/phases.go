package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/cleanup"
	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
)

// StartStack starts db and app on a private network (the images must exist: `make images`).
func (d *Drill) StartStack(ctx context.Context) error {
	if d.st != nil {
		return errors.New("drill: the stack is already started")
	}
	d.cfg = d.cfg.withDefaults()
	if err := d.cfg.Validate(); err != nil {
		return err
	}
	p, err := d.cfg.profile()
	if err != nil {
		return err
	}
	d.profile = p
	if d.cfg.RunID == "" {
		d.cfg.RunID = stack.NewRunID()
	}
	d.res = results.Results{
		Schema:    results.SchemaVersion,
		RunID:     d.cfg.RunID,
		Feature:   d.cfg.Feature,
		Scenario:  d.cfg.Scenario,
		Tags:      d.cfg.Tags,
		StartedAt: time.Now(),
		Params: results.Params{
			Profile:           p.Name,
			Seed:              d.cfg.Seed,
			Tenants:           p.Tenants,
			Sites:             p.Sites(),
			Rows:              p.TotalRows(),
			TrafficRate:       d.cfg.TrafficRate,
			ProbeIntervalMS:   results.MS(d.cfg.ProbeInterval),
			VerifyIntervalMS:  results.MS(d.cfg.VerifyInterval),
			ArchiveTimeoutMS:  results.MS(d.cfg.ArchiveTimeout),
			BaseBackupEveryMS: results.MS(d.cfg.BackupEvery),
			Parallelism:       d.cfg.Parallelism,
		},
	}
	defer d.phase("stack")()
	stack.Configure()
	st, err := stack.Start(ctx, stack.Config{RunID: d.cfg.RunID, Group: d.cfg.Group, Keep: d.cfg.Keep, ArchiveTimeout: d.cfg.ArchiveTimeout, Log: d.cfg.Log})
	if err != nil {
		return fmt.Errorf("start stack: %w", err)
	}
	d.st = st
	// From here on the drill's log cannot carry the run's password, whatever an error quotes.
	d.cfg.Log = stack.RedactWriter(d.cfg.Log, st.Secrets()...)
	pool, err := pgxpool.New(ctx, st.DSN())
	if err != nil {
		return fmt.Errorf("connect to the stack's database: %w", err)
	}
	d.pool = pool
	return nil
}

// profile is the fixtures profile the configuration names, with its overrides.
func (c Config) profile() (fixtures.Profile, error) {
	p, err := fixtures.ProfileByName(c.Profile)
	if err != nil {
		return p, err
	}
	if c.Tenants != 0 {
		if p, err = p.Set("tenants", strconv.Itoa(c.Tenants)); err != nil {
			return p, err
		}
	}
	if c.RecordsPerSite != 0 {
		if p, err = p.Set("records_per_site", strconv.Itoa(c.RecordsPerSite)); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Seed fills the database with the profile's fake tenants by COPY, takes the pre-incident
// manifest and a first base backup, and starts the base-backup schedule if one is set.
func (d *Drill) Seed(ctx context.Context) error {
	if d.st == nil {
		return ErrNotStarted
	}
	defer d.phase("seeding")()
	gen, err := fixtures.NewGenerator(d.profile, d.cfg.Seed)
	if err != nil {
		return err
	}
	var last time.Time
	stats, err := fixtures.Seed(ctx, d.pool, d.profile, d.cfg.Seed, func(p fixtures.Progress) {
		if time.Since(last) >= 2*time.Second || p.Phase == "done" {
			last = time.Now()
			d.logf("seeding: %s %d/%d rows (%s)", p.Phase, p.Rows, p.Total, p.Elapsed.Round(100*time.Millisecond))
		}
	})
	if err != nil {
		return fmt.Errorf("seed %s profile: %w", d.profile.Name, err)
	}
	d.seedStats = stats
	d.logf("seeding: %d rows in %s (%.0f rows/s)", stats.TotalRows, stats.Duration.Round(time.Millisecond), stats.RowsPerSecond)
	d.targets = gen.Targets()
	d.sites = d.sites[:0]
	for i := range d.profile.Tenants {
		tid := gen.TenantID(i)
		for _, s := range gen.SitesOf(i) {
			d.sites = append(d.sites, measure.SiteRef{ID: s, Tenant: tid})
		}
	}
	if d.manifest, err = fixtures.TakeManifest(ctx, d.pool, nil); err != nil {
		return fmt.Errorf("pre-incident manifest: %w", err)
	}
	if d.tenants, err = d.tenantInfo(ctx); err != nil {
		return err
	}
	d.backups = scenarios.NewBackups(d.st, d.cfg.Log)
	if _, err := d.backups.Take(ctx); err != nil {
		return fmt.Errorf("first base backup: %w", err)
	}
	if d.cfg.BackupEvery > 0 {
		d.stopBackups = d.backups.Schedule(context.WithoutCancel(ctx), d.cfg.BackupEvery)
	}
	return nil
}

// tenantInfo lists every tenant with its name and users (the restoration curve's weight).
func (d *Drill) tenantInfo(ctx context.Context) ([]measure.TenantInfo, error) {
	rows, err := d.pool.Query(ctx, "SELECT id, name FROM tenants ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []measure.TenantInfo
	for rows.Next() {
		var t measure.TenantInfo
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		t.Users = int(d.manifest.Tenants[t.ID].Users)
		out = append(out, t)
	}
	return out, rows.Err()
}

// StartTraffic starts the writers (acknowledged writes go to the ledger on this host) and the
// availability prober, and returns once traffic is flowing: some writes acknowledged.
func (d *Drill) StartTraffic(ctx context.Context) error {
	if d.st == nil || d.sites == nil {
		return fmt.Errorf("%w: start and seed the stack before traffic", ErrNotStarted)
	}
	if d.traffic != nil {
		return errors.New("drill: traffic is already flowing")
	}
	defer d.phase("traffic")()
	dir := d.cfg.WorkDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "drdrill-"+d.cfg.RunID+"-"); err != nil {
			return fmt.Errorf("ledger directory: %w", err)
		}
		d.cfg.WorkDir = dir
		d.tmpDir = dir
	}
	ledger, err := measure.CreateLedger(filepath.Join(dir, "ledger.tsv"))
	if err != nil {
		return err
	}
	d.ledger = ledger
	// Traffic and probes outlive the step that starts them; Close ends them.
	bg := context.WithoutCancel(ctx)
	d.bg, d.cancel = context.WithCancel(bg)
	if d.traffic, err = measure.StartTraffic(d.bg, measure.TrafficConfig{
		BaseURL: d.st.AppURL(), Sites: d.sites, Rate: d.cfg.TrafficRate,
		Seed: d.cfg.Seed, Ledger: ledger, RunID: d.cfg.RunID,
	}); err != nil {
		return fmt.Errorf("start traffic: %w", err)
	}
	if d.prober, err = measure.StartProber(d.bg, measure.ProberConfig{
		BaseURL: d.st.AppURL(), Sites: d.sites, Interval: d.cfg.ProbeInterval,
	}); err != nil {
		return fmt.Errorf("start availability probes: %w", err)
	}
	// Flowing means at least a second's worth of acknowledged writes (and at least 20).
	want := max(20, int(d.cfg.TrafficRate))
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		if s := d.traffic.Stats(); s.Err != nil {
			return false, s.Err
		}
		return d.ledger.Acked() >= want, nil
	}); err != nil {
		s := d.traffic.Stats()
		return fmt.Errorf("traffic: %d of %d writes acknowledged (failures %v): %w", d.ledger.Acked(), want, s.Failed, err)
	}
	d.logf("traffic: %.0f writes/s flowing, %d sites probed every %s", d.cfg.TrafficRate, len(d.sites), d.cfg.ProbeInterval)
	return nil
}

// BaseBackup takes a base backup now.
func (d *Drill) BaseBackup(ctx context.Context) error {
	if d.backups == nil {
		return fmt.Errorf("%w: seed the stack before a base backup", ErrNotStarted)
	}
	_, err := d.backups.Take(ctx)
	return err
}

// RunIncident runs the faulty script; T0 is its start. The blast radius is then found from
// the data (a manifest diff), never from the script's input, and the verifier starts
// watching the affected tenants.
func (d *Drill) RunIncident(ctx context.Context, spec IncidentSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if d.backups == nil {
		return fmt.Errorf("%w: seed the stack before the incident", ErrNotStarted)
	}
	if !d.t0.IsZero() {
		return errors.New("drill: the incident already ran")
	}
	defer d.phase("incident")()
	is := scenarios.IncidentSpec{Mode: spec.Mode}
	switch spec.IDKind {
	case "site":
		is.IDs = d.targets.SiteIDs
	case "app":
		is.IDs = d.targets.AppIDs
	}
	for _, g := range spec.Guardrails {
		name, val, _ := strings.Cut(g, "=")
		switch name {
		case "dry-run":
			is.DryRun = true
		case "check-kind":
			is.CheckKind = true
		case "max-scope":
			is.MaxScope, _ = strconv.Atoi(val) // validated above
		}
	}
	d.idList = is.IDs
	d.res.Params.Mode, d.res.Params.IDKind, d.res.Params.Guardrails = spec.Mode, spec.IDKind, spec.Guardrails
	d.logf("incident: legacy-cleanup --mode %s with %d %s IDs %v", spec.Mode, len(is.IDs), spec.IDKind, spec.Guardrails)
	inc, err := scenarios.RunIncident(ctx, d.st, is)
	if err != nil {
		return fmt.Errorf("run the faulty script: %w", err)
	}
	d.t0 = inc.T0
	d.res.Incident = results.Incident{
		T0: inc.T0, DurationMS: results.MS(inc.Duration), ExitCode: inc.ExitCode,
		Refused: inc.Refused, IDs: inc.IDs, Log: inc.Log,
	}
	blast, err := scenarios.Assess(ctx, d.st.DSN(), d.manifest)
	if err != nil {
		return fmt.Errorf("measure the blast radius: %w", err)
	}
	d.affected = blast.Tenants
	d.res.Incident.AffectedTenants = len(blast.Tenants)
	d.res.Incident.AffectedSites = len(blast.Sites)
	d.res.Incident.AffectedUsers = int(blast.Users)
	d.logf("incident: exit %d after %s; from the data: %d sites of %d tenants (%d users) affected",
		inc.ExitCode, inc.Duration.Round(time.Millisecond), len(blast.Sites), len(blast.Tenants), blast.Users)
	switch {
	case inc.Refused:
		d.res.Findings = append(d.res.Findings, fmt.Sprintf("A guardrail refused the faulty script (exit %d): %s", inc.ExitCode, lastLine(inc.Log)))
	case inc.ExitCode != cleanup.ExitDone:
		d.res.Findings = append(d.res.Findings, fmt.Sprintf("The faulty script exited %d: %s", inc.ExitCode, lastLine(inc.Log)))
	}
	if len(d.affected) > 0 && d.traffic != nil {
		if d.verifier, err = measure.StartVerifier(d.bg, measure.VerifierConfig{
			Observer: measure.DBObserver{DB: d.pool}, Tenants: d.affected, Baseline: d.manifest,
			Traffic: d.traffic, Interval: d.cfg.VerifyInterval,
		}); err != nil {
			return fmt.Errorf("start the verifier: %w", err)
		}
	}
	return nil
}

// RunRunbook runs the named runbook (undo-mark, full-pitr, tenant-restore), then waits until
// every affected tenant is verified restored or the settle deadline passes: a runbook that
// reports success without bringing tenants back shows as tenants never restored.
func (d *Drill) RunRunbook(ctx context.Context, name string) error {
	if err := CheckRunbook(name); err != nil {
		return err
	}
	if d.t0.IsZero() {
		return errors.New("drill: no incident to recover from: run the faulty script first")
	}
	defer d.phase("restore")()
	if d.stopBackups != nil {
		err := d.stopBackups()
		d.stopBackups = nil
		if err != nil {
			return fmt.Errorf("base-backup schedule: %w", err)
		}
	}
	env := &scenarios.Env{
		Stack: d.st, Backups: d.backups, T0: d.t0, Before: d.manifest, IDs: d.idList,
		Params:   scenarios.Params{Parallelism: d.cfg.Parallelism, NoWALSwitch: d.cfg.NoWALSwitch},
		Progress: d.cfg.Log, Faults: d.takeArmed(),
	}
	d.res.Params.Runbook = name
	d.res.Params.Faults = d.faults
	rb, err := scenarios.RunRunbook(ctx, name, env)
	d.res.Runbook = rb
	d.res.Findings = append(d.res.Findings, env.Findings...)
	if err != nil {
		return fmt.Errorf("runbook %s: %w", name, err)
	}
	d.logf("restore: runbook %s done in %s", name, time.Duration(rb.DurationMS*float64(time.Millisecond)).Round(time.Millisecond))
	return d.settle(ctx)
}

// settle waits until the verifier has verified every affected tenant and the prober sees
// all their sites up, then for one more sweep of every affected tenant so that "stays
// restored" has a sample after the last rise.
func (d *Drill) settle(ctx context.Context) error {
	if d.verifier == nil {
		return nil
	}
	affected := make(map[int64]bool, len(d.affected))
	for _, t := range d.affected {
		affected[t] = true
	}
	affectedSites := map[int64]bool{}
	for _, s := range d.sites {
		if affected[s.Tenant] {
			affectedSites[s.ID] = true
		}
	}
	sweeps := -1
	deadline := max(30*time.Second, 40*d.cfg.VerifyInterval)
	err := waitFor(ctx, deadline, func() (bool, error) {
		ok, n := d.verifier.Verified()
		if len(ok) < len(d.affected) {
			return false, nil
		}
		for _, s := range d.prober.Down() {
			if affectedSites[s.ID] {
				return false, nil
			}
		}
		if sweeps < 0 {
			sweeps = n
			d.verifier.SweepNow()
		}
		return n > sweeps, nil
	})
	if err != nil {
		ok, _ := d.verifier.Verified()
		d.logf("restore: %d of %d affected tenants verified restored after %s", len(ok), len(d.affected), deadline)
		if errors.Is(err, context.DeadlineExceeded) {
			return nil // the verdict will say which tenants never came back
		}
		return err
	}
	d.logf("restore: all %d affected tenants verified restored", len(d.affected))
	return nil
}

// SetObjectives sets the SLOs the verdict is judged against.
func (d *Drill) SetObjectives(objs []measure.Objective) { d.objectives = objs }

// Verify stops traffic, takes the final observation of every tenant, stops the probes and
// the verifier, and hands the histories to the checkers of package measure.
func (d *Drill) Verify(ctx context.Context) error {
	if d.traffic == nil {
		return fmt.Errorf("%w: no traffic was recorded, nothing to verify", ErrNotStarted)
	}
	if d.verified {
		return nil
	}
	defer d.phase("verification")()
	t0 := d.t0
	if t0.IsZero() {
		t0 = time.Now() // no incident: every loss is a loss before T0
		d.t0 = t0
		d.res.Incident.T0 = t0
	}
	stats := d.traffic.Stop()
	if err := d.ledger.Flush(); err != nil {
		return err
	}
	// The live records and the seeded rows are read in one snapshot, so both describe the
	// same instant.
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("final observation: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	final, err := measure.LiveRecords(ctx, tx, nil)
	if err != nil {
		return fmt.Errorf("final observation: %w", err)
	}
	after, err := fixtures.TakeManifest(ctx, tx, nil)
	if err != nil {
		return fmt.Errorf("final manifest: %w", err)
	}
	var seededDiff []int64
	for _, td := range d.manifest.Diff(after) {
		seededDiff = append(seededDiff, td.Tenant)
	}
	timeline := d.prober.Stop()
	var samples []measure.Sample
	if d.verifier != nil {
		samples = d.verifier.Stop()
	}
	a := measure.Assemble(measure.Input{
		T0: t0, Tenants: d.tenants, Affected: d.affected, Writes: d.ledger.Writes(),
		Final: final, Timeline: timeline, Samples: samples, SeededDiff: seededDiff,
	})
	d.res.Tenants, d.res.Summary, d.res.Curve = a.Tenants, a.Summary, a.Curve
	d.res.Findings = append(d.res.Findings, a.Findings...)
	d.res.Traffic = results.Traffic{Acked: stats.Acked, Failed: stats.FailedTotal()}
	d.res.Objectives = measure.Evaluate(d.objectives, a)
	d.res.Verdict = measure.Verdict(d.res.Objectives)
	d.res.FinishedAt = time.Now()
	d.verified = true
	d.logf("verdict: %s (%d affected, %d restored, %d lost writes, %d bystanders hit)", d.res.Verdict,
		a.Summary.AffectedTenants, a.Summary.RestoredTenants, a.Summary.LostWrites, a.Summary.BystandersHit)
	return nil
}

// WriteResults writes results.json (and a copy of the ledger, the evidence behind every loss
// figure) into dir and returns the path of results.json.
func (d *Drill) WriteResults(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results directory: %w", err)
	}
	if d.res.RunID == "" {
		d.res.RunID, d.res.Scenario, d.res.Feature, d.res.Tags = d.cfg.RunID, d.cfg.Scenario, d.cfg.Feature, d.cfg.Tags
	}
	if d.res.FinishedAt.IsZero() {
		d.res.FinishedAt = time.Now()
	}
	if d.ledger != nil {
		if err := d.ledger.Flush(); err == nil {
			if err := copyFile(filepath.Join(dir, "ledger.tsv"), d.ledger.Path()); err != nil {
				return "", err
			}
		}
	}
	path := filepath.Join(dir, "results.json")
	res, err := d.redacted()
	if err != nil {
		return "", err
	}
	return path, results.WriteFile(path, res)
}

// redacted returns the results with the run's password masked in every string (findings,
// errors, the script's log, step names): a last gate behind the redaction at each source.
func (d *Drill) redacted() (*results.Results, error) {
	if d.st == nil {
		return &d.res, nil
	}
	b, err := json.Marshal(&d.res)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	clean := []byte(d.st.Redact(string(b)))
	if bytes.Equal(clean, b) {
		return &d.res, nil
	}
	var res results.Results
	if err := json.Unmarshal(clean, &res); err != nil {
		return nil, fmt.Errorf("results after redaction: %w", err)
	}
	return &res, nil
}

// Close stops everything the drill started and removes its containers, network and volumes.
// It is safe to call more than once and on a drill that never started.
func (d *Drill) Close(ctx context.Context) error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	if d.stopBackups != nil {
		if err := d.stopBackups(); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	if d.traffic != nil {
		d.traffic.Stop()
	}
	if d.prober != nil {
		d.prober.Stop()
	}
	if d.verifier != nil {
		d.verifier.Stop()
	}
	if d.cancel != nil {
		d.cancel()
	}
	if d.ledger != nil {
		if err := d.ledger.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if d.pool != nil {
		d.pool.Close()
	}
	if d.st != nil && !d.keep {
		if err := d.st.Close(context.WithoutCancel(ctx)); err != nil {
			errs = append(errs, err)
		}
	}
	if d.tmpDir != "" {
		os.RemoveAll(d.tmpDir)
	}
	return errors.Join(errs...)
}

// phase records a timed phase; call the returned func when it ends.
func (d *Drill) phase(name string) func() {
	start := time.Now()
	return func() {
		d.res.Phases = append(d.res.Phases, results.Phase{Name: name, Start: start, DurationMS: results.MS(time.Since(start))})
	}
}

func (d *Drill) logf(format string, args ...any) {
	if d.cfg.Log != nil {
		fmt.Fprintf(d.cfg.Log, format+"\n", args...)
	}
}

// waitFor polls cond until it holds, fails, ctx ends, or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Close()
}
