@notes
Feature: A second stack, drilled from its stack file alone
  The notes stack (stacks/notes/stack.yaml) is nothing like the reference: its own service and
  image, orgs owning workspaces, children that reach their org only through foreign keys and a
  relation the application keeps without one, its own faulty script (notes-purge) and its own
  restore written as shell steps with the PostgreSQL tools. drdrill seeds it from the schema,
  runs its script with the wrong list, restores it and measures per tenant from the data, with
  the same ledger, prober and verifier as on the reference.

  Background:
    Given the stack "../stacks/notes/stack.yaml"
    And a drill on the "quick" profile
    And traffic at 200 writes per second
    And WAL archived at least every 10s
    And the stack is running
    And the tenants are seeded
    And traffic is flowing

  @stacks
  Scenario: notes-purge deletes workspaces, restored org by org from a side database
    Given the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | RPO max               | 30s    |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And no bystander lost acknowledged writes

  @stacks
  Scenario: Full point-in-time recovery of the notes database rolls bystanders back too
    Given the objectives:
      | objective | target |
      | RTO p95   | 10m    |
      | RPO max   | 30s    |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met
    And some bystanders lost acknowledged writes

  @stacks
  Scenario: The notes team's own shell runbook brings the workspaces back
    Given the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | RPO max               | 30s    |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "pg-side-copy" runbook runs
    And the drill ends
    Then every objective is met
    And no bystander lost acknowledged writes

  @stacks
  Scenario: notes-purge's scope cap refuses the run and nothing is deleted
    Given the objectives:
      | objective             | target |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs and the guardrail "max-scope=5"
    Then the cleanup script is refused by the "max-scope" guardrail
    And the incident deleted 0 sites of 0 tenants
    When the drill ends
    Then every objective is met

  Scenario: Marked workspaces come back by clearing the marks
    Given the objectives:
      | objective | target |
      | RTO p95   | 5m     |
      | RPO max   | 0s     |
    When the cleanup script runs in mark mode with site IDs
    Then the incident marked 12 sites of 10 tenants
    When the "undo-mark" runbook runs
    And the drill ends
    Then every objective is met
