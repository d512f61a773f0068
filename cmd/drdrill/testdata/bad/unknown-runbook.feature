Feature: A runbook nobody wrote

  Scenario: hope as a strategy
    Given a drill on the "quick" profile
    When the "pray" runbook runs
