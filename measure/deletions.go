package measure

import (
	"cmp"
	"slices"
	"time"

	"github.com/drdrill/drdrill/results"
)

// Deletions is the incident's deletion timeline as the probes saw it: for each site the data
// says the incident took (Input.Deleted, from the blast radius), the first answer at or after
// T0 that said it was down. A site no probe saw down (gone and back between two probes) is left
// out; the report says how many of the blast radius it shows. Sorted by time, then site. Pure.
func Deletions(tl Timeline, t0 time.Time, sites []int64) []results.Deletion {
	want := set(sites)
	seen := make(map[int64]bool, len(sites))
	var out []results.Deletion
	for _, tr := range tl.Transitions {
		if tr.Up || !want[tr.Site] || seen[tr.Site] || tr.At.Before(t0) {
			continue
		}
		seen[tr.Site] = true
		out = append(out, results.Deletion{Site: tr.Site, Tenant: tr.Tenant, AtMS: results.MS(tr.At.Sub(t0))})
	}
	slices.SortFunc(out, func(a, b results.Deletion) int {
		return cmp.Or(cmp.Compare(a.AtMS, b.AtMS), cmp.Compare(a.Site, b.Site))
	})
	return out
}
