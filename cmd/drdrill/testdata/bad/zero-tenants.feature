Feature: A drill with no customer

  Scenario: nobody to restore
    Given a drill on the "quick" profile
    And the drill has 0 tenants
