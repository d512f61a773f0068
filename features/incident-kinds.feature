@kinds
Feature: Two more incident kinds: a truncating migration and a corrupting update
  Post-mortems show more than deleted customers. A migration run against the wrong database
  empties a table every tenant uses, all at once; a bad UPDATE rewrites a column for the
  tenants it is given and, because it bypasses the application, leaves updated_at as it was:
  the data is present but wrong, changed writes rather than lost ones. Each incident is
  recovered by the runbooks that can recover it, and a runbook that cannot says so here
  instead of pretending.

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And WAL archived at least every 5s
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  @quick
  Scenario: A corrupting update repaired row by row, live writes after T0 kept
    Given the objectives:
      | objective              | target |
      | RTO max                | 2m     |
      | changed writes         | 0      |
      | lost writes            | 0      |
      | collateral lost writes | 0      |
      | bystander lost writes  | 0      |
      | restored tenants       | 100%   |
    When the cleanup script runs in corrupt mode with site IDs
    Then the incident changed the data of 10 tenants
    When the "tenant-repair" runbook runs
    And the drill ends
    Then every objective is met
    And 10 of 10 affected tenants are restored

  Scenario: Per-tenant restore cannot undo a corrupting update: the live rows win its copy
    When the cleanup script runs in corrupt mode with site IDs
    Then the incident changed the data of 10 tenants
    When the "tenant-restore" runbook runs and fails
    And the drill ends
    Then the report has a finding about "still differ from the pre-incident manifest"
    And 0 of 10 affected tenants are restored

  @quick
  Scenario: A truncated table restored whole by point-in-time recovery
    Given the objectives:
      | objective        | target |
      | RTO max          | 5m     |
      | lost writes      | 0      |
      | restored tenants | 100%   |
    When a migration truncates the "records" table
    Then the incident changed the data of 100 tenants
    When the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met

  Scenario: A truncated table restored tenant by tenant, writes after the truncate kept
    Given the objectives:
      | objective        | target |
      | RTO max          | 5m     |
      | lost writes      | 0      |
      | restored tenants | 100%   |
    When a migration truncates the "records" table
    Then the incident changed the data of 100 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met

  Scenario: Row repair cannot bring back a truncated table: no row is left to repair
    When a migration truncates the "records" table
    Then the incident changed the data of 100 tenants
    When the "tenant-repair" runbook runs and fails
    And the drill ends
    Then the report has a finding about "no row of the affected tenants was rewritten"
    And 0 of 100 affected tenants are restored

  @quick
  Scenario: The scope cap refuses the truncating migration
    Given the objectives:
      | objective             | target |
      | lost writes           | 0      |
      | bystander lost writes | 0      |
    When a migration truncates the "records" table and the guardrail "max-scope=20"
    Then the cleanup script is refused by the "max-scope" guardrail
    And the incident changed the data of 0 tenants
    When the drill ends
    Then every objective is met
