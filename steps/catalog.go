package steps

import "github.com/cucumber/godog"

// Def is one step definition: the entry of the step catalog.
type Def struct {
	Pattern     string // godog regular expression
	Description string // one line: what the step does
	Example     string // a line as written in a feature; must match Pattern
	Func        any    // the step function, as godog takes it
}

// Catalog returns every step definition, in the order of a drill.
func Catalog() []Def { return append([]Def(nil), catalog...) }

// catalog is the register's list.
var catalog = func() []Def {
	var l defList
	register(&l)
	return l.defs
}()

// register is the step catalog: the single list steps are registered from, printed by
// `drdrill steps` and rendered into docs/steps.md. Grouped in the order a drill reads:
// configure, run, assert. godog takes a step definition's location (the "# catalog.go:NN"
// beside each step of its pretty output) from the line that calls Step: each step calls it
// on its own line here, so that the location is the step's pattern, next to its function.
func register(r registry) {
	// Configuration: before the stack starts.
	r.Doc("Chooses the fixtures profile: how many tenants, sites and rows, and which are in the faulty ID list (quick, atlassian).",
		`Given a drill on the "quick" profile`).
		Step(`^a drill on the "([^"]*)" profile$`, useProfile)

	r.Doc("Chooses the stack file the drill runs on (default: the reference stack, stacks/reference/stack.yaml); relative to the working directory, else to the feature's folder. Checked by --check: `drdrill stack check` says what is wrong with it.",
		`Given the stack "stacks/reference/stack.yaml"`).
		Step(`^the stack "([^"]*)"$`, useStack)

	r.Doc("Overrides the profile's number of tenants.",
		`And the drill has 500 tenants`).
		Step(`^the drill has (-?\d+) tenants$`, useTenants)

	r.Doc("Overrides the profile's number of records (tenant content rows) per site.",
		`And each site has 50 records`).
		Step(`^each site has (-?\d+) records$`, useRecords)

	r.Doc("Sets the rate of writes the traffic keeps up over all tenants, bystanders included.",
		`And traffic at 200 writes per second`).
		Step(`^traffic at (\d+(?:\.\d+)?) writes per second$`, useTrafficRate)

	r.Doc("Sets Postgres archive_timeout: the longest a write waits before its WAL reaches the archive (bounds the RPO of a restore).",
		`And WAL archived at least every 10s`).
		Step(`^WAL archived at least every (\S+)$`, useArchiveTimeout)

	r.Doc("Chooses the backup tool: plain (pg_basebackup and a cp archive_command, the default) or pgbackrest (a repository on its own volume, archive-push, restores with pgbackrest restore).",
		`And backups are taken with pgbackrest`).
		Step(`^backups are taken with (\S+)$`, useBackupTool)

	r.Doc("Takes base backups on a schedule while the drill runs (default: one, after seeding).",
		`And a base backup every 5m`).
		Step(`^a base backup every (\S+)$`, useBackupEvery)

	r.Doc("Chooses the type of the scheduled backups (default full; differential and incremental need pgbackrest). The first backup is full.",
		`And scheduled backups are incremental`).
		Step(`^scheduled backups are (\S+)$`, useScheduledBackup)

	r.Doc("Sets the availability probe period: the precision of every RTO and MTTD figure.",
		`And availability probed every 500ms`).
		Step(`^availability probed every (\S+)$`, useProbeInterval)

	r.Doc("Sets how often tenants' data is verified during recovery: the precision of \"verified restored\".",
		`And data verified every 2s`).
		Step(`^data verified every (\S+)$`, useVerifyInterval)

	r.Doc("Sets how many tenants a per-tenant restore runbook restores in parallel.",
		`And tenants restored 4 at a time`).
		Step(`^tenants restored (-?\d+) at a time$`, useParallelism)

	r.Doc("Sizes the faulty ID list: the sites of how many tenants the script is given (instead of the profile's).",
		`And the faulty list names 40 sites of 30 tenants`).
		Step(`^the faulty list names (-?\d+) sites? of (-?\d+) tenants?$`, useFaultyList)

	r.Doc("Sizes the faulty ID list as a share of the tenants and of the sites alike (Atlassian's 7.75 %: 775 of 10,000 tenants, 883 of 11,400 sites).",
		`And the faulty list names 7.75% of the tenants`).
		Step(`^the faulty list names (-?\d+(?:\.\d+)?)% of the tenants$`, useFaultyShare)

	r.Doc("Paces the faulty script: it deletes N IDs a transaction and waits between them, so a drill replays a long run shortened but faithful.",
		`And the cleanup script works in batches of 50 IDs every 2s`).
		Step(`^the cleanup script works in batches of (-?\d+) IDs? every (\S+)$`, usePacing)

	r.Doc("Delays detection: the incident is noticed, and the runbook starts, this long after T0 (RTO counts from T0; MTTD stays measured by the probes).",
		`And the incident is noticed 30s after it starts`).
		Step(`^the incident is noticed (\S+) after it starts$`, useDetectionDelay)

	r.Doc("Sets the objectives the verdict is judged against: a table | objective | target |.",
		"Given the objectives:\n  | objective | target |\n  | RTO p95   | 10m    |\n  | RPO max   | 30s    |").
		Step(`^the objectives:$`, useObjectives)

	// Phases: each starts something or changes the stack.
	r.Doc("Starts the stack the drill runs on (the reference one unless `the stack \"FILE\"` chose another): Postgres with WAL archiving and the app service, on a private network. \"the reference stack is running\" says the same.",
		`And the stack is running`).
		Step(`^the (?:reference )?stack is running$`, startStack)

	r.Doc("Seeds the profile's fake tenants, takes the data manifest and a first base backup.",
		`And the tenants are seeded`).
		Step(`^the tenants are seeded$`, seed)

	r.Doc("Starts the writers (every acknowledged write goes to the ledger) and the availability prober.",
		`And traffic is flowing`).
		Step(`^traffic is flowing$`, startTraffic)

	r.Doc("Takes a base backup now.",
		`And a base backup is taken`).
		Step(`^a base backup is taken$`, baseBackup)

	r.Doc("Runs the faulty cleanup script on a mixed list: of the listed sites, the given share by site ID and the rest by app ID (the list really was a mix); guardrails as above.",
		`When the cleanup script runs in purge mode with 50% site IDs among app IDs and the guardrail "check-kind"`).
		Step(`^the cleanup script runs in (\S+) mode with (\d+(?:\.\d+)?)% site IDs among app IDs(?: and the guardrails? "([^"]*)")?$`, runMixedIncident)
	r.Doc("Takes a backup of the type now: full, or with pgbackrest differential (changes since the last full) or incremental (since the last backup).",
		`And a differential backup is taken`).
		Step(`^an? (full|differential|incremental) backup is taken$`, typedBackup)

	r.Doc("Runs the faulty cleanup script (T0 is its start): mode mark, purge or corrupt (rewrites every record of the listed sites with garbage, updated_at left as it was), given app or site IDs, optionally with guardrails (comma-separated: dry-run, check-kind, max-scope=N).",
		`When the cleanup script runs in purge mode with site IDs and the guardrail "max-scope=5"`).
		Step(`^the cleanup script runs in (\S+) mode with (\S+) IDs(?: and the guardrails? "([^"]*)")?$`, runIncident)

	r.Doc("Runs a migration that truncates one table of every tenant at once (T0 is its start), as a one-shot job of the built-in script on the drill's own database (legacy-cleanup --mode truncate); the table is checked against the stack's before anything starts (products, users, apps or records); guardrails as above.",
		`When a migration truncates the "records" table`).
		Step(`^a migration truncates the "([^"]*)" table(?: and the guardrails? "([^"]*)")?$`, runTruncate)

	r.Doc("Runs a restore runbook to the end (undo-mark, full-pitr, tenant-restore, tenant-restore-per-deletion, tenant-repair); its steps are timed.",
		`When the "tenant-restore" runbook runs`).
		Step(`^the "([^"]*)" runbook runs$`, runRunbook)

	r.Doc("Runs a runbook where the scenario expects it not to recover the incident (tenant-restore after a corrupting update: its live-wins copy leaves present rows as they are): the failure becomes a finding; the step fails if the runbook succeeds.",
		`When the "tenant-restore" runbook runs and fails`).
		Step(`^the "([^"]*)" runbook runs and fails$`, runFailingRunbook)

	r.Doc("Arms a named fault for the next runbook: it fires at the point of the runbook it applies to (db-killed, side-db-killed, network-cut, wal-segment-missing, corrupt-base-backup).",
		`And the fault "db-killed" is injected`).
		Step(`^the fault "([^"]*)" is injected$`, inject)

	r.Doc("Stops traffic and probes, takes the final observation, measures RTO and RPO per tenant and judges the objectives.",
		`And the drill ends`).
		Step(`^the drill ends$`, endDrill)

	// Assertions: read the drill's results.
	r.Doc("Checks the blast radius found in the data: sites and tenants deleted (purge) or marked (mark).",
		`Then the incident deleted 12 sites of 10 tenants`).
		Step(`^the incident (\S+) (\d+) sites? of (\d+) tenants?$`, checkBlastRadius)

	r.Doc("Checks the blast radius found in the data for an incident that deletes no site (a corrupting update, a truncating migration): how many tenants' data differs from the pre-incident manifest.",
		`Then the incident changed the data of 10 tenants`).
		Step(`^the incident changed the data of (\d+) tenants?$`, checkChanged)

	r.Doc("Checks that the named guardrail stopped the script before it changed anything.",
		`Then the cleanup script is refused by the "max-scope" guardrail`).
		Step(`^the cleanup script is refused by the "([^"]*)" guardrail$`, checkRefused)

	r.Doc("Checks bystander loss: \"no bystander\" (none lost a write) or \"some bystanders\" (a full rollback).",
		`Then no bystander lost acknowledged writes`).
		Step(`^(\S+) bystanders? lost acknowledged writes$`, checkBystanders)

	r.Doc("Checks that a finding (what a fault did, how the runbook recovered or why it could not) contains the text, ignoring case.",
		`Then the report has a finding about "fell back to the older base backup"`).
		Step(`^the report has a finding about "([^"]*)"$`, checkFinding)

	r.Doc("Checks that the runbook step whose name starts with the text succeeded on that attempt (1: never retried).",
		`Then the runbook step "copy tenants" succeeded on attempt 2`).
		Step(`^the runbook step "([^"]*)" succeeded on attempt (\d+)$`, checkStepAttempts)

	r.Doc("Checks how many of the affected tenants were verified restored (seeded rows equal to the manifest, acknowledged writes in place, sites healthy): all of them, or, where a runbook cannot recover the incident, how few.",
		`Then 0 of 10 affected tenants are restored`).
		Step(`^(\d+) of (\d+) affected tenants? (?:is|are) restored$`, checkRestored)

	r.Doc("Fails with each breached or unmeasured objective: measured value, target and where it is written.",
		`Then every objective is met`).
		Step(`^every objective is met$`, checkObjectives)
}

// registry is what the catalog registers its steps with: godog, or the list Catalog returns.
type registry interface {
	// Doc documents the step that the returned stepper's Step registers.
	Doc(description, example string) stepper
}

// stepper registers one step definition; *godog.ScenarioContext is one.
type stepper interface{ Step(pattern, fn any) }

// godogSteps registers the catalog with godog, which takes no documentation.
type godogSteps struct{ sc *godog.ScenarioContext }

func (g godogSteps) Doc(string, string) stepper { return g.sc }

// defList collects the catalog as Defs.
type defList struct{ defs []Def }

func (l *defList) Doc(description, example string) stepper {
	return defStep{l, Def{Description: description, Example: example}}
}

type defStep struct {
	l   *defList
	def Def
}

func (d defStep) Step(pattern, fn any) {
	d.def.Pattern, _ = pattern.(string)
	d.def.Func = fn
	d.l.defs = append(d.l.defs, d.def)
}
