@soft-delete
Feature: Soft delete is the safety net
  The first remediation promised after April 2022: deletion marks first and purges later, so a
  wrong ID list costs an undo, not a restore. The same faulty ID list (site IDs given as app IDs)
  in mark mode must be undone in minutes with no data lost, for anyone.

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  @quick
  Scenario: Sites marked by mistake come back whole when the mark is undone
    Given the objectives:
      | objective             | target |
      | RTO p95               | 2m     |
      | RPO max               | 0s     |
      | bystander lost writes | 0      |
    When the cleanup script runs in mark mode with site IDs
    Then the incident marked 12 sites of 10 tenants
    When the "undo-mark" runbook runs
    And the drill ends
    Then every objective is met
