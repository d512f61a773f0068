Feature: A plain-route fault on a pgBackRest stack

  Scenario: the WAL segment would be deleted from a directory pgBackRest does not read
    Given a drill on the "quick" profile
    And backups are taken with pgbackrest
    And the reference stack is running
    And the tenants are seeded
    When the cleanup script runs in purge mode with site IDs
    And the fault "wal-segment-missing" is injected
    And the "tenant-restore" runbook runs
