Feature: Names and counts out of range

  Scenario: unknown profile
    Given a drill on the "huge" profile

  Scenario: too few tenants for the victims
    Given a drill on the "quick" profile
    And the drill has 5 tenants

  Scenario: unknown runbook
    When the "pray" runbook runs

  Scenario: unknown mode
    When the cleanup script runs in shred mode with site IDs
