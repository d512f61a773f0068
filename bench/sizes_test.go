package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/drdrill/drdrill/projection"
	"github.com/drdrill/drdrill/results"
)

// TestSizes: the bench's drills at other sizes, with a drill runner whose runbook costs are
// known (2 s + 2 µs per database row + 100 µs per blast-radius row) and whose drills can be made
// to fail. A failed scaled drill does not end the bench: the projection drills still run, the
// projection is fitted without it and recovers the known cost, and the bench fails at its end
// naming it. A failed projection drill ends it, and a cancelled bench stops at once.
func TestSizes(t *testing.T) {
	const scale = 3000
	project := []Point{{Tenants: 500, VictimSites: 40, VictimTenants: 30}, {Tenants: 500, VictimSites: 80, VictimTenants: 60},
		{Tenants: 2000, VictimSites: 40, VictimTenants: 30}, {Tenants: 2000, VictimSites: 120, VictimTenants: 90}}
	cost := func(s projection.Size) float64 { return 2 + 2e-6*s.Rows + 1e-4*s.BlastRows }
	run := func(p Point) DrillRun {
		size := projection.Size{Rows: float64(p.Tenants) * 1000, BlastRows: float64(p.VictimSites) * 500}
		c := cost(size)
		return DrillRun{Runbook: "tenant-restore", Tenants: p.Tenants, Size: size, AffectedSites: p.VictimSites, AffectedTenants: p.VictimTenants,
			RunbookTime: time.Duration(c * float64(time.Second)),
			Steps:       []results.Step{{Name: "copy tenants batch 1/1 (5 tenants)", StartMS: 0, DurationMS: c * 1000}}}
	}
	boom := errors.New("tenant 63 was never verified restored")
	tests := []struct {
		name      string
		failAt    int  // the drill at this many tenants fails
		cancel    bool // and the bench is cancelled when it does
		wantErr   []string
		wantRuns  int // drills run in all
		wantFit   []string
		wantNoFit bool
	}{
		{name: "every drill passes", wantRuns: 11, wantFit: []string{mainDrill, scaledDrill, "projection drill 1", "projection drill 2", "projection drill 3", "projection drill 4"}},
		{name: "the scaled drill fails", failAt: scale, wantRuns: 10,
			wantErr: []string{"drill at 3000 tenants failed, the bench went on without it", boom.Error()},
			wantFit: []string{mainDrill, "projection drill 1", "projection drill 2", "projection drill 3", "projection drill 4"}},
		{name: "a projection drill fails", failAt: 2000, wantRuns: 8, wantNoFit: true,
			wantErr: []string{"projection drill at 2000 tenants", boom.Error()}},
		{name: "cancelled while the scaled drill runs", failAt: scale, cancel: true, wantRuns: 1, wantNoFit: true,
			wantErr: []string{"drill at 3000 tenants", context.Canceled.Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cfg := Config{Tenants: 1000, Scale: scale, Project: project, ProjectRuns: 2}
			main := run(Point{Tenants: 1000, VictimSites: 40, VictimTenants: 30})
			r := &Report{Drill: main}
			var ran int
			err := sizes(ctx, cfg, r, func(ctx context.Context, p Point) (DrillRun, error) {
				ran++
				if p.Tenants == tt.failAt {
					if tt.cancel {
						cancel()
						return DrillRun{}, fmt.Errorf("drill: %w", ctx.Err())
					}
					return DrillRun{}, fmt.Errorf("tenant-restore drill: %w", boom)
				}
				if p.VictimSites == 0 { // the main drill's size keeps its faulty list
					p.VictimSites, p.VictimTenants = main.AffectedSites, main.AffectedTenants
				}
				return run(p), nil
			})
			if ran != tt.wantRuns {
				t.Errorf("%d drills run, want %d", ran, tt.wantRuns)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to say %q", err, w)
				}
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if tt.failAt == scale && !tt.cancel && (r.ScaledErr != err.Error() || r.Scaled.Size.Rows != 0) {
				t.Errorf("scaled drill kept as %+v, error %q; want none kept, the error %q", r.Scaled.Size, r.ScaledErr, err)
			}
			if tt.wantNoFit {
				if r.Projection != nil {
					t.Errorf("projection fitted: %v", r.Projection)
				}
				return
			}
			if _, names := r.fittedRuns(); strings.Join(names, ", ") != strings.Join(tt.wantFit, ", ") {
				t.Errorf("fitted on %q, want %q", names, tt.wantFit)
			}
			runs, _ := r.fittedRuns()
			for _, run := range runs {
				if len(run.Repeats) != cfg.ProjectRuns-1 {
					t.Errorf("%d tenants: %d repeats, want %d", run.Tenants, len(run.Repeats), cfg.ProjectRuns-1)
				}
			}
			target := projection.Size{Rows: 2e8, BlastRows: 4e5}
			for _, m := range r.Projection {
				if m.Step != RunbookStep {
					continue
				}
				if got, want := m.Predict(target), cost(target); math.Abs(got-want) > 1e-6*want {
					t.Errorf("runbook at %v: projected %.3f s, want the known cost %.3f s (%v)", target, got, want, m)
				}
				return
			}
			t.Errorf("no runbook model in %v", r.Projection)
		})
	}
}
