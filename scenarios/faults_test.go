package scenarios

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/stack"
)

func TestFaultRegistry(t *testing.T) {
	want := []string{"db-killed", "side-db-killed", "network-cut", "wal-segment-missing", "corrupt-base-backup", "repo-unavailable"}
	if got := Faults(); !slices.Equal(got, want) {
		t.Errorf("Faults() = %v, want %v", got, want)
	}
	for _, name := range want {
		f, err := LookupFault(name)
		if err != nil || f.Name() != name || f.Description() == "" {
			t.Errorf("LookupFault(%q) = %v, %v", name, f, err)
		}
	}
	if _, err := LookupFault("db-restart"); !errors.Is(err, ErrUnknownFault) || !strings.Contains(err.Error(), "wal-segment-missing") {
		t.Errorf("unknown fault: %v, want ErrUnknownFault listing the known ones", err)
	}
}

func TestArchiveSegments(t *testing.T) {
	tests := []struct {
		seg, next string
	}{
		{"000000010000000000000003", "000000010000000000000004"},
		{"0000000100000000000000FF", "000000010000000100000000"},
		{"00000002000000AB000000FE", "00000002000000AB000000FF"},
	}
	for _, tt := range tests {
		if got := nextSegment(tt.seg); got != tt.next {
			t.Errorf("nextSegment(%s) = %s, want %s", tt.seg, got, tt.next)
		}
	}
	segs := []string{"000000010000000000000002", "000000010000000000000003", "000000010000000000000005", "000000010000000000000006", "000000020000000000000009"}
	tests2 := []struct {
		segs       []string
		from, upto string
		missing    string
		unusable   int
	}{
		{segs, "000000010000000000000002", "", "000000010000000000000004", 2},
		{segs[:2], "000000010000000000000002", "", "", 0},
		{segs[:2], "000000010000000000000002", "000000010000000000000003", "", 0},
		// The last segment needed is gone: the archive ends early, with no later segment.
		{segs[:2], "000000010000000000000002", "000000010000000000000004", "000000010000000000000004", 0},
	}
	for _, tt := range tests2 {
		if m, n := archiveGap(tt.segs, tt.from, tt.upto); m != tt.missing || n != tt.unusable {
			t.Errorf("archiveGap(%v, %s, %q) = %q, %d; want %q, %d", tt.segs, tt.from, tt.upto, m, n, tt.missing, tt.unusable)
		}
	}
	label := "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\n"
	if f := fileOf(label, "START WAL LOCATION: "); f != "000000010000000000000002" {
		t.Errorf("fileOf = %q", f)
	}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("failed to connect to `host=127.0.0.1`: dial error: connection refused"), true},
		{errors.New("copy: unexpected EOF"), true},
		{errors.New("conn closed"), true},
		{errors.New(`ERROR: relation "x" does not exist (SQLSTATE 42P01)`), false},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// faultCase is one fault injected into one runbook, after an incident done in SQL on the tiny
// profile, with the ground truth checked from the data.
type faultCase struct {
	name    string
	runbook string
	fault   Fault
	app     bool
	// prepare runs after seeding and the victim's write before T0 (extra backups, WAL).
	prepare func(t *testing.T, ctx context.Context, d *drillData)
	check   func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error)
}

func TestFaultsDuringRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	tests := []faultCase{
		{
			name: "tenant-restore/db-killed", runbook: "tenant-restore", fault: dbKilled{},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantRetried(t, rb, "copy tenants batch", 2)
				wantFinding(t, env, "fault db-killed", "copied")
				wantFinding(t, env, "recovered on attempt 2", "live db answered again")
			},
		},
		{
			name: "tenant-restore/side-db-killed", runbook: "tenant-restore", fault: sideDBKilled{},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantRetried(t, rb, "replay WAL on side db to T0", 2)
				wantFinding(t, env, "fault side-db-killed", "SIGKILL")
			},
		},
		{
			name: "full-pitr/db-killed", runbook: "full-pitr", fault: dbKilled{},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantRetried(t, rb, "start db and replay WAL to T0", 2)
				wantFinding(t, env, "fault db-killed", "during WAL replay")
			},
		},
		{
			name: "full-pitr/corrupt-base-backup", runbook: "full-pitr", fault: corruptBaseBackup{},
			prepare: func(t *testing.T, ctx context.Context, d *drillData) {
				if _, err := d.backups.Take(ctx); err != nil { // base-2: the one corrupted
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantFinding(t, env, "fault corrupt-base-backup", "base backup base-2")
				wantFinding(t, env, "base-2", "fell back to the older base backup base-1")
				if !hasStep(rb, "replace data directory with base-1") {
					t.Errorf("full-pitr did not restore base-1: steps %v", stepNames(rb))
				}
				if st := findStep(rb, "verify base backup base-2"); st == nil || st.Error == "" {
					t.Errorf("verify base backup base-2 did not fail: %+v", st)
				}
			},
		},
		{
			// The side db starts from base-2 while pg_verifybackup checks it: the start is
			// abandoned when the check fails, and base-1's replaces it.
			name: "tenant-restore/corrupt-base-backup", runbook: "tenant-restore", fault: corruptBaseBackup{},
			prepare: func(t *testing.T, ctx context.Context, d *drillData) {
				if _, err := d.backups.Take(ctx); err != nil { // base-2: the one corrupted
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantFinding(t, env, "base-2", "fell back to the older base backup base-1")
				if st := findStep(rb, "verify base backup base-2"); st == nil || st.Error == "" {
					t.Errorf("verify base backup base-2 did not fail: %+v", st)
				}
				if !hasStep(rb, "start side db from base-2") {
					t.Errorf("the side db did not start from base-2 while it was verified: steps %v", stepNames(rb))
				}
				if st := findStep(rb, "start side db from base-1"); st == nil || st.Error != "" {
					t.Errorf("start side db from base-1: %+v", st)
				}
				if n := sideContainers(t, d.s); n != 0 {
					t.Errorf("%d side db containers left after the runbook", n)
				}
			},
		},
		{
			name: "tenant-restore/corrupt-only-backup", runbook: "tenant-restore", fault: corruptBaseBackup{},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				if !errors.Is(err, ErrNoValidBackup) {
					t.Fatalf("err = %v, want ErrNoValidBackup (the only backup is corrupt)", err)
				}
				wantFinding(t, env, "no base backup to restore from", "base-1")
			},
		},
		{
			name: "tenant-restore/wal-segment-missing", runbook: "tenant-restore", fault: walSegmentMissing{},
			prepare: func(t *testing.T, ctx context.Context, d *drillData) {
				// The backup ends with a segment switch: this write lands in the first segment
				// after it, the one the fault deletes, and the next switch archives it.
				victim, tenant := d.victimSite()
				liveWrite(t, ctx, d.s.DSN(), tenant, victim, "live-in-gap")
				if _, err := switchWAL(ctx, d.s.DSN(), time.Minute); err != nil {
					t.Fatal(err)
				}
				liveWrite(t, ctx, d.s.DSN(), tenant, victim, "live-after-gap")
			},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantFinding(t, env, "fault wal-segment-missing", "deleted WAL segment")
				var seg string
				for _, f := range env.Findings {
					if _, rest, ok := strings.Cut(f, "deleted WAL segment "); ok {
						seg, _, _ = strings.Cut(rest, " ")
					}
				}
				// The runbook finds the gap itself, from the archive: the same segment.
				wantFinding(t, env, "tenant-restore: WAL segment "+seg, "missing from the archive")
				wantFinding(t, env, ErrTargetNotReached.Error())
				victim, _ := d.victimSite()
				for _, key := range []string{"live-in-gap", "live-after-gap"} {
					if hasRecord(t, ctx, d.s.DSN(), victim, key) {
						t.Errorf("victim write %s before T0 restored although its WAL segment %s is gone", key, seg)
					}
				}
			},
		},
		{
			// The gap one segment later: recovery replays A's commit and stops before B's.
			name: "full-pitr/wal-segment-missing-later", runbook: "full-pitr", fault: walSegmentMissing{},
			prepare: func(t *testing.T, ctx context.Context, d *drillData) {
				liveWrite(t, ctx, d.s.DSN(), d.by, d.bySite, "live-A")
				if _, err := switchWAL(ctx, d.s.DSN(), time.Minute); err != nil {
					t.Fatal(err)
				}
				// The fault deletes the segment B's insert went to, read inside B's
				// transaction: A committed before the switch, so before that segment,
				// whatever segment switches archive_timeout adds.
				d.segment = walWrite(t, ctx, d.s.DSN(), d.by, d.bySite, "live-B")
				if _, err := switchWAL(ctx, d.s.DSN(), time.Minute); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantFinding(t, env, "full-pitr: recovery reached", "before T0")
				wantFinding(t, env, "full-pitr: WAL segment", "missing from the archive")
				if !hasRecord(t, ctx, d.s.DSN(), d.bySite, "live-A") || hasRecord(t, ctx, d.s.DSN(), d.bySite, "live-B") {
					t.Errorf("want A (before the gap) kept and B (in the missing segment) lost")
				}
			},
		},
		{
			name: "full-pitr/network-cut", runbook: "full-pitr", fault: networkCut{For: 3 * time.Second}, app: true,
			check: func(t *testing.T, ctx context.Context, d *drillData, env *Env, rb results.Runbook, err error) {
				mustRecover(t, err)
				wantFinding(t, env, "fault network-cut", "cut off from the database for")
				// Ground truth: the app cannot answer healthy before the network is back, 3 s
				// after the cut at the runbook's start (after T0).
				if st := findStep(rb, "wait for app healthy"); st == nil || st.Error != "" || st.StartMS+st.DurationMS < 3000 {
					t.Errorf("wait for app healthy: %+v, want it to end ≥ 3000 ms after T0, once the cut healed", st)
				}
				resp, herr := http.Get(d.s.AppURL() + "/healthz")
				if herr != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("app after the runbook: %v %v", resp, herr)
				} else {
					resp.Body.Close()
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			d := seedTiny(t, ctx, stack.Config{WithoutApp: !tt.app, ArchiveTimeout: time.Second})
			dsn := d.s.DSN()
			before := manifest(t, ctx, dsn, d.scope)
			victim, victimTenant := d.victimSite()
			liveWrite(t, ctx, dsn, victimTenant, victim, "live-before-victim")
			if tt.prepare != nil {
				tt.prepare(t, ctx, d)
			}
			fault := tt.fault
			if w, ok := fault.(walSegmentMissing); ok && d.segment != "" {
				w.Segment = d.segment
				fault = w
			}
			t0 := time.Now()
			sqlIncident(t, ctx, dsn, "purge", d.targets.SiteIDs)

			env := &Env{
				Stack: d.s, Backups: d.backups, T0: t0, Before: before, IDs: d.targets.SiteIDs,
				Params: Params{BatchSize: 1, Parallelism: 2, Timeout: time.Minute}, Progress: os.Stderr,
				Faults: []Fault{fault},
			}
			rb, err := RunRunbook(ctx, tt.runbook, env)
			for _, f := range env.Findings {
				t.Logf("finding: %s", f)
			}
			t.Logf("%s with %s: %.0f ms, err %v", tt.runbook, tt.fault.Name(), rb.DurationMS, err)
			if slices.ContainsFunc(env.Findings, func(f string) bool { return strings.Contains(f, "never fired") }) {
				t.Errorf("fault %s never fired", tt.fault.Name())
			}
			tt.check(t, ctx, d, env, rb, err)
			if err == nil {
				// Ground truth: every affected tenant equals its pre-incident manifest.
				if diff := before.Diff(manifest(t, ctx, dsn, d.scope)); len(diff) != 0 {
					t.Errorf("%d tenants differ from the pre-incident manifest: %+v", len(diff), diff)
				}
				// The victim's write after the backup and before T0 is kept, unless the fault
				// took its WAL.
				if _, ok := tt.fault.(walSegmentMissing); !ok && !hasRecord(t, ctx, dsn, victim, "live-before-victim") {
					t.Errorf("victim's write before T0 lost")
				}
			}
		})
	}
}

