Feature: A stack file with a cycle in its declared joins

  Scenario: the stack file is refused before anything starts
    Given the stack "../../../../stackfile/testdata/malformed/join-cycle.yaml"
    And a drill on the "quick" profile
