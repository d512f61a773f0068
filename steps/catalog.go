package steps

// Def is one step definition: the entry of the step catalog.
type Def struct {
	Pattern     string // godog regular expression
	Description string // one line: what the step does
	Example     string // a line as written in a feature; must match Pattern
	Func        any    // the step function, as godog takes it
}

// Catalog returns every step definition, in the order of a drill.
func Catalog() []Def { return append([]Def(nil), catalog...) }

// catalog is the step catalog: the single list steps are registered from, printed by
// `drdrill steps` and rendered into docs/steps.md. Grouped in the order a drill reads:
// configure, run, assert.
var catalog = []Def{
	// Configuration: before the stack starts.
	{`^a drill on the "([^"]*)" profile$`,
		"Chooses the fixtures profile: how many tenants, sites and rows, and which are in the faulty ID list (quick, atlassian).",
		`Given a drill on the "quick" profile`, useProfile},
	{`^the drill has (-?\d+) tenants$`,
		"Overrides the profile's number of tenants.",
		`And the drill has 500 tenants`, useTenants},
	{`^each site has (-?\d+) records$`,
		"Overrides the profile's number of records (tenant content rows) per site.",
		`And each site has 50 records`, useRecords},
	{`^traffic at (\d+(?:\.\d+)?) writes per second$`,
		"Sets the rate of writes the traffic keeps up over all tenants, bystanders included.",
		`And traffic at 200 writes per second`, useTrafficRate},
	{`^WAL archived at least every (\S+)$`,
		"Sets Postgres archive_timeout: the longest a write waits before its WAL reaches the archive (bounds the RPO of a restore).",
		`And WAL archived at least every 10s`, useArchiveTimeout},
	{`^a base backup every (\S+)$`,
		"Takes base backups on a schedule while the drill runs (default: one, after seeding).",
		`And a base backup every 5m`, useBackupEvery},
	{`^availability probed every (\S+)$`,
		"Sets the availability probe period: the precision of every RTO and MTTD figure.",
		`And availability probed every 500ms`, useProbeInterval},
	{`^data verified every (\S+)$`,
		"Sets how often tenants' data is verified during recovery: the precision of \"verified restored\".",
		`And data verified every 2s`, useVerifyInterval},
	{`^tenants restored (-?\d+) at a time$`,
		"Sets how many tenants a per-tenant restore runbook restores in parallel.",
		`And tenants restored 4 at a time`, useParallelism},
	{`^the objectives:$`,
		"Sets the objectives the verdict is judged against: a table | objective | target |.",
		"Given the objectives:\n  | objective | target |\n  | RTO p95   | 10m    |\n  | RPO max   | 30s    |", useObjectives},

	// Phases: each starts something or changes the stack.
	{`^the reference stack is running$`,
		"Starts the stack: Postgres with WAL archiving and the reference service, on a private network.",
		`And the reference stack is running`, startStack},
	{`^the tenants are seeded$`,
		"Seeds the profile's fake tenants, takes the data manifest and a first base backup.",
		`And the tenants are seeded`, seed},
	{`^traffic is flowing$`,
		"Starts the writers (every acknowledged write goes to the ledger) and the availability prober.",
		`And traffic is flowing`, startTraffic},
	{`^a base backup is taken$`,
		"Takes a base backup now.",
		`And a base backup is taken`, baseBackup},
	{`^the cleanup script runs in (\S+) mode with (\S+) IDs(?: and the guardrails? "([^"]*)")?$`,
		"Runs the faulty cleanup script (T0 is its start): mode mark or purge, given app or site IDs, optionally with guardrails (comma-separated: dry-run, check-kind, max-scope=N).",
		`When the cleanup script runs in purge mode with site IDs and the guardrail "max-scope=5"`, runIncident},
	{`^the "([^"]*)" runbook runs$`,
		"Runs a restore runbook to the end (undo-mark, full-pitr, tenant-restore); its steps are timed.",
		`When the "tenant-restore" runbook runs`, runRunbook},
	{`^the fault "([^"]*)" is injected$`,
		"Arms a named fault for the next runbook: it fires at the point of the runbook it applies to (db-killed, side-db-killed, network-cut, wal-segment-missing, corrupt-base-backup).",
		`And the fault "db-killed" is injected`, inject},
	{`^the drill ends$`,
		"Stops traffic and probes, takes the final observation, measures RTO and RPO per tenant and judges the objectives.",
		`And the drill ends`, verify},

	// Assertions: read the drill's results.
	{`^the incident (\S+) (\d+) sites? of (\d+) tenants?$`,
		"Checks the blast radius found in the data: sites and tenants deleted (purge) or marked (mark).",
		`Then the incident deleted 12 sites of 10 tenants`, checkBlastRadius},
	{`^the cleanup script is refused by the "([^"]*)" guardrail$`,
		"Checks that the named guardrail stopped the script before it changed anything.",
		`Then the cleanup script is refused by the "max-scope" guardrail`, checkRefused},
	{`^(\S+) bystanders? lost acknowledged writes$`,
		"Checks bystander loss: \"no bystander\" (none lost a write) or \"some bystanders\" (a full rollback).",
		`Then no bystander lost acknowledged writes`, checkBystanders},
	{`^the report has a finding about "([^"]*)"$`,
		"Checks that a finding (what a fault did, how the runbook recovered or why it could not) contains the text, ignoring case.",
		`Then the report has a finding about "fell back to the older base backup"`, checkFinding},
	{`^the runbook step "([^"]*)" succeeded on attempt (\d+)$`,
		"Checks that the runbook step whose name starts with the text succeeded on that attempt (1: never retried).",
		`Then the runbook step "copy tenants" succeeded on attempt 2`, checkStepAttempts},
	{`^every objective is met$`,
		"Fails with each breached or unmeasured objective: measured value, target and where it is written.",
		`Then every objective is met`, checkObjectives},
}
