Feature: A duration without its unit

  Scenario: archive timeout of five what
    Given a drill on the "quick" profile
    And WAL archived at least every 5
    And the reference stack is running
