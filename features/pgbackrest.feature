@pgbackrest
Feature: The same incident restored with pgBackRest
  Most PostgreSQL teams do not restore by hand: they run pgBackRest. Here the stack archives WAL
  with pgbackrest archive-push into a repository on its own volume, takes a full backup after
  seeding and a differential one under traffic, and the runbooks restore with pgbackrest restore
  (point in time, --process-max from the restore parallelism). full-pitr runs it after pgbackrest
  verify has checked every backup file and WAL segment, before it stops the live database;
  tenant-restore restores into a disposable side database, and its restore is the verification:
  pgBackRest checks each file it writes against the manifest's checksum. The objectives are those of the plain route's drills: the
  tool must not cost a customer anything the plain route would not. Backup age and WAL archive
  lag at T0 are read from the repository and the database when the incident starts.
  (The default set runs the per-tenant restore; full PITR and undo-mark are behind @pgbackrest.)

  Background:
    Given a drill on the "quick" profile
    And traffic at 200 writes per second
    And WAL archived at least every 10s
    And backups are taken with pgbackrest
    And the reference stack is running
    And the tenants are seeded
    And traffic is flowing
    And a differential backup is taken

  @quick
  Scenario: Per-tenant restore from a differential pgBackRest backup leaves bystanders alone
    Given the objectives:
      | objective             | target |
      | RTO p95               | 10m    |
      | RPO max               | 30s    |
      | bystander lost writes | 0      |
      | backup age at T0      | 5m     |
      | WAL archive lag at T0 | 30s    |
    When the cleanup script runs in purge mode with site IDs
    Then the incident deleted 12 sites of 10 tenants
    When the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And no bystander lost acknowledged writes
    And the runbook step "pgbackrest restore --set=" succeeded on attempt 1

  Scenario: Full point-in-time recovery with pgbackrest restore --delta
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
    And the runbook step "pgbackrest restore --set=" succeeded on attempt 1

  Scenario: Soft delete undone: the backup tool is not needed, and its archive keeps working
    Given the objectives:
      | objective             | target |
      | RTO p95               | 1m     |
      | lost writes           | 0      |
      | bystander lost writes | 0      |
    When the cleanup script runs in mark mode with site IDs
    Then the incident marked 12 sites of 10 tenants
    When the "undo-mark" runbook runs
    And the drill ends
    Then every objective is met

  @faults
  Scenario: A WAL segment is missing from the pgBackRest repository: the restore stops early and says what was lost
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
    When the cleanup script runs in purge mode with site IDs
    And the fault "wal-segment-missing" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "from the pgBackRest repository's archive"
    And the report has a finding about "is missing from the archive"
    And no bystander lost acknowledged writes

  @faults
  Scenario: The differential backup is corrupt: pgbackrest verify catches it and the restore falls back to the full one
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
      | RPO max          | 0s     |
    When the cleanup script runs in purge mode with site IDs
    And the fault "corrupt-base-backup" is injected
    And the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "pgbackrest verify: backup"
    And the report has a finding about "fell back to the older base backup"

  @faults
  Scenario: The pgBackRest repository is unavailable as the restore starts: full-pitr waits for it and runs the restore again
    Given the objectives:
      | objective        | target |
      | restored tenants | 100%   |
      | RPO max          | 0s     |
    When the cleanup script runs in purge mode with site IDs
    And the fault "repo-unavailable" is injected
    And the "full-pitr" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "the pgBackRest repository was unavailable for 10s"
    And the report has a finding about "recovered on attempt 2"

  @faults
  Scenario: The pgBackRest repository is unavailable as tenant-restore starts its side database: the restore waits and runs again
    Given the objectives:
      | objective             | target |
      | restored tenants      | 100%   |
      | bystander lost writes | 0      |
    When the cleanup script runs in purge mode with site IDs
    And the fault "repo-unavailable" is injected
    And the "tenant-restore" runbook runs
    And the drill ends
    Then every objective is met
    And the report has a finding about "the pgBackRest repository was unavailable for 10s"
    And the report has a finding about "recovered on attempt 2"
