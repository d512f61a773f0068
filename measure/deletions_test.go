package measure

import (
	"slices"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

// TestDeletions: each deleted site at its first down answer at or after T0, in time order;
// answers before T0, up answers, later downs and sites outside the blast radius do not count,
// and a site never seen down is left out.
func TestDeletions(t *testing.T) {
	t0 := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tl := Timeline{Transitions: []Transition{
		{Site: 1, Tenant: 10, At: at(-time.Second), Up: false}, // a blip before the incident
		{Site: 1, Tenant: 10, At: at(-500 * time.Millisecond), Up: true},
		{Site: 2, Tenant: 20, At: at(0), Up: true},
		{Site: 2, Tenant: 20, At: at(2 * time.Second), Up: false},
		{Site: 1, Tenant: 10, At: at(1 * time.Second), Up: false},
		{Site: 9, Tenant: 90, At: at(500 * time.Millisecond), Up: false}, // a bystander's outage
		{Site: 1, Tenant: 10, At: at(3 * time.Second), Up: true},
		{Site: 1, Tenant: 10, At: at(4 * time.Second), Up: false}, // down again: not its deletion
		{Site: 4, Tenant: 40, At: at(2 * time.Second), Up: false},
	}}
	got := Deletions(tl, t0, []int64{1, 2, 3, 4})
	want := []results.Deletion{{Site: 1, Tenant: 10, AtMS: 1000}, {Site: 2, Tenant: 20, AtMS: 2000}, {Site: 4, Tenant: 40, AtMS: 2000}}
	if !slices.Equal(got, want) {
		t.Errorf("Deletions = %+v, want %+v (site 3 never seen down)", got, want)
	}
	if got := Deletions(tl, t0, nil); got != nil {
		t.Errorf("no blast radius: %+v, want none", got)
	}
}
