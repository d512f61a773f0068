package drill

import (
	"strings"
	"testing"
)

func TestOrder(t *testing.T) {
	const (
		cfg = PhaseConfigure
		obj = PhaseObjectives
		stk = PhaseStack
		sd  = PhaseSeed
		trf = PhaseTraffic
		inc = PhaseIncident
		ick = PhaseIncidentCheck
		rb  = PhaseRestore
		end = PhaseEnd
		vck = PhaseVerdictCheck
	)
	tests := []struct {
		name   string
		phases []Phase
		bad    int    // index of the refused step, -1: none
		want   string // in the error
	}{
		{"the README's drill", []Phase{cfg, cfg, stk, sd, trf, obj, inc, ick, rb, end, vck, vck}, -1, ""},
		{"objectives first, a backup after the incident, two runbooks", []Phase{obj, cfg, stk, sd, inc, trf, rb, rb, end, ick}, -1, ""},
		{"configuration after the stack", []Phase{cfg, stk, cfg}, 2, "a configuration step after the stack started (at line 1) would not apply"},
		{"runbook before the incident", []Phase{stk, sd, rb}, 2, "a fault or runbook before the incident"},
		{"seeding before the stack", []Phase{cfg, sd}, 1, "the seeding before the stack's start"},
		{"two incidents", []Phase{stk, sd, inc, inc}, 3, "the incident a second time (first at line 2)"},
		{"a runbook after the end", []Phase{stk, sd, inc, end, rb}, 4, "a fault or runbook after the drill ended"},
		{"objectives after the end", []Phase{stk, end, obj}, 2, "the objectives after the drill ended"},
		{"a verdict check before the end", []Phase{stk, sd, inc, vck}, 3, "a check of the results before the drill's end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o order
			for i, p := range tt.phases {
				err := o.enter(p, "line "+string(rune('0'+i)))
				switch {
				case i == tt.bad && (err == nil || !strings.Contains(err.Error(), tt.want)):
					t.Fatalf("step %d: err = %v, want %q", i, err, tt.want)
				case i != tt.bad && err != nil:
					t.Fatalf("step %d: unexpected %v", i, err)
				case i == tt.bad:
					return
				}
			}
		})
	}
}
