package drill

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/scenarios"
	"github.com/drdrill/drdrill/stack"
)

func TestCheckStepsOverResults(t *testing.T) {
	t0 := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	purged := &results.Results{Params: results.Params{Mode: "purge"},
		Incident: results.Incident{T0: t0, AffectedSites: 12, AffectedTenants: 10}, Verdict: results.StatusOK}
	refused := &results.Results{Params: results.Params{Mode: "purge"},
		Incident: results.Incident{T0: t0, Refused: true, ExitCode: 3, Log: "refused by max-scope: 12 sites > 5"}}
	notRun := &results.Results{}
	faulted := &results.Results{
		Findings: []string{"full-pitr: base backup base-2 (…) failed verification; fell back to the older base backup base-1"},
		Runbook: results.Runbook{Name: "full-pitr", Steps: []results.Step{
			{Name: "stop db"},
			{Name: "start db and replay WAL to T0", Attempt: 1, Error: "step failed"},
			{Name: "start db and replay WAL to T0", Attempt: 2},
		}},
	}
	v := func(f float64) *float64 { return &f }
	tests := []struct {
		name string
		err  error
		want string // "" = nil
	}{
		{"blast radius as expected", checkBlastRadius(purged, "deleted", 12, 10), ""},
		{"blast radius differs", checkBlastRadius(purged, "deleted", 883, 775), "deleted 12 sites of 10 tenants, expected 883 sites of 775"},
		{"purge did not mark", checkBlastRadius(purged, "marked", 12, 10), "ran in purge mode"},
		{"nothing marked by a purge is fine", checkBlastRadius(refused, "marked", 0, 0), ""},
		{"script not run", checkBlastRadius(notRun, "deleted", 0, 0), "has not run"},
		{"changed as expected", checkChanged(purged, 10), ""},
		{"restored as expected", checkRestored(&results.Results{Verdict: results.StatusBreached, Summary: results.Summary{AffectedTenants: 10}}, 0, 10), ""},
		{"restored differs", checkRestored(&results.Results{Verdict: results.StatusOK, Summary: results.Summary{AffectedTenants: 10, RestoredTenants: 10}}, 0, 10),
			"10 of 10 affected tenants are restored, expected 0 of 10"},
		{"restored before the end", checkRestored(notRun, 0, 0), "has not ended"},
		{"changed differs", checkChanged(purged, 100), "changed the data of 10 tenants (12 sites gone or marked), expected 100"},
		{"changed before the incident", checkChanged(notRun, 0), "has not run"},
		{"refused by the guardrail", checkRefused(refused, "max-scope"), ""},
		{"refused by another guardrail", checkRefused(refused, "check-kind"), `does not name the "check-kind" guardrail`},
		{"not refused", checkRefused(purged, "max-scope"), "was not refused"},
		{"no bystander loss wanted", checkBystanders(purged, false), ""},
		{"bystander loss wanted, none", checkBystanders(purged, true), "no bystander lost"},
		{"bystander loss unwanted", checkBystanders(&results.Results{Verdict: "ok", Summary: results.Summary{BystanderLost: 40, BystandersHit: 3}}, false), "3 bystanders lost 40"},
		{"bystanders before the end", checkBystanders(notRun, false), "has not ended"},
		{"finding present", checkFinding(faulted, "FELL BACK to the older"), ""},
		{"finding absent", checkFinding(faulted, "WAL segment"), "no finding about \"WAL segment\"; the findings are:\n  full-pitr: base backup base-2"},
		{"no findings", checkFinding(notRun, "x"), "the report has no findings"},
		{"step retried", checkStepAttempts(faulted, "start db and replay", 2), ""},
		{"step not retried", checkStepAttempts(faulted, "stop db", 1), ""},
		{"step attempts differ", checkStepAttempts(faulted, "stop db", 2), "no step starting \"stop db\" succeeded on attempt 2:\n  stop db attempt 1: ok"},
		{"failed attempt is not success", checkStepAttempts(faulted, "start db and replay", 1), "attempt 1: step failed"},
		{"no such step", checkStepAttempts(faulted, "copy", 2), "has no step starting \"copy\""},
		{"no runbook", checkStepAttempts(notRun, "copy", 2), "no runbook has run"},
		{"objectives met", checkObjectives([]results.Objective{{Name: "RTO p95", Status: results.StatusOK}}), ""},
		{"objective breached", checkObjectives([]results.Objective{{Name: "RTO p95", Target: "1ms", Unit: "ms", Measured: v(1487.02871), Status: results.StatusBreached, Source: "f.feature:9 row 2"}}),
			"objective breached:\n  f.feature:9 row 2 RTO p95: target 1ms, measured 1.487s"},
		{"objective unmeasured", checkObjectives([]results.Objective{{Name: "MTTD", Status: results.StatusUnknown, Detail: "no failed probe"}}), "not measured:\n  MTTD: target , measured nothing (no failed probe)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.want == "" && tt.err != nil:
				t.Fatalf("err = %v, want nil", tt.err)
			case tt.want != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to contain %q", tt.err, tt.want)
			}
		})
	}
	breach := checkObjectives([]results.Objective{{Status: results.StatusBreached}})
	if !errors.Is(breach, ErrBreached) || errors.Is(breach, ErrUnmeasured) {
		t.Errorf("breach error %v: want ErrBreached only", breach)
	}
}

