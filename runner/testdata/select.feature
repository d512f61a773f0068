@sel
Feature: Selection

  Background:
    Given a drill on the "quick" profile

  @quick
  Scenario: plain quick
    Given the reference stack is running
    """
    a doc string, commented out with its scenario
    """

  # a comment between scenarios
  Scenario Outline: outline <n>
    Given the drill has <n> tenants

    @quick
    Examples: quick rows
      | n   |
      | 100 |
      # a comment between rows
      | 200 |

    @matrix
    Examples: matrix rows
      | n   |
      | 300 |
      | 400 |

  @matrix
  Scenario: plain matrix
    Given the reference stack is running

  Rule: a rule
    @quick
    Scenario: in a rule
      Given the reference stack is running
