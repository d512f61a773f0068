Feature: A runbook before the stack

  Scenario: restore first
    Given a drill on the "quick" profile
    When the "full-pitr" runbook runs
    And the reference stack is running
