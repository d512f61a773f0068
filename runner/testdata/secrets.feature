Feature: No secret in any output
  Used by TestNoSecretInOutputs (needs containers): every output of a drill that passes and of
  one that fails must be free of the run's database password.

  Background:
    Given a drill on the "quick" profile
    And the drill has 20 tenants
    And each site has 20 records
    And traffic at 50 writes per second
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  Scenario: a drill that passes
    When the cleanup script runs in mark mode with site IDs
    And the "undo-mark" runbook runs
    And the drill ends
    Then every objective is met

  Scenario: a drill that fails: its only base backup is corrupt
    When the cleanup script runs in purge mode with site IDs
    And the fault "corrupt-base-backup" is injected
    And the "full-pitr" runbook runs
    And the drill ends
