package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drdrill/drdrill/fixtures"
	"github.com/drdrill/drdrill/measure"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
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
	d.record(func(h *History) {
		h.Identity = d.cfg.identity()
		h.StartedAt = time.Now()
		h.Params = results.Params{
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
			VictimTenants:     p.VictimTenants,
			VictimSites:       p.VictimSites,
			ScriptBatch:       d.cfg.ScriptBatch,
			ScriptPauseMS:     results.MS(d.cfg.ScriptPause),
			DetectionDelayMS:  results.MS(d.cfg.DetectionDelay),
			Faults:            h.Params.Faults, // armed before the stack started
		}
		if d.cfg.Tool() == stack.PgBackRest {
			h.Params.BackupTool = string(stack.PgBackRest)
		}
	})
	defer d.phase("stack")()
	stack.Configure()
	st, err := stack.Start(ctx, d.cfg.stackConfig())
	if err != nil {
		return fmt.Errorf("start stack: %w", err)
	}
	d.st = st
	d.onClose("stack", func(ctx context.Context) error {
		if d.keep {
			return nil // Keep: the stack stays for an engineer to look at
		}
		return st.Close(context.WithoutCancel(ctx))
	})
	// From here on the drill's log cannot carry the run's password, whatever an error quotes.
	d.cfg.Log = stack.RedactWriter(d.cfg.Log, st.Secrets()...)
	pool, err := pgxpool.New(ctx, st.DSN())
	if err != nil {
		return fmt.Errorf("connect to the stack's database: %w", err)
	}
	d.pool = pool
	d.onClose("database pool", func(context.Context) error { pool.Close(); return nil })
	return nil
}

