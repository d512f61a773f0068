Feature: An Examples row with a bad value

  Scenario Outline: <n> tenants
    Given a drill on the "quick" profile
    And the drill has <n> tenants

    Examples:
      | n  |
      | 20 |
      | 0  |
