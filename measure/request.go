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
// Keys and values are drdrill's own plain ASCII (no escaping needed).
func (r Request) fill(unit SiteRef, key, value string) (url, body string) {
	rep := strings.NewReplacer("{unit}", strconv.FormatInt(unit.ID, 10), "{tenant}", strconv.FormatInt(unit.Tenant, 10), "{key}", key, "{value}", value)
	return rep.Replace(r.URL), rep.Replace(r.Body)
}

func (r Request) ok(status int) bool { return slices.Contains(r.OK, status) }

func (r Request) orDefault(def Request) Request {
	if r.URL == "" {
		return def
	}
	return r
}