func TestValidateStepArguments(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"quick", Config{Profile: "quick"}.Validate(), ""},
		{"default profile", Config{}.Validate(), ""},
		{"unknown profile", Config{Profile: "huge"}.Validate(), `unknown fixtures profile "huge"`},
		{"tenants below victims", Config{Profile: "quick", Tenants: 5}.Validate(), "needs at least 10 tenants, not 5"},
		{"atlassian overrides", Config{Profile: "atlassian", Tenants: 20000, RecordsPerSite: 10}.Validate(), ""},
		{"traffic typo", Config{TrafficRate: 2_000_000}.Validate(), "traffic rate"},
		{"faulty list", Config{Profile: "quick", VictimSites: 40, VictimTenants: 30}.Validate(), ""},
		{"faulty list above the tenants", Config{Profile: "quick", VictimSites: 300, VictimTenants: 200}.Validate(), "needs at least 200 tenants, not 100"},
		{"faulty list of more sites than its tenants hold", Config{Profile: "quick", VictimSites: 90, VictimTenants: 30}.Validate(), "victim_sites = 90: must be at most"},
		{"faulty share", Config{Profile: "atlassian", VictimShare: 0.0775}.Validate(), ""},
		{"faulty share above all", Config{VictimShare: 1.5}.Validate(), "faulty list share 150%"},
		{"negative pause", Config{ScriptPause: -time.Second}.Validate(), "the script's pause -1s"},
		{"detection delay typo", Config{DetectionDelay: 30 * time.Hour}.Validate(), "detection delay 30h0m0s: must be between 0 and 1h0m0s"},
		{"pgbackrest", Config{BackupTool: stack.PgBackRest}.Validate(), ""},
		{"unknown backup tool", Config{BackupTool: "barman"}.Validate(), `unknown backup tool "barman": use plain or pgbackrest`},
		{"scheduled incremental with pgbackrest", Config{BackupTool: stack.PgBackRest, ScheduledBackup: scenarios.Incr}.Validate(), ""},
		{"scheduled incremental on the plain route", Config{ScheduledBackup: scenarios.Incr}.Validate(), "incremental backups need pgBackRest"},
		{"full on the plain route", Config{}.CheckBackupType(scenarios.Full), ""},
		{"differential step", func() error { _, err := ParseBackupType("differential"); return err }(), ""},
		{"unknown backup type", func() error { _, err := ParseBackupType("snapshot"); return err }(), `unknown backup type "snapshot"`},
		{"incident", IncidentSpec{Mode: "purge", IDKind: "site", Guardrails: []string{"dry-run", "check-kind", "max-scope=5"}}.Validate(), ""},
		{"mode", IncidentSpec{Mode: "delete", IDKind: "site"}.Validate(), `unknown mode "delete"`},
		{"kind", IncidentSpec{Mode: "mark", IDKind: "user"}.Validate(), `unknown ID kind "user"`},
		{"max-scope needs N", IncidentSpec{Mode: "mark", IDKind: "app", Guardrails: []string{"max-scope"}}.Validate(), "unknown guardrail"},
		{"max-scope N >= 1", IncidentSpec{Mode: "mark", IDKind: "app", Guardrails: []string{"max-scope=0"}}.Validate(), "max-scope needs a whole number"},
		{"guardrail", IncidentSpec{Mode: "mark", IDKind: "app", Guardrails: []string{"prayer"}}.Validate(), `unknown guardrail "prayer"`},
		{"corrupt", IncidentSpec{Mode: "corrupt", IDKind: "site"}.Validate(), ""},
		{"truncate", IncidentSpec{Mode: "truncate", Table: "records", Guardrails: []string{"max-scope=3"}}.Validate(), ""},
		{"truncate with IDs", IncidentSpec{Mode: "truncate", Table: "records", IDKind: "site"}.Validate(), "names its table and takes no ID list"},
		{"table without truncate", IncidentSpec{Mode: "purge", IDKind: "site", Table: "records"}.Validate(), `table "records": only a truncating migration`},
		{"truncate records", Config{}.CheckIncident(IncidentSpec{Mode: "truncate", Table: "records"}), ""},
		{"truncate a table the stack lacks", Config{}.CheckIncident(IncidentSpec{Mode: "truncate", Table: "recordz"}),
			`table "recordz" is not a table of stack reference: its tables are tenants, sites, products, users, apps, records`},
		{"corrupt on a stack with its own script", func() error {
			s, err := LoadStack("../stacks/notes/stack.yaml")
			if err != nil {
				return err
			}
			return Config{Stack: s}.CheckIncident(IncidentSpec{Mode: "corrupt", IDKind: "site"})
		}(), "runs its own faulty script: the corrupt mode is the built-in legacy-cleanup's"},
		{"truncate a referenced table", Config{}.CheckIncident(IncidentSpec{Mode: "truncate", Table: "sites"}), `table "sites" of stack reference is referenced by the other tables`},
		{"runbook", New(Config{}).CheckRunbook("tenant-restore"), ""},
		{"unknown runbook", New(Config{}).CheckRunbook("pray"), `unknown runbook "pray"`},
		{"fault", CheckFault("wal-segment-missing"), ""},
		{"unknown fault", CheckFault("db-restart"), `unknown fault "db-restart": known faults are db-killed, side-db-killed, network-cut`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.want == "" && tt.err != nil:
				t.Fatalf("err = %v, want nil", tt.err)
			case tt.want != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to contain %q", tt.err, tt.want)
			}
		})
	}
}

