Feature: Scenario names whose slugs would collide

  Scenario: same
    Given a drill on the "quick" profile

  Scenario: same
    Given a drill on the "quick" profile

  Scenario: same 2
    Given a drill on the "quick" profile
