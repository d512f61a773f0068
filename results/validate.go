package results

import (
	"fmt"
	"math"
	"reflect"
	"strings"
)

// maxMS bounds every duration in a results file: a century. A larger figure (1e300) is a
// corrupted or hand-edited file, not a drill.
const maxMS = 100 * 365.25 * 24 * 3600 * 1000

// Validate refuses figures no drill can produce, naming the field by its JSON path: a
// duration (a field ending in _ms) that is negative, not finite or beyond a century, and a
// drill that finished before it started. Read calls it, so that no report renders a file
// that would show "RTO p95 -5s" with a verdict of ok.
func (r *Results) Validate() error {
	if !r.FinishedAt.IsZero() && !r.StartedAt.IsZero() && r.FinishedAt.Before(r.StartedAt) {
		return fmt.Errorf("finished_at %s is before started_at %s", r.FinishedAt.Format("2006-01-02T15:04:05.000Z07:00"), r.StartedAt.Format("2006-01-02T15:04:05.000Z07:00"))
	}
	return checkMS(reflect.ValueOf(r).Elem(), "")
}

// checkMS walks v (a struct, slice, pointer or float) and checks every float64 whose JSON
// name ends in _ms.
func checkMS(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return checkMS(v.Elem(), path)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if err := checkMS(v.Field(i), p); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := checkMS(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Float64:
		if !strings.HasSuffix(path, "_ms") {
			return nil
		}
		switch x := v.Float(); {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return fmt.Errorf("%s = %v: not a duration", path, x)
		case x < 0:
			return fmt.Errorf("%s = %v: a duration cannot be negative", path, x)
		case x > maxMS:
			return fmt.Errorf("%s = %g: more than a century, not a drill's duration", path, x)
		}
	}
	return nil
}
