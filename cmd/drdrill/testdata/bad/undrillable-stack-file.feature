Feature: A valid stack file this drdrill cannot drill yet

  Scenario: a schema-per-tenant model is refused, named, before anything starts
    Given the stack "../../../../stackfile/testdata/valid/perschema.yaml"
    And a drill on the "quick" profile
