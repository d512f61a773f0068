Feature: A sub-second archive timeout

  Scenario: half a second
    Given a drill on the "quick" profile
    And WAL archived at least every 500ms
