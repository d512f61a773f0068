Feature: A faulty list longer than the drill's tenants

  Scenario: 200 victim tenants among 100
    Given a drill on the "quick" profile
    And the faulty list names 300 sites of 200 tenants
