Feature: A table that lost a cell, and a keyword without its colon

  Scenario: objectives
    Given a drill on the "quick" profile
    And the objectives:
      | objective | target |
      | RTO p95   |
    Scenario Outline
