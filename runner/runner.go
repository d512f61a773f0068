package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/reports"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/steps"
)

// Sentinel errors of a run, mapped to exit codes by cmd/drdrill.
var (
	ErrBadInput = errors.New("bad input")    // a feature, flag or argument cannot be used as written
	ErrFailed   = errors.New("drill failed") // a scenario failed (a step, a phase, a check)
	// ErrBreached: every drill ran, and an objective was breached. It is the drill's own
	// sentinel, so errors.Is matches a scenario's breach and the run's alike.
	ErrBreached = drill.ErrBreached
)

// Options of one run. The zero value runs the default set (DefaultTags over features/).
type Options struct {
	Paths  []string // feature files or directories, file:line selects one scenario; default features/
	Tags   string   // godog tag expression; default DefaultTags when Paths is empty
	Format string   // godog console format (pretty, progress, …); default pretty
	Out    string   // output directory; default "out"
	Seed   int64    // fixtures seed; 0 = the drill's default
	Shard  Shard
	// ReportOnly writes everything but does not fail the run for breached objectives.
	ReportOnly bool
	// CheckOnly stops after the check: features parsed, arguments validated, nothing started.
	CheckOnly bool
	// CI quiets progress: godog's one line per step, without colours; the drills' progress
	// lines go to their drill.log only.
	CI bool
	// Group names the run in every results.json; shards of one run share it so that their
	// reports merge. Default a fresh run name.
	Group string
	// HistoryDir, when set, gets a copy of every drill's results.json, by scenario, so that
	// report.html can draw the trend of past drills of the same scenario. Empty: no history.
	HistoryDir string
	Stdout     io.Writer // godog's console output; default os.Stdout
	Stderr     io.Writer // progress and errors; default os.Stderr
	// TestingT runs each scenario as a subtest (the `go test` entry point).
	TestingT *testing.T
	// Base is the configuration every drill starts from; Seed overrides its seed.
	Base drill.Config
	// Keep leaves the stack of every scenario that fails or breaches running, and prints how
	// to reach and remove it (drill.Kept).
	Keep bool
}

// Outcome is what a run did.
type Outcome struct {
	Plan     *Plan
	Records  []steps.Record
	Out      string
	Failed   []string // slugs of failed scenarios
	Breached []string // slugs of scenarios whose verdict is breached

	mu sync.Mutex // guards Records while godog runs
}

// Run plans, checks and runs the drills. The error wraps ErrBadInput, ErrFailed or ErrBreached.
func Run(ctx context.Context, opt Options) (*Outcome, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	base := opt.Base
	if opt.Seed != 0 {
		base.Seed = opt.Seed
	}
	base.Keep = base.Keep || opt.Keep

	// Every scenario of the files is checked, whatever the tags and shard select: a feature
	// that rots outside the default set is found by the next run, not by the one that needs it.
	all, err := LoadPlan(withoutLines(opt.Paths), "", Shard{})
	if err != nil {
		return nil, err
	}
	plan, err := LoadPlan(opt.Paths, opt.Tags, opt.Shard)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Plan: plan, Out: opt.Out}
	if plan.Matched == 0 {
		return out, fmt.Errorf("%w: no scenario in %s matches tags %q", ErrBadInput, strings.Join(opt.Paths, ", "), opt.Tags)
	}
	if err := check(ctx, all, base, opt.Stderr); err != nil {
		return out, err
	}

	if opt.CheckOnly {
		fmt.Fprintf(opt.Stderr, "drdrill: %d scenarios check; %d selected (tags %q, shard %q)\n",
			len(all.Scenarios), len(plan.Scenarios), opt.Tags, opt.Shard)
		return out, nil
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return out, badOut(opt.Out, err)
	}
	if opt.Shard.Count > 1 {
		if err := writeShardManifest(opt, plan); err != nil {
			return out, err
		}
		if len(plan.Scenarios) == 0 {
			fmt.Fprintf(opt.Stderr, "drdrill: shard %s selects none of the %d scenarios (fewer scenarios than shards): nothing to run; wrote %s\n",
				opt.Shard, plan.Matched, filepath.Join(opt.Out, reports.ShardFile))
			return out, nil
		}
	}
	scenarios := plan.metas(opt.Group, runSuffix(), opt.Out, opt.Shard)
	closeLogs, err := openLogs(scenarios, &progress{w: opt.Stderr, ci: opt.CI}, opt.Out)
	defer closeLogs()
	if err != nil {
		return out, err
	}
	status := runGodog(ctx, opt, plan, steps.Suite{Base: base, Scenario: lookupIn(scenarios), Done: out.record})

	var rs []*results.Results
	for _, r := range out.Records {
		if r.Results != nil {
			rs = append(rs, r.Results)
		}
	}
	rerr := reports.RenderAll(opt.Out, rs, reports.Options{CucumberWritten: len(plan.Scenarios) > 0, HistoryDir: opt.HistoryDir, Warn: opt.Stderr})
	err = out.judge(status, rerr, opt.ReportOnly)
	out.summarize(opt.Stderr)
	return out, err
}

