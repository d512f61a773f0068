Feature: A share of the tenants above all of them

  Scenario: 150 %
    Given a drill on the "quick" profile
    And the faulty list names 150% of the tenants
