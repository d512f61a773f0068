@restore
Feature: Restore strategies compared
  After the purge, restoring the whole database to a point before the incident was possible
  within hours, but it would have rolled back every other customer as well. Both strategies run
  here on the same incident: full point-in-time recovery brings the affected tenants back fast
  and loses the writes bystanders made after T0; per-tenant restore loses nothing for anyone.
  (The default set runs full PITR here; per-tenant restore of the same incident is in it through
  the incident matrix.)

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And WAL archived at least every 10s
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  @quick
  Scenario: Full point-in-time recovery rolls bystanders back with everyone else
    Given the objectives:
      | objective | target |
      | RTO p95   | 10m    |
      | RPO max   | 30s    |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met
    And some bystanders lost acknowledged writes

  Scenario: Per-tenant restore brings the affected tenants back and leaves bystanders alone
    Given the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | RPO max               | 30s    |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And no bystander lost acknowledged writes
