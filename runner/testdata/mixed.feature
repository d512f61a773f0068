Feature: A bad scenario outside the selected tags

  @quick
  Scenario: fine
    Given a drill on the "quick" profile

  @matrix
  Scenario: rotten
    Given a drill on the "quick" profile
    And availability probed every 0s
