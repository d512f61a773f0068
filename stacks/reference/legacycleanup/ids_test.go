package legacycleanup

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func TestParseIDs(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		want     []int64
		wantLine int // 0: no ParseError expected
		wantErr  error
	}{
		{"one per line", "1\n2\n3\n", []int64{1, 2, 3}, 0, nil},
		{"no final newline", "10\n20", []int64{10, 20}, 0, nil},
		{"blanks and comments", "# app ids from the ticket\n\n 7 \n\t8\t# site of acme\n#9\n", []int64{7, 8}, 0, nil},
		{"crlf", "5\r\n6\r\n", []int64{5, 6}, 0, nil},
		{"duplicates kept once", "4\n5\n4\n", []int64{4, 5}, 0, nil},
		{"big ids", "1000000000000\n9223372036854775807\n", []int64{1000000000000, 9223372036854775807}, 0, nil},
		{"empty file", "", nil, 0, ErrNoIDs},
		{"only comments", "# nothing\n\n   \n", nil, 0, ErrNoIDs},
		{"letters", "1\n2\nabc\n", nil, 3, nil},
		{"negative", "-3\n", nil, 1, nil},
		{"plus sign", "+3\n", nil, 1, nil},
		{"two ids on a line", "1\n2 3\n", nil, 2, nil},
		{"decimal", "1.5\n", nil, 1, nil},
		{"zero", "\n0\n", nil, 2, nil},
		{"overflow", "9223372036854775808\n", nil, 1, nil},
		{"comma list", "1,2,3\n", nil, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseIDs([]byte(c.in))
			var pe *ParseError
			switch {
			case c.wantLine > 0:
				if !errors.As(err, &pe) || pe.Line != c.wantLine || !errors.Is(err, ErrBadInput) {
					t.Fatalf("ParseIDs(%q) = %v, %v; want a ParseError on line %d", c.in, got, err, c.wantLine)
				}
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrBadInput) {
					t.Fatalf("ParseIDs(%q) error = %v, want %v", c.in, err, c.wantErr)
				}
			default:
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Fatalf("ParseIDs(%q) = %v, %v; want %v", c.in, got, err, c.want)
				}
			}
		})
	}
}

func FuzzParseIDs(f *testing.F) {
	for _, s := range []string{"1\n2\n", "# c\n\n3 # x\r\n", "", "abc", "-1", "9223372036854775808", "1\n1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ids, err := ParseIDs(in)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v is not ErrBadInput", err)
			}
			var pe *ParseError
			if errors.As(err, &pe) && (pe.Line < 1 || pe.Line > bytes.Count(in, []byte("\n"))+1) {
				t.Fatalf("line %d outside the %d-line input", pe.Line, bytes.Count(in, []byte("\n"))+1)
			}
			return
		}
		seen := map[int64]bool{}
		var out []byte
		for _, id := range ids {
			if id <= 0 || seen[id] {
				t.Fatalf("bad or repeated id %d in %v", id, ids)
			}
			seen[id] = true
			out = strconv.AppendInt(out, id, 10)
			out = append(out, '\n')
		}
		again, err := ParseIDs(out)
		if err != nil || !reflect.DeepEqual(again, ids) {
			t.Fatalf("round trip of %v gave %v, %v", ids, again, err)
		}
	})
}
