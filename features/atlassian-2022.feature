@atlassian
Feature: Atlassian, 5 April 2022, at full blast radius
  The reference incident at its real size: 10,000 tenants, 883 sites of 775 customers deleted
  by one purge run given site IDs, while traffic keeps flowing for everyone. Each runbook is
  measured against the same objectives; the report shows what each strategy would have cost.
  This is not in the default set: it seeds about 11.7 million rows (about 2 GB).

  Availability is probed every second, not every 250 ms: 11,400 sites four times a second is
  45,600 health checks a second on the database under test, and it slowed the very restore it
  measured (make bench on 2 cores: tenant-restore 25-30 s at 250 ms, 17-20 s at 1 s or 2 s).
  Each RTO is then precise to the probe period or the verifier's 500 ms, whichever is larger.

    drdrill run features/atlassian-2022.feature

  Background:
    Given a drill on the "atlassian" profile
    And traffic at 200 writes per second
    And WAL archived at least every 10s
    And availability probed every 1s
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  Scenario Outline: The incident on 10,000 tenants, recovered by <runbook>
    Given the objectives:
      | objective | target    |
      | RTO p95   | <rto p95> |
      | RPO max   | 5m        |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 883 sites of 775 tenants
    When the "<runbook>" runbook runs
    And the drill ends
    Then every objective is met
    And <bystanders> bystanders lost acknowledged writes

    Examples:
      | runbook        | rto p95 | bystanders |
      | tenant-restore | 2h      | no         |
      | full-pitr      | 1h      | some       |
