Feature: An objective no drill can meet
  Used by TestBreachedObjectiveFailsTheRun (needs containers): a soft-delete undo measured
  against an RTO of one millisecond must breach, fail the run, and show in junit.xml.

  Scenario: undo in a millisecond
    Given a drill on the "quick" profile
    And the drill has 20 tenants
    And each site has 20 records
    And traffic at 50 writes per second
    And the objectives:
      | objective             | target |
      | RTO p95               | 1ms    |
      | bystander lost writes | 0      |
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in mark mode with site IDs
    And the "undo-mark" runbook runs
    And the drill ends
    Then every objective is met
