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

  Scenario: A paced purge restored per deletion: every victim back as it was just before its own deletion
    Given a drill on the "quick" profile
    And the faulty list names 30 sites of 24 tenants
    And the cleanup script works in batches of 6 IDs every 1s
    And the incident is noticed 10s after it starts
    And the objectives:
      | objective              | target |
      | RTO p95                | 2m     |
      | collateral lost writes | 0      |
      | bystander lost writes  | 0      |
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 30 sites of 24 tenants
    When the "tenant-restore-per-deletion" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "transactions deleted 30 rows of sites"

  # Atlassian's run, shortened: a mixed list (90 % site IDs, the others the same sites' app IDs)
  # naming 982 sites, of which 883 are named by site ID and deleted; the script deletes 50 IDs
  # every 2 s (about 40 s), and the incident is noticed a minute in. Both restores run on the
  # same shape: to T0, which loses every write a victim acknowledged before its own deletion,
  # and per deletion, which loses none. One report sets them side by side.
  @atlassian
  Scenario Outline: Atlassian's run replayed paced from a mixed list, noticed late, restored <how>
    Given a drill on the "atlassian" profile
    And the faulty list names 982 sites of 775 tenants
    And the cleanup script works in batches of 50 IDs every 2s
    And the incident is noticed 1m after it starts
    And availability probed every 1s
    And the objectives:
      | objective              | target       |
      | RTO p95                | 10m          |
      | bystander lost writes  | 0            |
      | collateral lost writes | <collateral> |
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    When the cleanup script runs in purge mode with 90% site IDs among app IDs
    Then the incident deleted 883 sites of 775 tenants
    When the "<runbook>" runbook runs
    And the drill ends
    Then every objective is met

    Examples:
      | how                    | runbook                     | collateral |
      | to T0                  | tenant-restore              | 100000     |
      | each before its deletion | tenant-restore-per-deletion | 0          |
