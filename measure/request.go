package measure

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Request is a stack file's request template: {unit}, {tenant}, {key} and {value} are filled
// per request, and OK lists the statuses that count (an acknowledged write, a healthy unit).
type Request struct {
	Method, URL, Body string
	OK                []int
}

// The reference service's requests: the zero TrafficConfig.Write and ProberConfig.Health.
var (
	ReferenceWrite  = Request{Method: http.MethodPut, URL: "/v1/sites/{unit}/records/{key}", Body: `{"value":"{value}"}`, OK: []int{200, 201}}
	ReferenceHealth = Request{Method: http.MethodGet, URL: "/v1/sites/{unit}/health", OK: []int{200}}
)

// fill returns the request's path and body for one unit (and its tenant), key and value.
// Keys and values are drdrill's own plain ASCII (no escaping needed). It runs for every write
// of the traffic and every per-unit probe: one pass over each template, no replacer built
// per request.
func (r Request) fill(unit SiteRef, key, value string) (url, body string) {
	fills := placeholders{"{unit}", strconv.FormatInt(unit.ID, 10), "{tenant}", strconv.FormatInt(unit.Tenant, 10), "{key}", key, "{value}", value}
	return fills.expand(r.URL), fills.expand(r.Body)
}

// placeholders pairs each placeholder with its value.
type placeholders [8]string

// expand replaces every placeholder of s by its value in one pass, left to right (a value is
// never expanded again), as strings.Replacer would.
func (p *placeholders) expand(s string) string {
	if strings.IndexByte(s, '{') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 64)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		n := 0
		for j := 0; j < len(p); j += 2 {
			if strings.HasPrefix(s, p[j]) {
				b.WriteString(p[j+1])
				n = len(p[j])
				break
			}
		}
		if n == 0 {
			b.WriteByte('{')
			n = 1
		}
		s = s[n:]
	}
}

func (r Request) ok(status int) bool { return slices.Contains(r.OK, status) }

func (r Request) orDefault(def Request) Request {
	if r.URL == "" {
		return def
	}
	return r
}
