Feature: A negative count

  Scenario: minus five
    Given a drill on the "quick" profile
    And the drill has -5 tenants
