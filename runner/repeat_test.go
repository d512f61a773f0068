package runner

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/drdrill/drdrill/results"
)

// TestVerdictsStable runs the default drill set DRDRILL_REPEAT times in a row (`make flake`,
// 5 by default there) and fails unless every scenario gets the same verdict, the same blast
// radius and the same restored count each time; it logs the spread of the measured RTO p95.
// Seeds are fixed and every wait is a condition, so a differing verdict is a bug to find.
func TestVerdictsStable(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DRDRILL_REPEAT"))
	if n < 2 {
		t.Skip("set DRDRILL_REPEAT=N (N ≥ 2) to run the default set N times: make flake")
	}
	// What must not change from run to run. How many writes bystanders lose under a
	// whole-database rollback depends on how long the rollback took, so only whether they lose
	// any is compared; its spread is logged like RTO's.
	type outcome struct {
		verdict                  results.Status
		sites, tenants, restored int
		bystandersLose           bool
		err                      string
	}
	first := map[string]outcome{}
	rto := map[string][]time.Duration{}
	bystLoss := map[string][]int{}
	var order []string
	for i := range n {
		out := t.TempDir()
		o, err := Run(context.Background(), Options{Paths: []string{"../features"}, Tags: DefaultTags, Out: out, CI: true})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		for _, rec := range o.Records {
			r := rec.Results
			if r == nil {
				t.Fatalf("run %d: %s has no results", i+1, rec.Scenario.Slug)
			}
			got := outcome{r.Verdict, r.Incident.AffectedSites, r.Incident.AffectedTenants, r.Summary.RestoredTenants, r.Summary.BystanderLost > 0, r.Error}
			slug := rec.Scenario.Slug
			bystLoss[slug] = append(bystLoss[slug], r.Summary.BystanderLost)
			if i == 0 {
				first[slug] = got
				order = append(order, slug)
			} else if first[slug] != got {
				t.Errorf("run %d: %s: %+v, run 1 gave %+v", i+1, slug, got, first[slug])
			}
			if p := r.Summary.RTOP95MS; p != nil {
				rto[slug] = append(rto[slug], time.Duration(*p*float64(time.Millisecond)))
			}
		}
	}
	for _, slug := range order {
		ds := rto[slug]
		if len(ds) == 0 {
			t.Logf("NOTE %-70.70s verdict %s ×%d, no RTO (nothing to restore)", slug, first[slug].verdict, n)
			continue
		}
		slices.Sort(ds)
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		t.Logf("NOTE %-70.70s verdict %s ×%d, RTO p95 min %v mean %v max %v (spread %v), bystander writes lost %v", slug, first[slug].verdict, n,
			ds[0].Round(time.Millisecond), (sum / time.Duration(len(ds))).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond),
			fmt.Sprint((ds[len(ds)-1] - ds[0]).Round(time.Millisecond)), bystLoss[slug])
	}
}