// withDefaults fills the options a run leaves empty and checks the console format.
func (opt Options) withDefaults() (Options, error) {
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	if opt.Stderr == nil {
		opt.Stderr = os.Stderr
	}
	if len(opt.Paths) == 0 {
		opt.Paths = []string{"features"}
		if opt.Tags == "" {
			opt.Tags = DefaultTags
		}
	}
	if opt.Out == "" {
		opt.Out = "out"
	}
	if opt.Format == "" {
		opt.Format = "pretty"
	}
	if err := checkFormat(opt.Format); err != nil {
		return opt, err
	}
	// The group prefixes every run ID, which labels Docker resources: keep it label-safe.
	if opt.Group == "" {
		opt.Group = newGroup()
	} else {
		opt.Group = slugify(opt.Group)
	}
	return opt, nil
}

// writeShardManifest writes the shard's manifest, by which the merge tells an empty shard
// from a missing one.
func writeShardManifest(opt Options, plan *Plan) error {
	b, _ := json.Marshal(reports.ShardManifest{Group: opt.Group, Shard: opt.Shard.String(), Scenarios: len(plan.Scenarios)})
	if err := os.WriteFile(filepath.Join(opt.Out, reports.ShardFile), append(b, '\n'), 0o644); err != nil {
		return badOut(opt.Out, err)
	}
	return nil
}

// openLogs creates every scenario's directory and drill.log; the returned func closes them
// (call it whatever the error).
func openLogs(scenarios map[string]*steps.Scenario, prog *progress, outDir string) (func(), error) {
	var logs []io.Closer
	closeAll := func() {
		for _, c := range logs {
			c.Close()
		}
	}
	for _, m := range scenarios {
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			return closeAll, badOut(outDir, err)
		}
		f, err := os.Create(filepath.Join(m.Dir, "drill.log"))
		if err != nil {
			return closeAll, badOut(outDir, err)
		}
		logs = append(logs, f)
		m.Log = prog.scenarioLog(f)
	}
	return closeAll, nil
}

// runGodog runs the plan's scenarios with godog (console format, cucumber.json and godog's
// JUnit beside it) and returns godog's status; 0 when the plan selects nothing.
func runGodog(ctx context.Context, opt Options, plan *Plan, suite steps.Suite) int {
	if len(plan.Scenarios) == 0 {
		return 0
	}
	format := opt.Format +
		",cucumber:" + filepath.Join(opt.Out, "cucumber.json") +
		",junit:" + filepath.Join(opt.Out, "godog-junit.xml")
	gopt := plan.godogOptions()
	gopt.Format, gopt.Output, gopt.NoColors, gopt.Strict = format, opt.Stdout, opt.CI, true
	gopt.DefaultContext, gopt.TestingT = ctx, opt.TestingT
	return godog.TestSuite{Name: "drdrill", ScenarioInitializer: suite.InitializeScenario, Options: &gopt}.Run()
}

