// Package stackfile parses and validates a stack file (apiVersion drdrill/v1): the description
// of the system a drill breaks and restores — its services, its database, its tenancy model,
// the traffic and probes that measure it, its faulty script and its runbooks — before any
// container starts. Every problem names FILE:LINE:COL and what to write instead.
//
// Data enters as YAML (Load, Parse) and leaves as a *Stack, whose Declared method gives the
// tenancy section to tenancy.Discover. Schema is the JSON Schema of the format, for editors.
package stackfile
