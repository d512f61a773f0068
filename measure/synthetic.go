package measure

import (
	"fmt"
	"time"
)

// SyntheticLedger makes n acknowledged writes around t0 (half before, half after, one a
// millisecond) over 5,000 sites, a quarter of them updates of an earlier key, and the final
// observation of them with 1 % of the keys lost: the checker's workload at any size, for
// BenchmarkCheckLedger and make bench.
func SyntheticLedger(n int, t0 time.Time) ([]Write, []Record) {
	writes := make([]Write, n)
	nkeys := max(n*3/4, 1)
	last := make([]int, nkeys)
	for i := range writes {
		k := i % nkeys // a quarter of the writes update a key
		site := int64(1000 + k%5000)
		writes[i] = Write{Seq: int64(i), Tenant: site / 3, Site: site, Key: fmt.Sprintf("live-%d", k),
			Value: fmt.Sprintf("run-%d", i), At: t0.Add(time.Duration(i-n/2) * time.Millisecond), Outcome: Acked}
		last[k] = i
	}
	observed := make([]Record, 0, nkeys)
	for k, i := range last[:min(nkeys, n)] {
		if k%100 == 0 {
			continue // 1 % of keys lost
		}
		x := writes[i]
		observed = append(observed, Record{Tenant: x.Tenant, Site: x.Site, Key: x.Key, Value: x.Value})
	}
	return writes, observed
}
