@paced
Feature: The incident as it ran: a sized list, a paced script, late detection
  Atlassian's script ran for minutes, deleting as it went, and the restore began only once the
  incident was noticed. The drill replays that shape shortened: a faulty list the author sizes,
  a script that deletes in batches with a pause between them, and a runbook that starts only
  when the incident is noticed. The probes still measure when each tenant went down (MTTD), and
  every RTO counts from T0, the wait included.

  @quick
  Scenario: A paced purge of 30 sites, noticed 10 seconds in, restored per tenant
    Given a drill on the "quick" profile
    And the faulty list names 30 sites of 24 tenants
    And the cleanup script works in batches of 6 IDs every 1s
    And the incident is noticed 10s after it starts
    And the objectives:
      | objective             | target |
      | MTTD                  | 10s    |
      | RTO p95               | 2m     |
      | bystander lost writes | 0      |
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 30 sites of 24 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And no bystanders lost acknowledged writes

  Scenario: Atlassian's share of the tenants, paced and noticed late
    Given a drill on the "atlassian" profile
    And the faulty list names 7.75% of the tenants
    And the cleanup script works in batches of 50 IDs every 2s
    And the incident is noticed 1m after it starts
    And availability probed every 1s
    And the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | bystander lost writes | 0      |
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 884 sites of 775 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
