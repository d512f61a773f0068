Feature: A small drill that passes through every phase
  Used by the signal tests of cmd/drdrill: each interrupts `drdrill run` in one phase (stack
  start, seeding, traffic, incident, restore) and checks that nothing of the run is left.
  Small on purpose: 20 tenants, 20 records a site. The base backup taken while traffic flows
  keeps the drill in its traffic phase long enough to be interrupted there.

  Scenario: purge undone by a point-in-time restore
    Given a drill on the "quick" profile
    And the drill has 20 tenants
    And each site has 20 records
    And traffic at 50 writes per second
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    And a base backup is taken
    When the cleanup script runs in purge mode with site IDs
    And the "full-pitr" runbook runs
    And the drill ends
