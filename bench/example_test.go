package bench_test

import (
	"fmt"

	"github.com/drdrill/drdrill/bench"
	"github.com/drdrill/drdrill/projection"
)

// A size given as a database size becomes rows at the main drill's bytes per row, and tenants
// at its rows per tenant; the blast radius stays the main drill's.
func ExampleTargetSize_Convert() {
	main := bench.DrillRun{Tenants: 10000, Size: projection.Size{Rows: 11.7e6, BlastRows: 906e3}, AffectedSites: 883}
	p, err := bench.TargetSize{Given: "2TB", Bytes: 2e12}.Convert(main, 3.2e9)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Description())
	// Output: 6.2 M tenants, 7.3 G rows, 2.0 TB, 906 k blast-radius rows (883 sites)
}
