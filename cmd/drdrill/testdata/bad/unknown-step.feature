Feature: A step nobody defined

  Scenario: the stack is summoned
    Given a drill on the "quick" profile
    And the stack is summoned by incantation
