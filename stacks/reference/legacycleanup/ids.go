package legacycleanup

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrBadInput marks errors in what the operator gave: the ID file or the options.
var ErrBadInput = errors.New("bad input")

// ErrRefused marks a run a guardrail stopped before anything changed.
var ErrRefused = errors.New("refused by a guardrail")

// ParseError is a bad line of an ID file. Line counts from 1.
type ParseError struct {
	Line   int
	Text   string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: %q: %s", e.Line, e.Text, e.Reason)
}

// Unwrap makes a ParseError an ErrBadInput.
func (e *ParseError) Unwrap() error { return ErrBadInput }

// ErrNoIDs is returned for a file with no ID at all (empty, blank or only comments).
var ErrNoIDs = fmt.Errorf("%w: no ids in the file (it is empty or holds only blank lines and comments)", ErrBadInput)

// ParseIDs reads an ID file: one positive integer per line; blank lines are skipped and '#'
// starts a comment, on its own line or after an ID. Spaces, tabs and a CR before the newline are
// ignored. An ID repeated is kept once, at its first place, so that a run never counts a row
// twice. The first bad line stops the parse with a *ParseError naming it.
func ParseIDs(src []byte) ([]int64, error) {
	var ids []int64
	seen := make(map[int64]bool)
	for n := 1; len(src) > 0; n++ {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		raw := line
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = bytes.Trim(line, " \t\r")
		if len(line) == 0 {
			continue
		}
		text := string(bytes.TrimRight(raw, "\r"))
		for _, c := range line {
			if c < '0' || c > '9' {
				return nil, &ParseError{Line: n, Text: text, Reason: "not an integer id (one id per line, digits only)"}
			}
		}
		id, err := strconv.ParseInt(string(line), 10, 64)
		if err != nil {
			return nil, &ParseError{Line: n, Text: text, Reason: "id out of range"}
		}
		if id == 0 {
			return nil, &ParseError{Line: n, Text: text, Reason: "id 0 is not a valid id"}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, ErrNoIDs
	}
	return ids, nil
}
