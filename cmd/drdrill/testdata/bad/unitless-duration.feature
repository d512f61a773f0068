Feature: A duration without its unit

  Scenario: a base backup every thirty what
    Given a drill on the "quick" profile
    And a base backup every 30
