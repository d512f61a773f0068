package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/results"
)

// Suite is what a runner tells the steps about one godog run.
type Suite struct {
	// Check validates instead of running: each scenario's drill is prepared (drill.New starts
	// nothing) and configured, every argument is parsed, and no phase is called.
	Check bool
	// Base is the configuration every drill starts from (seed, rates); the Before hook adds
	// the run ID, feature, scenario, tags and log of the scenario.
	Base drill.Config
	// Scenario returns the runner's facts about a scenario: its run ID, output directory and
	// where its steps are written. Required.
	Scenario func(sc *godog.Scenario) (*Scenario, error)
	// Done receives every scenario's record after its results.json is written. Optional.
	Done func(Record)
	// CloseTimeout bounds the removal of a drill's containers; default 2 minutes.
	CloseTimeout time.Duration
}

// Scenario is one scenario as the runner selected it.
type Scenario struct {
	RunID   string // the drill's run ID: every Docker resource of the drill carries it
	Slug    string // unique, file-system safe name of the scenario in this run
	Feature string // feature file, as given to the run
	Line    int    // line of the scenario (or of its Examples row)
	Dir     string // where results.json is written
	Group   string // the run all scenarios of one `drdrill run` share
	Shard   string // "i/n" when sharded
	Log     io.Writer
	// Steps maps the Gherkin AST node ID of each step (godog.Step.AstNodeIds[0]) to where
	// it is written.
	Steps map[string]Source
}

// Record is what one scenario left behind.
type Record struct {
	Scenario *Scenario
	Results  *results.Results // nil when no drill was created
	Path     string           // results.json, empty when it could not be written
	Err      error            // the scenario's error (a failed step, or writing or closing)
	Kept     *drill.Kept      // the stack left running for inspection (--keep, and it failed)
}

// InitializeScenario registers the catalog and the hooks; pass it as godog's
// ScenarioInitializer.
func (s Suite) InitializeScenario(sc *godog.ScenarioContext) {
	register(godogSteps{sc})
	sc.Before(s.before)
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		if m := scenarioFrom(ctx); m != nil && len(st.AstNodeIds) > 0 {
			ctx = withSource(ctx, m.Steps[st.AstNodeIds[0]])
		}
		return ctx, nil
	})
	sc.After(s.after)
}

func (s Suite) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	if s.Scenario == nil {
		return ctx, errors.New("steps: Suite.Scenario is not set")
	}
	// After Ctrl-C the remaining scenarios fail at once instead of starting stacks.
	if err := ctx.Err(); err != nil {
		return ctx, fmt.Errorf("run cancelled: %w", err)
	}
	m, err := s.Scenario(sc)
	if err != nil {
		return ctx, err
	}
	ctx = withScenario(ctx, m)
	cfg := s.Base
	cfg.RunID = m.RunID
	cfg.Group = m.Group
	cfg.Shard = m.Shard
	cfg.Feature = m.Feature
	cfg.Scenario = sc.Name
	cfg.Tags = nil
	for _, t := range sc.Tags {
		cfg.Tags = append(cfg.Tags, t.Name)
	}
	cfg.Log = m.Log
	if s.Check {
		ctx = withCheck(ctx)
		cfg.Log = nil
	}
	return withDrill(ctx, drill.New(cfg)), nil
}

// after runs whether the scenario passed or not: it writes results.json and closes the drill.
// A check run writes nothing (nothing ran).
func (s Suite) after(ctx context.Context, sc *godog.Scenario, stepErr error) (context.Context, error) {
	m := scenarioFrom(ctx)
	d, derr := drillFrom(ctx)
	if m == nil || derr != nil {
		return ctx, nil
	}
	if s.Check {
		// Nothing started, but Close is the drill's to judge (and safe on an unstarted one).
		return ctx, d.Close(context.WithoutCancel(ctx))
	}
	d.Fail(stepErr)
	var errs []error
	path, err := s.write(d, m.Dir)
	if err != nil {
		errs = append(errs, err)
	}
	rec := Record{Scenario: m, Results: d.Results(), Err: stepErr, Path: path}
	// A failed or breached drill started with --keep leaves its stack for an engineer to look at.
	if stepErr != nil && d.Config().Keep && d.Stack() != nil {
		k, err := d.Keep()
		if err != nil {
			errs = append(errs, err)
		} else {
			rec.Kept = &k
		}
	}

	timeout := s.CloseTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	// Close even when the run was cancelled (Ctrl-C): that is when cleanup matters most.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := d.Close(cctx); err != nil {
		errs = append(errs, fmt.Errorf("close drill %s: %w", m.RunID, err))
	}
	hookErr := errors.Join(errs...)
	if hookErr != nil {
		rec.Err = errors.Join(stepErr, hookErr)
	}
	if s.Done != nil {
		s.Done(rec)
	}
	return ctx, hookErr
}

// write asks the drill to write results.json; if it cannot, the results as assembled so far
// are written directly, so that every scenario leaves a results.json behind.
func (s Suite) write(d *drill.Drill, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results directory: %w", err)
	}
	path, err := d.WriteResults(dir)
	if err == nil {
		return path, nil
	}
	path = filepath.Join(dir, "results.json")
	if ferr := results.WriteFile(path, d.Results()); ferr != nil {
		return "", errors.Join(err, ferr)
	}
	return path, fmt.Errorf("drill wrote no results (partial results.json written instead): %w", err)
}