// record keeps a scenario's record; godog may call it from several goroutines.
func (o *Outcome) record(r steps.Record) {
	o.mu.Lock()
	o.Records = append(o.Records, r)
	o.mu.Unlock()
}

// badOut is the error of an output directory drdrill cannot write: bad input (the user chose
// it), found before anything starts.
func badOut(dir string, err error) error {
	return fmt.Errorf("%w: output directory %s cannot be written: %v; choose another (--out)", ErrBadInput, dir, err)
}

// judge sorts the scenarios into failed and breached and returns the run's error: bad input
// when godog refused its options; failed when a scenario failed, left no results, or reports
// could not be written; breached (unless reportOnly) when every drill ran and one breached an
// objective.
func (o *Outcome) judge(godogStatus int, reportErr error, reportOnly bool) error {
	o.Failed, o.Breached = nil, nil
	for _, r := range o.Records {
		switch {
		case r.Err != nil && !drill.OnlyBreached(r.Err):
			o.Failed = append(o.Failed, r.Scenario.Slug)
		case drill.OnlyBreached(r.Err), r.Results != nil && r.Results.Verdict == results.StatusBreached:
			o.Breached = append(o.Breached, r.Scenario.Slug)
		}
	}
	n := len(o.Plan.Scenarios)
	switch {
	case godogStatus == 2:
		return fmt.Errorf("%w: godog refused its options (see above)", ErrBadInput)
	case len(o.Failed) > 0:
		return fmt.Errorf("%w: %d of %d scenarios: %s", ErrFailed, len(o.Failed), n, strings.Join(o.Failed, ", "))
	case len(o.Records) < n:
		return fmt.Errorf("%w: %d of %d scenarios left no results (interrupted?)", ErrFailed, n-len(o.Records), n)
	case godogStatus != 0 && len(o.Breached) == 0:
		return fmt.Errorf("%w: godog reported a failure (see above)", ErrFailed)
	case reportErr != nil:
		return fmt.Errorf("%w: reports: %v", ErrFailed, reportErr)
	case len(o.Breached) > 0 && !reportOnly:
		return fmt.Errorf("%w: %s", ErrBreached, strings.Join(o.Breached, ", "))
	}
	return nil
}

// summarize prints where the outputs are.
func (o *Outcome) summarize(w io.Writer) {
	fmt.Fprintf(w, "\ndrdrill: %d scenarios", len(o.Records))
	if len(o.Failed) > 0 {
		fmt.Fprintf(w, ", %d failed", len(o.Failed))
	}
	if len(o.Breached) > 0 {
		fmt.Fprintf(w, ", %d breached objectives", len(o.Breached))
	}
	fmt.Fprintf(w, "\noutputs: %s (junit.xml, cucumber.json, summary.md, report.html)\n", o.Out)
	for _, r := range o.Records {
		if r.Path != "" {
			fmt.Fprintf(w, "  %s\n", r.Path)
		}
	}
	for _, r := range o.Records {
		if k := r.Kept; k != nil {
			fmt.Fprintf(w, "\nkept for inspection: %s (run %s)\n  database: %s\n", r.Scenario.Slug, k.RunID, k.Psql)
			if k.AppURL != "" {
				fmt.Fprintf(w, "  app:      %s\n", k.AppURL)
			}
			fmt.Fprintf(w, "  remove:   %s\n", k.Remove)
		}
	}
}

// checkFormat refuses a console format godog does not have, before anything starts.
func checkFormat(format string) error {
	for _, f := range strings.Split(format, ",") {
		name, _, _ := strings.Cut(f, ":")
		if godog.FindFmt(name) == nil {
			return fmt.Errorf("%w: --format %q: unknown format %q; godog's are %s", ErrBadInput, format, name,
				strings.Join(slices.Sorted(maps.Keys(godog.AvailableFormatters())), ", "))
		}
	}
	return nil
}

