package scenarios

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/stacks/reference/legacycleanup"
	"github.com/drdrill/drdrill/tenancy"
)

func TestLatestBefore(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	bk := func(name string, finished time.Duration) Backup {
		return Backup{Name: name, Started: base.Add(finished - time.Second), Finished: base.Add(finished)}
	}
	list := []Backup{bk("base-1", 10*time.Second), bk("base-2", 20*time.Second), bk("base-3", 30*time.Second)}
	tests := []struct {
		name    string
		list    []Backup
		target  time.Duration
		want    string
		wantErr string
	}{
		{"after all", list, 40 * time.Second, "base-3", ""},
		{"between", list, 25 * time.Second, "base-2", ""},
		{"exactly at a finish is not before", list, 20 * time.Second, "base-1", ""},
		{"before the first", list, 5 * time.Second, "", "the first one, base-1, finished at 2026-11-25T09:00:10Z"},
		{"none taken", nil, 5 * time.Second, "", "no base backup was taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := latestBefore(tt.list, base.Add(tt.target))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrNoBackup mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Name != tt.want {
				t.Fatalf("got %q, %v; want %q", got.Name, err, tt.want)
			}
		})
	}
}

func TestLatestBeforeWithoutBackups(t *testing.T) {
	var b *Backups // a runbook given no backups at all
	if _, err := b.LatestBefore(time.Now()); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("err = %v, want ErrNoBackup", err)
	}
}

func TestParseBackupLabel(t *testing.T) {
	label := `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
CHECKPOINT LOCATION: 0/2000060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: 2026-11-25 09:17:52 UTC
LABEL: pg_basebackup base backup
START TIMELINE: 1
`
	lsn, at := parseBackupLabel(label)
	if lsn != "0/2000028" {
		t.Errorf("lsn = %q", lsn)
	}
	if want := time.Date(2026, 11, 25, 9, 17, 52, 0, time.UTC); !at.Equal(want) {
		t.Errorf("start = %v, want %v", at, want)
	}
}

func TestRecoverySettings(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 17, 57, 956187709, time.FixedZone("CET", 3600))
	got := recoverySettings(t0)
	for _, want := range []string{
		"restore_command = 'cp /archive/%f %p'",
		"recovery_target_time = '2026-11-25 08:17:57.956187+00'",
		"recovery_target_inclusive = off",
		"recovery_target_action = 'promote'",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("settings lack %q:\n%s", want, got)
		}
	}
	if end := recoverySettings(time.Time{}); strings.Contains(end, "recovery_target_time") {
		t.Errorf("zero target still sets a time:\n%s", end)
	}
}

