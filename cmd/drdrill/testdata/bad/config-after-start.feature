Feature: Configuration after the stack started

  Scenario: too late
    Given a drill on the "quick" profile
    And the reference stack is running
    And the drill has 50 tenants
