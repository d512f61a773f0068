package drill

import "fmt"

// Phase is where a step stands in the one order a drill can run in: configure, start the
// stack, seed, start traffic, run the incident, restore, end, judge. Steps enter their phase
// before they act, in a check run too, so that a feature in an order no drill can run is
// refused by `drdrill run --check`, with the line, before anything starts.
type Phase int

// The phases, in order.
const (
	PhaseConfigure     Phase = iota // profile, sizes, rates, intervals: before the stack starts
	PhaseObjectives                 // the objectives table: any time before the drill ends
	PhaseStack                      // the stack starts
	PhaseSeed                       // the tenants are seeded
	PhaseTraffic                    // traffic flows, base backups: after seeding
	PhaseIncident                   // the faulty script runs
	PhaseIncidentCheck              // checks of what the incident did
	PhaseRestore                    // faults armed and runbooks: after the incident
	PhaseEnd                        // the drill ends: verdict
	PhaseVerdictCheck               // checks of the results
)

var phaseNames = map[Phase]string{
	PhaseConfigure: "a configuration step", PhaseObjectives: "the objectives", PhaseStack: "the stack's start",
	PhaseSeed: "the seeding", PhaseTraffic: "a traffic or backup step", PhaseIncident: "the incident",
	PhaseIncidentCheck: "a check of the incident", PhaseRestore: "a fault or runbook",
	PhaseEnd: "the drill's end", PhaseVerdictCheck: "a check of the results",
}

// needs is the phase each phase must come after (it need not come right after).
var needs = map[Phase]Phase{
	PhaseSeed: PhaseStack, PhaseTraffic: PhaseSeed, PhaseIncident: PhaseSeed,
	PhaseIncidentCheck: PhaseIncident, PhaseRestore: PhaseIncident, PhaseEnd: PhaseStack,
	PhaseVerdictCheck: PhaseEnd,
}

// once are the phases a drill runs a single time.
var once = map[Phase]bool{PhaseStack: true, PhaseSeed: true, PhaseIncident: true, PhaseEnd: true}

// order is what a drill has entered so far: the source (file:line) where each phase first came.
type order struct {
	seen map[Phase]string
}

// Enter records that a step of phase p, written at src, comes next, and refuses an order no
// drill can run: configuration once the stack started, a step before what it needs, a phase
// that runs once given twice, anything but checks after the drill ended.
func (d *Drill) Enter(p Phase, src string) error {
	return d.order.enter(p, src)
}

func (o *order) enter(p Phase, src string) error {
	if o.seen == nil {
		o.seen = map[Phase]string{}
	}
	after := func(q Phase) (string, bool) { s, ok := o.seen[q]; return s, ok }
	if at, ok := after(PhaseStack); ok && p == PhaseConfigure {
		return fmt.Errorf("%s after the stack started (at %s) would not apply: move it before \"the reference stack is running\"", phaseNames[p], at)
	}
	if at, ok := after(PhaseEnd); ok && p < PhaseEnd && p != PhaseIncidentCheck {
		return fmt.Errorf("%s after the drill ended (at %s): nothing runs after \"the drill ends\" but checks of the results", phaseNames[p], at)
	}
	if at, ok := after(p); ok && once[p] {
		return fmt.Errorf("%s a second time (first at %s): a drill runs it once", phaseNames[p], at)
	}
	if q, ok := needs[p]; ok {
		if _, done := after(q); !done {
			return fmt.Errorf("%s before %s: write the steps in the order a drill runs (stack, seeding, traffic, incident, runbook, end, checks)", phaseNames[p], phaseNames[q])
		}
	}
	if _, ok := o.seen[p]; !ok {
		o.seen[p] = src
	}
	return nil
}