// TestFaultyListSize: the faulty list's size the configuration asks for is the profile's the
// drill seeds (and so the blast radius the data will show; drill_test holds that part).
func TestFaultyListSize(t *testing.T) {
	tests := []struct {
		name                  string
		cfg                   Config
		wantSites, wantTenant int
	}{
		{"profile's", Config{Profile: "quick"}, 12, 10},
		{"counts", Config{Profile: "quick", VictimSites: 40, VictimTenants: 30}, 40, 30},
		{"share of atlassian", Config{Profile: "atlassian", VictimShare: 0.0775}, 884, 775},
		{"share, at least a site a tenant", Config{Profile: "quick", VictimShare: 0.001}, 1, 1},
		{"share, then a count", Config{Profile: "quick", VictimShare: 0.5, VictimSites: 60}, 60, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.cfg.profile()
			if err != nil {
				t.Fatal(err)
			}
			if p.VictimSites != tt.wantSites || p.VictimTenants != tt.wantTenant {
				t.Errorf("faulty list %d sites of %d tenants, want %d of %d", p.VictimSites, p.VictimTenants, tt.wantSites, tt.wantTenant)
			}
		})
	}
}

func TestConfigureKeepsConfigOnError(t *testing.T) {
	d := New(Config{Profile: "quick"})
	if err := d.Configure(func(c *Config) { c.Tenants = 5 }); err == nil {
		t.Fatal("5 tenants on quick: want an error")
	}
	if d.Config().Tenants != 0 {
		t.Errorf("config changed by a refused Configure: %+v", d.Config())
	}
	if err := d.Configure(func(c *Config) { c.Tenants = 500 }); err != nil || d.Config().Tenants != 500 {
		t.Errorf("Configure(500 tenants) = %v, config %+v", err, d.Config())
	}
}
