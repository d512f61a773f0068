Feature: A duration below zero

  Scenario: archive before the write
    Given a drill on the "quick" profile
    And WAL archived at least every -5s