// identity is how the configuration names the drill in its outputs.
func (c Config) identity() Identity {
	return Identity{RunID: c.RunID, Group: c.Group, Shard: c.Shard, Feature: c.Feature, Scenario: c.Scenario, Tags: c.Tags}
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
	if c.VictimShare != 0 {
		// The share counts tenants and sites alike (Atlassian's 775 of 10,000 tenants, 883 of
		// 11,400 sites: 7.75 % of each); every victim tenant keeps at least one listed site.
		p.VictimTenants = max(1, int(math.Round(c.VictimShare*float64(p.Tenants))))
		p.VictimSites = max(p.VictimTenants, int(math.Round(c.VictimShare*float64(p.Sites()))))
	}
	if c.VictimTenants != 0 {
		p.VictimTenants = c.VictimTenants
	}
	if c.VictimSites != 0 {
		p.VictimSites = c.VictimSites
	}
	if c.VictimShare != 0 || c.VictimTenants != 0 || c.VictimSites != 0 {
		if err := p.Validate(); err != nil {
			return p, fmt.Errorf("the faulty list of %d sites of %d tenants: %w", p.VictimSites, p.VictimTenants, err)
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
	// No restore replays WAL from before the first base backup: the seed's is not archived.
	release, err := d.st.HoldArchive(ctx)
	if err != nil {
		return err
	}
	shape, err := d.seedData(ctx)
	if rerr := release(context.WithoutCancel(ctx)); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	d.logf("seeding: %d rows in %s (%.0f rows/s)", d.seedStats.TotalRows, d.seedStats.Duration.Round(time.Millisecond), d.seedStats.RowsPerSecond)
	// The first base backup and the pre-incident manifest both read the seeded database, and
	// nothing writes to it until the traffic starts: they run side by side (the backup mostly
	// copies and fsyncs files, the manifest mostly hashes rows). A failed manifest stops the
	// backup; either error fails the phase.
	d.backups = scenarios.NewBackups(d.st, d.cfg.Log)
	d.backups.Scheduled = d.cfg.ScheduledBackup
	backupCtx, stopBackup := context.WithCancel(ctx)
	defer stopBackup()
	backedUp := make(chan error, 1)
	go func() {
		_, err := d.backups.Take(backupCtx)
		backedUp <- err
	}()
	err = d.readManifest(ctx, shape)
	if err != nil {
		stopBackup()
	}
	if berr := <-backedUp; err == nil && berr != nil {
		err = fmt.Errorf("first base backup: %w", berr)
	}
	if err != nil {
		return err
	}
	if d.cfg.BackupEvery > 0 {
		// The runbook stops the schedule when it starts; Close stops it if no runbook ran.
		d.stopBackups = sync.OnceValue(d.backups.Schedule(context.WithoutCancel(ctx), d.cfg.BackupEvery))
		d.onClose("base-backup schedule", func(context.Context) error {
			if err := d.stopBackups(); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		})
	}
	return nil
}

// readManifest takes the pre-incident manifest of the seeded database, holding its snapshot
// for the harness's later assessments (see fixtures.HeldSnapshot: they then read only the
// pages changed since), and lists its tenants. A database where the snapshot cannot be held
// is assessed by its row versions, as the runbooks assess it.
func (d *Drill) readManifest(ctx context.Context, shape *fixtures.Shape) error {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pre-incident manifest: %w", err)
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("pre-incident manifest: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	held, herr := shape.Hold(ctx, tx, d.pool.Config().ConnConfig)
	if herr != nil {
		d.logf("pre-incident manifest: its snapshot is not held (%v): the harness assesses by row versions", herr)
	} else {
		d.onClose("held snapshot", held.Release)
	}
	if d.manifest, err = shape.TakeManifest(ctx, tx, nil); err != nil {
		return fmt.Errorf("pre-incident manifest: %w", err)
	}
	if held != nil {
		if d.manifest, err = d.manifest.WithHeld(held); err != nil {
			return fmt.Errorf("pre-incident manifest: %w", err)
		}
	}
	if d.tenants, err = d.tenantInfo(ctx); err != nil {
		return err
	}
	return nil
}

// seedReference seeds the reference schema with the profile's generator (the optimised path
// the generic one is measured against) and returns its shape.
func (d *Drill) seedReference(ctx context.Context) (*fixtures.Shape, error) {
	gen, err := fixtures.NewGenerator(d.profile, d.cfg.Seed)
	if err != nil {
		return nil, err
	}
	var last time.Time
	stats, err := fixtures.Seed(ctx, d.pool, d.profile, d.cfg.Seed, func(p fixtures.Progress) {
		if time.Since(last) >= 2*time.Second || p.Phase == "done" {
			last = time.Now()
			d.logf("seeding: %s %d/%d rows (%s)", p.Phase, p.Rows, p.Total, p.Elapsed.Round(100*time.Millisecond))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("seed %s profile: %w", d.profile.Name, err)
	}
	d.seedStats = stats
	d.targets = gen.Targets()
	d.sites = d.sites[:0]
	for i := range d.profile.Tenants {
		tid := gen.TenantID(i)
		for _, s := range gen.SitesOf(i) {
			d.sites = append(d.sites, measure.SiteRef{ID: s, Tenant: tid})
		}
	}
	return fixtures.Reference, nil
}

// tenantInfo lists every tenant with its name and users (the restoration curve's weight).
func (d *Drill) tenantInfo(ctx context.Context) ([]measure.TenantInfo, error) {
	rows, err := d.pool.Query(ctx, d.tenantsSQL)
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
		d.onClose("ledger directory", func(context.Context) error { return os.RemoveAll(dir) })
	}
	ledger, err := measure.CreateLedger(filepath.Join(dir, "ledger.tsv"))
	if err != nil {
		return err
	}
	d.ledger = ledger
	d.onClose("ledger", func(context.Context) error { return ledger.Close() })
	// Traffic and probes outlive the step that starts them; Close ends them.
	var cancel context.CancelFunc
	d.bg, cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.onClose("background context", func(context.Context) error { cancel(); return nil })
	write, health := d.cfg.requests()
	if d.traffic, err = measure.StartTraffic(d.bg, measure.TrafficConfig{
		BaseURL: d.st.AppURL(), Sites: d.sites, Rate: d.cfg.TrafficRate,
		Seed: d.cfg.Seed, Ledger: ledger, RunID: d.cfg.RunID, Write: write,
	}); err != nil {
		return fmt.Errorf("start traffic: %w", err)
	}
	d.onClose("traffic", func(context.Context) error { d.traffic.Stop(); return nil })
	if d.prober, err = measure.StartProber(d.bg, measure.ProberConfig{
		BaseURL: d.st.AppURL(), Sites: d.sites, Interval: d.cfg.ProbeInterval, Health: health,
	}); err != nil {
		return fmt.Errorf("start availability probes: %w", err)
	}
	d.onClose("availability probes", func(context.Context) error { d.prober.Stop(); return nil })
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
	d.logf("traffic: %.0f writes/s flowing (released every %s), %d sites probed every %s", d.cfg.TrafficRate, d.traffic.Pace(), len(d.sites), d.cfg.ProbeInterval)
	return nil
}

// BaseBackup takes a full base backup now.
func (d *Drill) BaseBackup(ctx context.Context) error { return d.Backup(ctx, scenarios.Full) }

// Backup takes a backup of type t now (full, or with pgBackRest diff or incr).
func (d *Drill) Backup(ctx context.Context, t scenarios.BackupType) error {
	if d.backups == nil {
		return fmt.Errorf("%w: seed the stack before a base backup", ErrNotStarted)
	}
	if err := d.cfg.CheckBackupType(t); err != nil {
		return err
	}
	_, err := d.backups.TakeType(ctx, t)
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
	guards, err := legacycleanup.ParseGuardrails(spec.Guardrails)
	if err != nil {
		return err
	}
	if err := d.cfg.CheckIncident(spec); err != nil {
		return err
	}
	is := scenarios.IncidentSpec{Mode: spec.Mode, Table: spec.Table, Guardrails: guards, Batch: d.cfg.ScriptBatch, Pause: d.cfg.ScriptPause, Own: d.cfg.ownScript()}
	switch spec.IDKind {
	case "site":
		is.IDs = d.targets.SiteIDs
	case "app":
		is.IDs = d.targets.AppIDs
	case "mixed":
		is.IDs = d.targets.Mixed(spec.SiteShare)
	}
	d.idList = is.IDs
	d.record(func(h *History) {
		h.Params.Mode, h.Params.IDKind, h.Params.Guardrails = spec.Mode, spec.IDKind, spec.Guardrails
		h.Params.SiteIDShare, h.Params.Table = spec.SiteShare, spec.Table
	})
	script := "legacy-cleanup"
	if is.Own != nil {
		script = strings.Join(is.Own.Command, " ")
	}
	if spec.Table != "" {
		d.logf("incident: %s --mode %s --table %s %v", script, spec.Mode, spec.Table, spec.Guardrails)
	} else {
		d.logf("incident: %s --mode %s with %d %s IDs %v%s", script, spec.Mode, len(is.IDs), spec.IDKind, spec.Guardrails, pacing(is))
	}
	// Read as close to T0 as the script's start allows: the backup age and archive lag an
	// auditor asks about are those of the moment the incident began.
	var ready *measure.Readiness
	if r, err := scenarios.ReadReadiness(ctx, d.st, d.backups); err != nil {
		d.logf("incident: backup age and WAL archive lag at T0 not measured: %v", err)
	} else {
		ready = &r
	}
	inc, err := scenarios.RunIncident(ctx, d.st, is)
	if err != nil {
		return fmt.Errorf("run the faulty script: %w", err)
	}
	d.t0 = inc.T0
	assessed := time.Now()
	blast, err := scenarios.Assess(ctx, d.st.DSN(), d.manifest)
	if err != nil {
		return fmt.Errorf("measure the blast radius: %w", err)
	}
	took := time.Since(assessed)
	how := "by row versions"
	if r := blast.Read; r.Total > 0 {
		how = fmt.Sprintf("by changed pages: %d of %d read", r.Read, r.Total)
	}
	d.logf("incident: blast radius assessed in %s (%s)", took.Round(time.Millisecond), how)
	d.affected = blast.Tenants
	d.record(func(h *History) {
		h.Incident = &IncidentRecord{Run: inc, Blast: blast, Readiness: ready, Assessed: took}
	})
	if ready != nil {
		age, _ := measure.BackupAge(inc.T0, *ready)
		lag, _ := measure.WALArchiveLag(inc.T0, *ready)
		d.logf("incident: at T0 the last backup (%s) was %s old; the WAL archive was %s behind (%d bytes unarchived)",
			ready.LastBackup, age.Round(time.Millisecond), lag.Round(time.Millisecond), ready.UnarchivedBytes)
	}
	d.logf("incident: exit %d after %s; from the data: %d sites of %d tenants (%d users) affected",
		inc.ExitCode, inc.Duration.Round(time.Millisecond), len(blast.Sites), len(blast.Tenants), blast.Users)
	if len(d.affected) > 0 && d.traffic != nil {
		if d.verifier, err = measure.StartVerifier(d.bg, measure.VerifierConfig{
			Observer: measure.DBObserver{DB: d.pool, Shape: d.manifest.Shape()}, Tenants: d.affected, Baseline: d.manifest,
			Traffic: d.traffic, Interval: d.cfg.VerifyInterval,
		}); err != nil {
			return fmt.Errorf("start the verifier: %w", err)
		}
		d.onClose("verifier", func(context.Context) error { d.verifier.Stop(); return nil })
	}
	return nil
}

// RunRunbook runs the named runbook (undo-mark, full-pitr, tenant-restore), then waits until
// every affected tenant is verified restored or the settle deadline passes: a runbook that
// reports success without bringing tenants back shows as tenants never restored.
func (d *Drill) RunRunbook(ctx context.Context, name string) error {
	if err := d.CheckRunbook(name); err != nil {
		return err
	}
	if d.t0.IsZero() {
		return errors.New("drill: no incident to recover from: run the faulty script first")
	}
	// The incident is noticed DetectionDelay after T0: the runbook starts then, and every
	// tenant's RTO, measured from T0, includes the wait.
	if wait := time.Until(d.t0.Add(d.cfg.DetectionDelay)); wait > 0 {
		d.logf("restore: the incident is noticed at T0+%s: the runbook starts in %s", d.cfg.DetectionDelay, wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the incident to be noticed: %w", ctx.Err())
		case <-t.C:
		}
	}
	// The restore runs as on a database with no snapshot of the harness's open: vacuum and
	// page pruning at work, nothing for a CREATE INDEX CONCURRENTLY to wait for. The final
	// check reads row versions.
	if err := d.manifest.Release(ctx); err != nil {
		d.logf("restore: releasing the pre-incident snapshot: %v", err)
	}
	defer d.phase("restore")()
	if d.stopBackups != nil {
		if err := d.stopBackups(); err != nil {
			return fmt.Errorf("base-backup schedule: %w", err)
		}
	}
	env := &scenarios.Env{
		// The runbook assesses as an operator could: by row versions, without the snapshot the
		// harness held from before the incident.
		Stack: d.st, Backups: d.backups, T0: d.t0, Before: d.manifest.Detached(), IDs: d.idList,
		Params:   scenarios.Params{Parallelism: d.cfg.Parallelism, NoWALSwitch: d.cfg.NoWALSwitch, Tenancy: d.cfg.tenancy()},
		Progress: d.cfg.Log, Faults: d.takeArmed(), Own: d.cfg.ownRunbooks(),
	}
	if inc := d.h.Incident; inc != nil && inc.Readiness != nil {
		env.WALAtT0 = inc.Readiness.InsertLSN
	}
	d.record(func(h *History) { h.Params.Runbook = name })
	rb, err := scenarios.RunRunbook(ctx, name, env)
	d.record(func(h *History) { h.Runbook = &RunbookRecord{Steps: rb, Findings: env.Findings} })
	if err != nil {
		return fmt.Errorf("runbook %s: %w", name, err)
	}
	d.logf("restore: runbook %s done in %s", name, results.Duration(rb.DurationMS).Round(time.Millisecond))
	return d.settle(ctx)
}

// RunRunbookFailing runs the named runbook where a scenario expects it not to recover the
// incident (tenant-restore after a corrupting update: its live-wins copy leaves present rows
// as they are): its failure is recorded as a finding, and it is an error only when the runbook
// succeeded or the drill was cancelled.
func (d *Drill) RunRunbookFailing(ctx context.Context, name string) error {
	err := d.RunRunbook(ctx, name)
	switch {
	case err == nil:
		return fmt.Errorf("runbook %s succeeded, expected it to fail", name)
	case ctx.Err() != nil, d.h.Runbook == nil:
		return err
	}
	d.record(func(h *History) {
		h.Runbook.Findings = append(h.Runbook.Findings, fmt.Sprintf("The runbook %s failed, as the scenario expects: %v", name, err))
	})
	d.logf("restore: runbook %s failed, as the scenario expects: %v", name, err)
	return nil
}

// settle waits until the verifier has verified every affected tenant and the prober sees
// all their sites up, then for one more sweep of every affected tenant so that "stays
// restored" has a sample after the last rise.
func (d *Drill) settle(ctx context.Context) error {
	if d.verifier == nil {
		return nil
	}
	settled := measure.NewSettled(d.verifier, d.prober, d.affected)
	// The runbook is done: the next samples need not wait for the next tick of either clock.
	d.verifier.RoundNow()
	d.prober.ProbeNow()
	deadline := max(30*time.Second, 40*d.cfg.VerifyInterval)
	err := waitFor(ctx, deadline, func() (bool, error) { return settled.Done(), nil })
	if err != nil {
		d.logf("restore: %d of %d affected tenants verified restored after %s", settled.Verified(), len(d.affected), deadline)
		if errors.Is(err, context.DeadlineExceeded) {
			return nil // the verdict will say which tenants never came back
		}
		return err
	}
	d.logf("restore: all %d affected tenants verified restored", len(d.affected))
	return nil
}

// SetObjectives sets the SLOs the verdict is judged against.
func (d *Drill) SetObjectives(objs []measure.Objective) {
	d.record(func(h *History) { h.Objectives = objs })
}

// End stops traffic, takes the final snapshot of every tenant, and stops the probes and the
// verifier: their histories go into the drill's history, which Judge then judges.
func (d *Drill) End(ctx context.Context) error {
	if d.traffic == nil {
		return fmt.Errorf("%w: no traffic was recorded, nothing to verify", ErrNotStarted)
	}
	if d.ended {
		return nil
	}
	defer d.phase("verification")()
	t0 := d.t0
	if t0.IsZero() {
		t0 = time.Now() // no incident: every loss is a loss before T0
		d.t0 = t0
	}
	stats := d.traffic.Stop()
	if err := d.ledger.Flush(); err != nil {
		return err
	}
	snap, err := measure.TakeFinalSnapshot(ctx, d.pool, d.manifest)
	if err != nil {
		return err
	}
	timeline := d.prober.Stop()
	var samples []measure.Sample
	if d.verifier != nil {
		samples = d.verifier.Stop()
	}
	d.record(func(h *History) {
		h.Observed = &measure.Input{
			T0: t0, Tenants: d.tenants, Affected: d.affected, Writes: d.ledger.Writes(),
			Final: snap.Records, Timeline: timeline, Samples: samples, SeededDiff: snap.SeededDiff,
			Deleted: d.deletedSites(),
		}
		h.Traffic = results.Traffic{Acked: stats.Acked, Failed: stats.FailedTotal()}
		h.EndedAt = time.Now()
	})
	d.ended = true
	res := d.Results()
	d.logf("verdict: %s (%d affected, %d restored, %d lost writes, %d bystanders hit)", res.Verdict,
		res.Summary.AffectedTenants, res.Summary.RestoredTenants, res.Summary.LostWrites, res.Summary.BystandersHit)
	return nil
}

// deletedSites are the sites the blast radius found gone or marked (none before the incident).
func (d *Drill) deletedSites() []int64 {
	if d.h.Incident == nil {
		return nil
	}
	return d.h.Incident.Blast.Sites
}

// Fail records why the drill did not run to its verdict (a failed step, a cancelled run);
// nil records nothing. A breach of objectives alone is a verdict and Judge keeps it out of
// the results' Error.
func (d *Drill) Fail(err error) {
	if err != nil {
		d.record(func(h *History) { h.Err = err })
	}
}

// WriteResults writes results.json (and a copy of the ledger, the evidence behind every loss
// figure) into dir and returns the path of results.json.
func (d *Drill) WriteResults(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results directory: %w", err)
	}
	if d.h.EndedAt.IsZero() {
		d.record(func(h *History) { h.EndedAt = time.Now() })
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
	res := d.Results()
	if d.st == nil {
		return res, nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	clean := []byte(d.st.Redact(string(b)))
	if bytes.Equal(clean, b) {
		return res, nil
	}
	var masked results.Results
	if err := json.Unmarshal(clean, &masked); err != nil {
		return nil, fmt.Errorf("results after redaction: %w", err)
	}
	return &masked, nil
}

// phase records a timed phase; call the returned func when it ends.
func (d *Drill) phase(name string) func() {
	start := time.Now()
	return func() {
		took := time.Since(start)
		d.record(func(h *History) {
			h.Phases = append(h.Phases, results.Phase{Name: name, Start: start, DurationMS: results.MS(took)})
		})
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

// PhaseRun is one phase of a whole drill run from Go: its name in results.json and the call.
type PhaseRun struct {
	Name string
	Run  func(context.Context) error
}

// Sequence is the drill's phases in the order a feature runs them, for a caller that drives a
// whole drill from Go (make bench labels and times each): stack, seeding, traffic, the
// incident as spec says, the runbook, and the end.
func (d *Drill) Sequence(spec IncidentSpec, runbook string) []PhaseRun {
	return []PhaseRun{
		{"stack", d.StartStack},
		{"seeding", d.Seed},
		{"traffic", d.StartTraffic},
		{"incident", func(ctx context.Context) error { return d.RunIncident(ctx, spec) }},
		{"restore", func(ctx context.Context) error { return d.RunRunbook(ctx, runbook) }},
		{"verification", d.End},
	}
}

// pacing describes the script's pacing for the log ("" when unpaced).
func pacing(is scenarios.IncidentSpec) string {
	switch {
	case is.Pause > 0 && is.Batch > 0:
		return fmt.Sprintf(", %d IDs a batch every %s", is.Batch, is.Pause)
	case is.Pause > 0:
		return fmt.Sprintf(", a batch every %s", is.Pause)
	case is.Batch > 0:
		return fmt.Sprintf(", %d IDs a batch", is.Batch)
	}
	return ""
}
