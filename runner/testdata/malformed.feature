Feature: A table that lost a cell

  Scenario: objectives
    Given the objectives:
      | objective | target |
      | RTO p95   |
    Given a drill on the "quick" profile
    Scenario Outline
