package stack

import (
	"io"
	"regexp"
	"strings"
)

// Redacted stands in for a secret in any text drdrill writes.
const Redacted = "[redacted]"

var (
	// urlPassword is the password part of a URL's userinfo: scheme://user:PASSWORD@host.
	urlPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	// envPassword is a PGPASSWORD (or any *PASSWORD / *_TOKEN) assignment on a command line.
	envPassword = regexp.MustCompile(`(?i)\b([A-Z_]*(PASSWORD|TOKEN|SECRET)=)\S*`)
)

// Redact returns text with every secret replaced by Redacted, and with the password of any URL
// and the value of any PASSWORD=/TOKEN=/SECRET= assignment masked whatever it is: errors quote
// commands and connection strings, and no error of a drill may carry its password into
// drill.log, results.json or a report.
func Redact(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, Redacted)
		}
	}
	text = urlPassword.ReplaceAllString(text, "${1}"+Redacted+"@")
	return envPassword.ReplaceAllString(text, "${1}"+Redacted)
}

// Redact masks this run's secrets (and any URL password or PASSWORD= value) in text.
func (s *Stack) Redact(text string) string { return Redact(text, s.Secrets()...) }

// RedactWriter passes each write to w with secrets replaced (see Redact). drdrill writes its
// logs a whole line per Write, so a secret is never split between two writes.
func RedactWriter(w io.Writer, secrets ...string) io.Writer {
	if w == nil {
		return nil
	}
	return &redactWriter{w: w, secrets: secrets}
}

type redactWriter struct {
	w       io.Writer
	secrets []string
}

func (r *redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, Redact(string(p), r.secrets...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