func mustRecover(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("runbook did not recover from the fault: %v", err)
	}
}

func wantFinding(t *testing.T, env *Env, parts ...string) {
	t.Helper()
	for _, f := range env.Findings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(f, p)
		}
		if all {
			return
		}
	}
	t.Errorf("no finding containing %q in %q", parts, env.Findings)
}

// wantRetried checks that a step starting with prefix failed on attempt 1 and succeeded on n.
func wantRetried(t *testing.T, rb results.Runbook, prefix string, n int) {
	t.Helper()
	var failed, ok bool
	for _, st := range rb.Steps {
		if !strings.HasPrefix(st.Name, prefix) {
			continue
		}
		failed = failed || (st.Attempt == 1 && st.Error != "")
		ok = ok || (st.Attempt == n && st.Error == "")
	}
	if !failed || !ok {
		t.Errorf("step %q: want attempt 1 failed and attempt %d succeeded; steps %+v", prefix, n, rb.Steps)
	}
}

func findStep(rb results.Runbook, name string) *results.Step {
	for i := range rb.Steps {
		if rb.Steps[i].Name == name {
			return &rb.Steps[i]
		}
	}
	return nil
}

func hasStep(rb results.Runbook, name string) bool { return findStep(rb, name) != nil }

func stepNames(rb results.Runbook) []string {
	var out []string
	for _, st := range rb.Steps {
		out = append(out, st.Name)
	}
	return out
}

// onPoint is a fault that fires at one hook and counts its calls.
type onPoint struct {
	hook  Hook
	calls *int
}

func (f onPoint) Name() string        { return "on-" + string(f.hook) }
func (f onPoint) Description() string { return "fires at " + string(f.hook) }
func (f onPoint) Fire(ctx context.Context, env *Env, at Point) (bool, error) {
	*f.calls++
	return at.Hook == f.hook, nil
}

// TestHookFiresOnceAndReportsUnfired: a fault is offered every point until it fires, then
// never again; one whose point the runbook never reaches is a finding.
func TestHookFiresOnceAndReportsUnfired(t *testing.T) {
	var copyCalls, replayCalls int
	env := &Env{T0: time.Now(), Faults: []Fault{onPoint{HookCopy, &copyCalls}, onPoint{HookReplay, &replayCalls}}}
	ctx := context.Background()
	for _, p := range []Point{{Hook: HookStart}, {Hook: HookBackupChosen}, {Hook: HookCopy, Batch: 1}, {Hook: HookCopy, Batch: 2}} {
		if err := env.hook(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if copyCalls != 3 || replayCalls != 4 {
		t.Errorf("calls: copy fault %d (want 3: until it fired), replay fault %d (want 4)", copyCalls, replayCalls)
	}
	env.endFaults("tenant-restore")
	if len(env.Findings) != 1 || !strings.Contains(env.Findings[0], "fault on-replay never fired: runbook tenant-restore") {
		t.Errorf("findings %q, want one saying on-replay never fired", env.Findings)
	}
}
