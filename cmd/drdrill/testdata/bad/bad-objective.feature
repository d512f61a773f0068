Feature: An objective drdrill cannot judge

  Scenario: uptime
    Given a drill on the "quick" profile
    And the objectives:
      | objective | target |
      | RTO p95   | 10m    |
      | uptime    | 99.9%  |
