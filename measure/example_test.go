package measure_test

import (
	"fmt"
	"time"

	"github.com/drdrill/drdrill/measure"
)

func ExampleParseDuration() {
	for _, s := range []string{"1h30m", "2d", "500ms", "10", "-5m"} {
		d, err := measure.ParseDuration(s)
		fmt.Println(d, err)
	}
	// Output:
	// 1h30m0s <nil>
	// 48h0m0s <nil>
	// 500ms <nil>
	// 0s duration "10": 10 has no unit; write e.g. 10s or 10m (units: ns, us, ms, s, m, h, d)
	// 0s duration "-5m": negative; a duration is at least 0
}

// A feature's objectives are parsed before any container starts, then judged against the
// drill's assessment.
func ExampleEvaluate() {
	objs, err := measure.ParseObjectives([][]string{
		{"objective", "target"},
		{"RTO max", "10s"},
		{"lost writes", "0"},
	}, "features/incident.feature:14")
	if err != nil {
		fmt.Println(err)
		return
	}
	t0 := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	// One acknowledged write before T0, absent after recovery.
	a := measure.Assemble(measure.Input{
		T0:     t0,
		Writes: []measure.Write{{Seq: 1, Tenant: 7, Site: 70, Key: "live-w0-1", Value: "run-1", At: t0.Add(-3 * time.Second), Outcome: measure.Acked}},
	})
	for _, r := range measure.Evaluate(objs, a) {
		fmt.Printf("%s: %s (target %s, measured %v, margin %v) %s\n", r.Name, r.Status, r.Target, *r.Measured, *r.Margin, r.Source)
	}
	fmt.Println("RPO max (ms):", a.Summary.RPOMaxMS)
	// Output:
	// RTO max: ok (target 10s, measured 0, margin 10000) features/incident.feature:14 row 2
	// lost writes: breached (target 0, measured 1, margin -1) features/incident.feature:14 row 3
	// RPO max (ms): 3000
}

func ExampleParseObjectives_errors() {
	_, err := measure.ParseObjectives([][]string{{"RTO p99", "10m"}, {"RPO max", "30"}}, "drill.feature:9")
	fmt.Println(err)
	// Output:
	// drill.feature:9 row 1: unknown objective "RTO p99"; valid: RTO p50, RTO p95, RTO max, RPO max, MTTD, lost writes, changed writes, collateral lost writes, bystander lost writes, bystanders affected, restored tenants, backup age at T0, WAL archive lag at T0
	// drill.feature:9 row 2: RPO max: duration "30": 30 has no unit; write e.g. 30s or 30m (units: ns, us, ms, s, m, h, d)
}
