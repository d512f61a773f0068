Feature: A valid stack file this drdrill cannot drill yet

  Scenario: its own script and runbooks are refused, named, before anything starts
    Given the stack "../../../../stackfile/testdata/valid/notes.yaml"
    And a drill on the "quick" profile
