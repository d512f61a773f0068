Feature: An unknown backup tool

  Scenario: barman is not one of ours
    Given a drill on the "quick" profile
    And backups are taken with barman
