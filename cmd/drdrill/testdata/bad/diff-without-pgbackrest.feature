Feature: A differential backup on the plain route

  Scenario: pg_basebackup takes full backups only
    Given a drill on the "quick" profile
    And the reference stack is running
    And the tenants are seeded
    And a differential backup is taken