func TestLookup(t *testing.T) {
	if got := Runbooks(); !slices.Equal(got, []string{"undo-mark", "full-pitr", "tenant-restore", "tenant-restore-per-deletion", "tenant-repair"}) {
		t.Fatalf("Runbooks() = %v", got)
	}
	for _, name := range Runbooks() {
		rb, err := LookupIn(name, nil)
		if err != nil || rb.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, rb, err)
		}
	}
	_, err := LookupIn("restore-everything", nil)
	if !errors.Is(err, ErrUnknownRunbook) || !strings.Contains(err.Error(), `unknown runbook "restore-everything": known runbooks are undo-mark, full-pitr, tenant-restore`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRecorder(t *testing.T) {
	t0 := time.Now().Add(-2 * time.Second)
	env := &Env{T0: t0}
	ctx := context.Background()
	if err := env.Step(ctx, "first", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := env.Step(ctx, "second", func(context.Context) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `step "second"`) {
		t.Fatalf("err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	if err := env.Step(cctx, "third", func(context.Context) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled step ran=%v err=%v", ran, err)
	}
	steps := env.rec.steps()
	if len(steps) != 3 || steps[0].Name != "first" || steps[1].Error == "" || steps[0].Error != "" {
		t.Fatalf("steps = %+v", steps)
	}
	// Starts are relative to T0, which was two seconds ago.
	if steps[0].StartMS < 2000 || steps[0].StartMS > 60000 {
		t.Errorf("start = %v ms since T0, want about 2000", steps[0].StartMS)
	}
}

func TestIncidentArgs(t *testing.T) {
	tests := []struct {
		spec IncidentSpec
		want string
	}{
		{IncidentSpec{Mode: "purge"}, "/legacy-cleanup --run-id R --mode purge --ids /incident-ids.txt --dsn-file /run/drdrill/dsn"},
		{IncidentSpec{Mode: "mark", Guardrails: legacycleanup.Guardrails{DryRun: true, CheckKind: true, MaxScope: 5}, Batch: 2, Pause: 150 * time.Millisecond},
			"/legacy-cleanup --run-id R --mode mark --ids /incident-ids.txt --dsn-file /run/drdrill/dsn --dry-run --check-kind --max-scope 5 --batch 2 --pause 150ms"},
		{IncidentSpec{Mode: "truncate", Table: "records", Guardrails: legacycleanup.Guardrails{MaxScope: 5}},
			"/legacy-cleanup --run-id R --mode truncate --table records --dsn-file /run/drdrill/dsn --max-scope 5"},
		{IncidentSpec{Mode: "corrupt", Batch: 3}, "/legacy-cleanup --run-id R --mode corrupt --ids /incident-ids.txt --dsn-file /run/drdrill/dsn --batch 3"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.spec.Args("R"), " "); got != tt.want {
			t.Errorf("Args = %q, want %q", got, tt.want)
		}
	}
}

func TestTarFiles(t *testing.T) {
	buf, err := tarFiles(map[string][]byte{"/ids.txt": []byte("1\n2\n")})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(buf)
	h, err := tr.Next()
	if err != nil || h.Name != "ids.txt" {
		t.Fatalf("header %+v, %v", h, err)
	}
	b, _ := io.ReadAll(tr)
	if string(b) != "1\n2\n" {
		t.Fatalf("content %q", b)
	}
}

func TestSQLBuilders(t *testing.T) {
	if got := int64Array([]int64{3, 1000000000001}); got != "{3,1000000000001}" {
		t.Errorf("int64Array = %q", got)
	}
	if got := upsertSQL("records", "restore_records"); !strings.HasSuffix(got, "ON CONFLICT DO NOTHING") {
		t.Errorf("records upsert = %q", got)
	}
	if got := upsertSQL("sites", "restore_sites"); !strings.Contains(got, "DO UPDATE SET deleted_at = EXCLUDED.deleted_at WHERE t.deleted_at >= $1") {
		t.Errorf("sites upsert = %q", got)
	}
	split := []struct{ table, live, gone, kept string }{
		{"tenants", "{5}", "", `id = ANY('{1,2}'::bigint[])`},
		{"sites", "{5}", `tenant_id = ANY('{1,2}'::bigint[]) AND id <> ALL('{5}'::bigint[])`, `tenant_id = ANY('{1,2}'::bigint[]) AND id = ANY('{5}'::bigint[])`},
		{"records", "{5}", `tenant_id = ANY('{1,2}'::bigint[]) AND site_id <> ALL('{5}'::bigint[])`, `tenant_id = ANY('{1,2}'::bigint[]) AND site_id = ANY('{5}'::bigint[])`},
		{"records", "{}", `tenant_id = ANY('{1,2}'::bigint[]) AND site_id <> ALL('{}'::bigint[])`, ""},
	}
	for _, c := range split {
		if gone, kept := splitBySite(c.table, "{1,2}", c.live); gone != c.gone || kept != c.kept {
			t.Errorf("splitBySite(%s, live %s) = %q, %q; want %q, %q", c.table, c.live, gone, kept, c.gone, c.kept)
		}
	}
	if got := tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("tail = %q", got)
	}
	if got := poolDSN("postgres://x/db?sslmode=disable", 3); got != "postgres://x/db?sslmode=disable&pool_max_conns=3" {
		t.Errorf("poolDSN = %q", got)
	}
}

func TestLSNSegment(t *testing.T) {
	for _, c := range []struct {
		tli  uint32
		lsn  string
		want string
		bad  bool
	}{
		{1, "0/5000028", "000000010000000000000005", false},
		{1, "0/FF000000", "0000000100000000000000FF", false},
		{2, "3/1A2B3C4D", "00000002000000030000001A", false},
		{1, "5000028", "", true},
		{1, "0/xyz", "", true},
	} {
		got, err := lsnSegment(c.tli, c.lsn)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("lsnSegment(%d, %q) = %q, %v; want %q (error %v)", c.tli, c.lsn, got, err, c.want, c.bad)
		}
	}
}

func TestCheckRunbook(t *testing.T) {
	withUnit := &tenancy.Declared{TenantTable: "tenants", TenantKey: "id", UnitTable: "sites", UnitKey: "id", UnitTenantColumn: "tenant_id"}
	perTenant := &tenancy.Declared{Model: tenancy.SchemaPerTenant, SchemaPattern: "tenant_{tenant}"}
	for _, c := range []struct {
		name    string
		tenancy *tenancy.Declared
		err     string
	}{
		{"tenant-restore", nil, ""},
		{"tenant-restore-per-deletion", withUnit, ""},
		{"tenant-restore-per-deletion", nil, "needs a tenancy model with a unit table"},
		{"tenant-restore-per-deletion", &tenancy.Declared{TenantTable: "orgs", TenantKey: "id"}, "needs a tenancy model with a unit table"},
		{"tenant-restore-per-deletion", perTenant, "needs a tenancy model with a unit table"},
		{"restore-everything", withUnit, "unknown runbook"},
	} {
		err := CheckRunbook(c.name, nil, c.tenancy)
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("CheckRunbook(%q, %+v) = %v, want %q", c.name, c.tenancy, err, c.err)
		}
	}
}
