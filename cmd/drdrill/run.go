package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/runner"
	"github.com/drdrill/drdrill/stack"
)

const runUsage = `Usage: drdrill run [paths] [--tags expr] [--format fmt] [--out dir] [--seed n] [--shard i/n] [--group name] [--stack file] [--backup-tool plain|pgbackrest] [--report-only] [--check] [--ci]

Runs drills written in Gherkin. Paths are feature files, directories, or file:LINE for one
scenario (or one Examples row). With no paths, runs the default set: features/ with tags ` + runner.DefaultTags + `.

Every feature is parsed and every step argument validated before the first container starts.
Outputs go to --out: <scenario>/results.json and drill.log for each scenario, cucumber.json and
godog-junit.xml from godog, junit.xml, summary.md and report.html from the results.

Shards of one drill run on several machines (CI jobs) give the same --group, so that
` + "`drdrill report`" + ` merges their results into one report: e.g. --shard 2/4 --group gh-<run id>.

Exit status: 0 every drill ran and met its objectives; 1 a drill failed or breached an
objective (0 for breaches with --report-only); 2 bad input (flags, features, step arguments).

Flags:
`

// cmdRun is `drdrill run`.
func cmdRun(ctx context.Context, args []string) error {
	fs := newFlags("run", "[paths] [flags]")
	fs.Usage = func() { fmt.Fprint(fs.Output(), runUsage); fs.PrintDefaults() }
	var opt runner.Options
	var stackFile string
	fs.StringVar(&stackFile, "stack", "", "the stack file every drill runs on unless its feature names one with the step: the stack \"FILE\"; default the reference stack. Checked before anything starts (drdrill stack check FILE says why a file is wrong)")
	var tool string
	fs.StringVar(&tool, "backup-tool", "", "the backup tool of every drill whose feature does not choose one (plain or pgbackrest; default plain): run a feature set with both to compare them")
	var shard string
	fs.StringVar(&opt.Tags, "tags", "", `godog tag expression, e.g. "@matrix", "@quick && ~@slow", "@a,@b" (default "`+runner.DefaultTags+`" when no paths are given)`)
	fs.StringVar(&opt.Format, "format", "", "godog console format: pretty, progress, … (default pretty)")
	fs.StringVar(&opt.Out, "out", "out", "output directory")
	fs.StringVar(&opt.HistoryDir, "history", defaultHistory(), "directory of past drills' results for the report's trends (default $DRDRILL_HISTORY, else .drdrill-history; \"\" for none)")
	fs.Int64Var(&opt.Seed, "seed", 0, "fixtures seed (0: the drill's default); the same seed makes the same tenants")
	fs.StringVar(&shard, "shard", "", "run shard i of n (i/n): scenarios are split by index, deterministically")
	fs.BoolVar(&opt.ReportOnly, "report-only", false, "write every output but exit 0 when objectives are breached")
	fs.BoolVar(&opt.CheckOnly, "check", false, "only parse the features and validate step arguments; start nothing")
	fs.StringVar(&opt.Group, "group", defaultGroup(), "name every shard of one drill run shares, so their reports merge (default $DRDRILL_GROUP, else the CI run ID, else a fresh name)")
	fs.BoolVar(&opt.Keep, "keep", false, "leave the stack (containers, network, volumes) of a scenario that fails or breaches running, and print how to reach it (psql, app URL) and how to remove it (drdrill clean --run ID); drdrill clean leaves kept stacks unless named")
	fs.BoolVar(&opt.CI, "ci", inCI(), "quiet console: godog's lines only, drill progress to drill.log (default: CI=true or output is not a terminal)")

	// Flags may come before, between or after paths.
	for {
		if err := parse(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		opt.Paths = append(opt.Paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if shard != "" {
		s, err := runner.ParseShard(shard)
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		opt.Shard = s
	}
	if opt.Group != "" && !groupPattern.MatchString(opt.Group) {
		return usagef("--group %q: use letters, digits, '_', '.', '-' (at most %d, first a letter or digit): it names Docker resources", opt.Group, maxGroup)
	}
	if tool != "" {
		t, err := stack.ParseBackupTool(tool)
		if err != nil {
			return fmt.Errorf("%w: --backup-tool: %w", errUsage, err)
		}
		opt.Base.BackupTool = t
	}
	if stackFile != "" {
		s, err := drill.LoadStack(stackFile)
		if err != nil {
			return fmt.Errorf("%w: --stack: %w", errUsage, err)
		}
		opt.Base.Stack = s
	}
	_, err := runner.Run(ctx, opt)
	if errors.Is(err, runner.ErrBadInput) {
		return fmt.Errorf("%w: %w", errUsage, err) // exit status 2
	}
	return err
}

// maxGroup keeps run IDs (group + "-NN") within the stack's 40 characters.
const maxGroup = 36

var groupPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$`)

// defaultGroup is the name shards of one CI run share without being told: the CI system's
// run ID.
func defaultGroup() string {
	for _, v := range []string{"DRDRILL_GROUP", "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_ID"} {
		if g := os.Getenv(v); g != "" {
			if v == "GITHUB_RUN_ID" && os.Getenv("GITHUB_RUN_ATTEMPT") != "" {
				g += "-" + os.Getenv("GITHUB_RUN_ATTEMPT")
			}
			return g
		}
	}
	return ""
}

// inCI says whether output is for a log rather than a person.
func inCI() bool {
	if v := strings.ToLower(os.Getenv("CI")); v == "true" || v == "1" {
		return true
	}
	fi, err := os.Stdout.Stat()
	return err != nil || fi.Mode()&os.ModeCharDevice == 0
}

// defaultHistory is where drills keep their history unless told otherwise.
func defaultHistory() string {
	if h, ok := os.LookupEnv("DRDRILL_HISTORY"); ok {
		return h
	}
	return ".drdrill-history"
}
