package stackfile

import _ "embed"

// Schema is the JSON Schema (draft-07) of the format, for editors: with the YAML language
// server, a first line `# yaml-language-server: $schema=PATH/stackfile/schema.json` completes
// and checks a stack file as it is typed. `drdrill stack schema` prints it. Parse, not the
// schema, is the judge: it also checks what a schema cannot (files, tables, join cycles).
//
//go:embed schema.json
var Schema []byte
