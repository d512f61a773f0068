@incident
Feature: The incident matrix
  On 5 April 2022 a maintenance script meant to remove one app from customer sites was given
  site IDs instead of app IDs, and ran in purge mode instead of mark mode. Each row below replays
  one combination of mode, ID list and restore runbook on the quick profile (100 tenants; the ID
  list names 12 sites of 10 tenants) while traffic keeps flowing, and states the blast radius we
  expect and the objectives the runbook must meet. With app IDs, as intended, the same 10 tenants
  lose one app each and no site.

  The default set (tag @quick) runs the incident itself and its harmless twin; the whole matrix
  runs with --tags @matrix.

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And WAL archived at least every 10s
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  Scenario Outline: <mode> with <ids> IDs, recovered by <runbook>
    Given the objectives:
      | objective             | target    |
      | RTO p95               | <rto p95> |
      | RPO max               | <rpo max> |
      | bystander lost writes | 0         |
    When the cleanup script runs in <mode> mode with <ids> IDs
    Then the incident <verb> <sites> sites of <tenants> tenants
    When the "<runbook>" runbook runs
    And the drill ends
    Then every objective is met

    @quick
    Examples: the incident, and the run that was intended
      | mode  | ids  | runbook        | verb    | sites | tenants | rto p95 | rpo max |
      | purge | site | tenant-restore | deleted | 12    | 10      | 10m     | 30s     |
      | purge | app  | tenant-restore | deleted | 0     | 10      | 1m      | 0s      |

    @matrix
    Examples: the rest of the matrix
      | mode  | ids  | runbook        | verb    | sites | tenants | rto p95 | rpo max |
      | mark  | site | undo-mark      | marked  | 12    | 10      | 2m      | 0s      |
      | mark  | app  | undo-mark      | marked  | 0     | 10      | 1m      | 0s      |
      | mark  | site | tenant-restore | marked  | 12    | 10      | 10m     | 30s     |
