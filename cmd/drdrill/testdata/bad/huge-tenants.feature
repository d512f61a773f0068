Feature: More tenants than any machine holds

  Scenario: a hundred billion customers
    Given a drill on the "quick" profile
    And the drill has 99999999999 tenants
