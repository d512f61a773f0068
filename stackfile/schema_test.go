package stackfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
	"go.yaml.in/yaml/v3"
)

// TestSchemaValidates holds the JSON Schema against the files Parse accepts: an editor must
// not flag a good stack file.
func TestSchemaValidates(t *testing.T) {
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(Schema))
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	files = append(files, "../stacks/reference/stack.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			res, err := schema.Validate(gojsonschema.NewBytesLoader(js))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors() {
				t.Errorf("%s: %s", f, e)
			}
		})
	}
}

// TestSchemaMatchesTypes walks the Go types and the schema side by side: every yaml field is a
// property at the same place and every property a field, so neither can drift.
func TestSchemaMatchesTypes(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(Schema, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["definitions"].(map[string]any)
	// resolve follows a $ref, and a oneOf to its object branch.
	var resolve func(n map[string]any) map[string]any
	resolve = func(n map[string]any) map[string]any {
		if ref, ok := n["$ref"].(string); ok {
			d, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
			return resolve(d)
		}
		if alts, ok := n["oneOf"].([]any); ok {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && m["type"] == "object" {
					return m
				}
			}
		}
		return n
	}
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		node = resolve(node)
		switch typ.Kind() {
		case reflect.Map:
			if add, ok := node["additionalProperties"].(map[string]any); ok {
				walk(path+".*", typ.Elem(), add)
			} else {
				t.Errorf("%s: a map in Go, no additionalProperties schema", path)
			}
			return
		case reflect.Slice:
			if items, ok := node["items"].(map[string]any); ok {
				walk(path+"[]", typ.Elem(), items)
			}
			return
		case reflect.Struct:
		default:
			return
		}
		props, _ := node["properties"].(map[string]any)
		fields := map[string]reflect.Type{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag := strings.Split(f.Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		switch typ {
		case reflect.TypeOf(Incident{}):
			fields["script"] = reflect.TypeOf(Script{})
		case reflect.TypeOf(Step{}):
			fields["run"] = reflect.TypeOf("")
		}
		for name, ft := range fields {
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: a Go field, not in schema.json", path, name)
				continue
			}
			walk(path+"."+name, ft, p)
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range props {
				if !yield(k) {
					return
				}
			}
		}) {
			if _, ok := fields[name]; !ok {
				t.Errorf("%s.%s: in schema.json, no Go field", path, name)
			}
		}
	}
	walk("stack", reflect.TypeOf(Stack{}), root)
}
