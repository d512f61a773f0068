@guardrails
Feature: Guardrails that would have stopped the incident
  The script trusted its input: it accepted site IDs where it expected app IDs, and nothing
  limited how much one run could delete. Each guardrail below is given the faulty ID list in
  purge mode and must leave every site in place, with the verdict saying why.

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  Scenario: A dry run shows what it would delete and deletes nothing
    Given the objectives:
      | objective             | target |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs and the guardrail "dry-run"
    Then the incident deleted 0 sites of 0 tenants
    When the drill ends
    Then every objective is met

  Scenario: The ID-kind check refuses site IDs given as app IDs
    Given the objectives:
      | objective             | target |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs and the guardrail "check-kind"
    Then the cleanup script is refused by the "check-kind" guardrail
    And the incident deleted 0 sites of 0 tenants
    When the drill ends
    Then every objective is met

  @quick
  Scenario: A scope cap refuses a run that would delete more sites than it allows
    Given the objectives:
      | objective             | target |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs and the guardrail "max-scope=5"
    Then the cleanup script is refused by the "max-scope" guardrail
    And the incident deleted 0 sites of 0 tenants
    When the drill ends
    Then every objective is met

  @quick
  Scenario: The ID-kind check refuses a list that mixes site IDs into app IDs
    Given the objectives:
      | objective             | target |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with 25% site IDs among app IDs and the guardrail "check-kind"
    Then the cleanup script is refused by the "check-kind" guardrail
    And the incident deleted 0 sites of 0 tenants
    When the drill ends
    Then every objective is met

  Scenario: Without a guardrail, a mixed list deletes the sites it names by site ID
    Given the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with 25% site IDs among app IDs
    Then the incident deleted 3 sites of 10 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
