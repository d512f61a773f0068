package runner

import (
	"errors"
	"fmt"
	"testing"

	"github.com/drdrill/drdrill/drill"
	"github.com/drdrill/drdrill/results"
	"github.com/drdrill/drdrill/steps"
)

func TestJudge(t *testing.T) {
	rec := func(slug string, verdict results.Status, err error) steps.Record {
		return steps.Record{Scenario: &steps.Scenario{Slug: slug}, Results: &results.Results{Verdict: verdict}, Err: err}
	}
	breach := fmt.Errorf("%w: RTO p95", drill.ErrBreached)
	tests := []struct {
		name       string
		recs       []steps.Record
		planned    int
		status     int
		reportErr  error
		reportOnly bool
		want       error
	}{
		{"all ok", []steps.Record{rec("a", "ok", nil)}, 1, 0, nil, false, nil},
		{"breach fails", []steps.Record{rec("a", "ok", nil), rec("b", "breached", breach)}, 2, 1, nil, false, ErrBreached},
		{"breach, report only", []steps.Record{rec("b", "breached", breach)}, 1, 1, nil, true, nil},
		{"breached verdict without the assertion step", []steps.Record{rec("b", "breached", nil)}, 1, 0, nil, false, ErrBreached},
		{"failure beats breach", []steps.Record{rec("a", "", errors.New("stack")), rec("b", "breached", breach)}, 2, 1, nil, true, ErrFailed},
		{"breach and unmeasured is a failure", []steps.Record{rec("a", "breached", errors.Join(breach, drill.ErrUnmeasured))}, 1, 1, nil, true, ErrFailed},
		{"missing results", []steps.Record{rec("a", "ok", nil)}, 2, 0, nil, false, ErrFailed},
		{"godog failed alone", []steps.Record{rec("a", "ok", nil)}, 1, 1, nil, false, ErrFailed},
		{"reports failed", []steps.Record{rec("a", "ok", nil)}, 1, 0, errors.New("disk full"), false, ErrFailed},
		{"godog options", nil, 1, 2, nil, false, ErrBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Outcome{Plan: &Plan{Scenarios: make([]*Planned, tt.planned)}, Records: tt.recs}
			err := o.judge(tt.status, tt.reportErr, tt.reportOnly)
			if (tt.want == nil) != (err == nil) || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("judge = %v, want %v", err, tt.want)
			}
		})
	}
}
