@faults
Feature: Faults during recovery
  A restore runs on the worst day, when other things break too. Each scenario arms one fault
  for the runbook; it fires when the runbook reaches the point it applies to (WAL replay, the
  tenant copy, the choice of base backup, the runbook's start). The runbook either rides it out
  (it retries a step once the database answers again, or falls back to an older base backup)
  and the report shows the retried step and what it cost, or it reports what it could not get
  back. Small on purpose (30 tenants); not in the default set:

    drdrill run --tags @faults

  Background:
    Given a drill on the "quick" profile
    And the drill has 30 tenants
    And traffic at 100 writes per second
    And WAL archived at least every 2s
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing

  Scenario: The live database is killed while tenants are copied back
    Given the objectives:
      | objective             | target |
      | restored tenants      | 100%   |
      | RPO max               | 0s     |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    And the fault "db-killed" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the runbook step "copy tenants" succeeded on attempt 2
    And the report has a finding about "fault db-killed: the live database was killed"

  Scenario: The database is killed during full point-in-time recovery
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
      | RPO max          | 0s     |
    When the cleanup script runs in purge mode with site IDs
    And the fault "db-killed" is injected
    And the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met
    And the runbook step "start db and replay WAL to T0" succeeded on attempt 2
    And the report has a finding about "recovered on attempt 2"

  Scenario: The restore's side database is killed during its WAL replay
    Given the objectives:
      | objective             | target |
      | restored tenants      | 100%   |
      | RPO max               | 0s     |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    And the fault "side-db-killed" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the runbook step "replay WAL on side db to T0" succeeded on attempt 2
    And the report has a finding about "fault side-db-killed"

  Scenario: The network between app and database is cut during the restore
    Given the objectives:
      | objective             | target |
      | restored tenants      | 100%   |
      | RPO max               | 0s     |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    And the fault "network-cut" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "cut off from the database for"

  Scenario: A WAL segment is missing from the archive: the restore stops early and says what was lost
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
    When the cleanup script runs in purge mode with site IDs
    And the fault "wal-segment-missing" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "is missing from the archive"
    And the report has a finding about "recovery ended before the target time"
    And no bystander lost acknowledged writes

  # full-pitr verifies a backup before it stops the live database (pg_verifybackup, pgbackrest
  # verify); tenant-restore's side database is disposable, so it starts while pg_verifybackup
  # runs, and with pgBackRest the restore is the verification (each file against its checksum).
  Scenario Outline: The newest base backup is corrupt: <runbook> falls back to the older one
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
      | RPO max          | 0s     |
    And a base backup is taken
    When the cleanup script runs in purge mode with site IDs
    And the fault "corrupt-base-backup" is injected
    And the "<runbook>" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "fell back to the older base backup"

    Examples:
      | runbook        |
      | full-pitr      |
      | tenant-restore |
