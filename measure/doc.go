// Package measure records what happened during a drill and judges it afterwards, the way a
// Jepsen test does: recorders write histories, and pure checkers turn histories into figures.
//
// Recorders (I/O, small, all on the harness host):
//
//   - Ledger: the append-only file of every write the stack acknowledged (and of the writes
//     whose outcome is unknown: a timeout or a 5xx may or may not have committed). It is
//     buffered and flushed at least every FlushEvery (100 ms) and at Close, so a crash of the
//     stack loses nothing and a crash of the harness loses at most the last 100 ms of entries.
//   - Traffic: writers that create and update "live-" records of random sites of all tenants
//     through the service's HTTP API at a set rate, ledgering every acknowledgement.
//   - Prober: polls every site's health endpoint and records per-site transitions (Timeline).
//   - Verifier: during recovery, observes the affected tenants' data (seeded rows against the
//     pre-incident manifest, live records against what traffic wrote) and records Samples.
//
// Checkers (pure functions over plain data, no clock, no I/O):
//
//   - CheckWrites: lost, changed and collateral writes and RPO per tenant, from the ledger and
//     the live records observed after recovery.
//   - CheckAvailability: RTO, MTTD and downtime per tenant, from the probe timeline and the
//     verifier's samples.
//   - Assemble: both of the above into results.Tenant, results.Summary and the restoration
//     curve; Evaluate: the SLO objectives of a feature (ParseObjectives) against them.
//
// Times come from the harness host's clock. A transition is stamped when the probe's answer
// was read, so a measured RTO is never shorter than the true one and overshoots it by at most
// one probe interval (Timeline.Precision), or one verification round when data comes back
// after the sites do.
package measure
