package stack

import (
	"bytes"
	"testing"
)

func TestRedact(t *testing.T) {
	const pw = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "db ready in 2.1s", "db ready in 2.1s"},
		{"the run's password anywhere", "exec [psql -c select '" + pw + "'] failed", "exec [psql -c select '[redacted]'] failed"},
		{"URL password", "connect postgres://postgres:hunter2@db:5432/drdrill?sslmode=disable: refused",
			"connect postgres://postgres:[redacted]@db:5432/drdrill?sslmode=disable: refused"},
		{"URL without a password", "postgres://postgres@db:5432/x", "postgres://postgres@db:5432/x"},
		{"PGPASSWORD assignment", "exec [env PGPASSWORD=hunter2 pg_basebackup -h 127.0.0.1] in db", "exec [env PGPASSWORD=[redacted] pg_basebackup -h 127.0.0.1] in db"},
		{"token assignment", "DRDRILL_TOKEN=abc saasd", "DRDRILL_TOKEN=[redacted] saasd"},
		{"two URLs", "a://u:p1@h b://v:p2@k", "a://u:[redacted]@h b://v:[redacted]@k"},
		{"http URL with port, no userinfo", "http://127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in, pw); got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactWriter(t *testing.T) {
	var b bytes.Buffer
	w := RedactWriter(&b, "s3cret")
	if n, err := w.Write([]byte("password s3cret in a line\n")); err != nil || n != 26 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := b.String(); got != "password [redacted] in a line\n" {
		t.Errorf("wrote %q", got)
	}
}