// runSuffix is what makes the run IDs of one `drdrill run` its own: shard jobs of one CI run
// share the group (so that their reports merge), and a reused --group would otherwise give
// two processes the same run IDs, hence the same Docker labels and names.
func runSuffix() string {
	b := make([]byte, 2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// runID is scenario index's run ID: the group, the index and the suffix, cut to the 40
// characters a run ID may have by shortening the group.
func runID(group string, index int, suffix string) string {
	tail := fmt.Sprintf("-%02d-%s", index, suffix)
	if len(group)+len(tail) > 40 {
		group = strings.TrimRight(group[:40-len(tail)], "-_.")
	}
	return group + tail
}

// newGroup names a run: sortable by time, unique across machines, valid as a Docker label.
func newGroup() string {
	b := make([]byte, 3)
	rand.Read(b)
	return "dd" + time.Now().UTC().Format("0102-150405") + "-" + hex.EncodeToString(b)
}

// check runs the plan's scenarios with steps that only validate (nothing starts): undefined
// steps, bad arguments and bad objectives are reported with their file and line.
func check(ctx context.Context, plan *Plan, base drill.Config, stderr io.Writer) error {
	if len(plan.Scenarios) == 0 {
		return nil
	}
	var buf bytes.Buffer
	suite := steps.Suite{Check: true, Base: base, Scenario: lookupIn(plan.metas("check", "0000", os.TempDir(), Shard{}))}
	sources := map[string]steps.Source{}
	for _, p := range plan.Scenarios {
		maps.Copy(sources, p.steps)
	}
	var undefined []string
	gopt := plan.godogOptions()
	gopt.Format, gopt.Output, gopt.NoColors, gopt.Strict, gopt.DefaultContext = "progress", &buf, true, true, ctx
	status := godog.TestSuite{
		Name: "drdrill-check",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			suite.InitializeScenario(sc)
			// godog's snippets say what to write, not where the step is: say it.
			sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
				if status == godog.StepUndefined {
					undefined = append(undefined, fmt.Sprintf("%s: undefined step: %s", sources[st.AstNodeIds[0]], st.Text))
				}
				return ctx, nil
			})
		},
		Options: &gopt,
	}.Run()
	if status == 0 {
		return nil
	}
	for _, u := range slices.Compact(undefined) {
		fmt.Fprintln(stderr, u)
	}
	fmt.Fprint(stderr, buf.String())
	return fmt.Errorf("%w: the features do not check (above: where and why); nothing was started", ErrBadInput)
}

// metas gives each planned scenario its run ID, output directory and sources, by godog
// pickle ID.
func (p *Plan) metas(group, suffix, out string, shard Shard) map[string]*steps.Scenario {
	m := map[string]*steps.Scenario{}
	for _, s := range p.Scenarios {
		m[s.pickleID] = &steps.Scenario{
			RunID:   runID(group, s.Index+1, suffix),
			Slug:    s.Slug,
			Feature: s.Path,
			Line:    s.Line,
			Dir:     filepath.Join(out, s.Slug),
			Group:   group,
			Shard:   shard.String(),
			Steps:   s.steps,
		}
	}
	return m
}

// lookupIn finds a scenario godog runs in the plan's metas.
func lookupIn(metas map[string]*steps.Scenario) func(*godog.Scenario) (*steps.Scenario, error) {
	return func(sc *godog.Scenario) (*steps.Scenario, error) {
		m, ok := metas[sc.Id]
		if !ok || m.Feature != sc.Uri {
			return nil, fmt.Errorf("runner: scenario %q of %s is not in the plan (a bug in drdrill)", sc.Name, sc.Uri)
		}
		return m, nil
	}
}
