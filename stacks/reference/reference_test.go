package reference

import "testing"

// TestStack parses the embedded stack file: a broken one would panic in every drill.
func TestStack(t *testing.T) {
	s := Stack()
	if s.Tenancy.Unit.Table != "sites" || s.Database.Service != "db" || !s.Services["db"].Postgres {
		t.Errorf("reference stack = %+v", s)
	}
}
