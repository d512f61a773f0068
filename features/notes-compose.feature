@notes
Feature: A stack drilled from the team's own docker-compose.yml
  stacks/notes/stack-compose.yaml names the notes team's compose file instead of a services
  list: drdrill reads its services, runs the database in its own archiving Postgres image,
  starts notesd with the drill's connection, waits on the compose healthcheck's URL, and drills
  it like any other stack.

  Background:
    Given the stack "../stacks/notes/stack-compose.yaml"
    And a drill on the "quick" profile
    And traffic at 200 writes per second
    And the stack is running
    And the tenants are seeded
    And traffic is flowing

  @stacks
  Scenario: The compose stack's workspaces are purged and restored org by org
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
