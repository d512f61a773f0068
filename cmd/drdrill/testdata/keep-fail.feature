Feature: A small drill that fails after its stack is up
  Used by TestKeepLeavesAFailedStack: with --keep, its stack stays for inspection.

  Scenario: the blast radius is not what the author expected
    Given a drill on the "quick" profile
    And the drill has 20 tenants
    And each site has 20 records
    And traffic at 50 writes per second
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 999 sites of 999 tenants
