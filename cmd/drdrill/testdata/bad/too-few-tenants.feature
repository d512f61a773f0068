Feature: Fewer tenants than the faulty list names

  Scenario: five tenants on quick
    Given a drill on the "quick" profile
    And the drill has 5 tenants
