package stackfile

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DBImage is the image the database service of a compose file runs in: drdrill's own
// PostgreSQL 15 (WAL archiving, base backups, pgBackRest), whatever image the compose file
// names for it, since a drill backs it up, breaks and restores it.
const DBImage = "drdrill/postgres:15"

// composeService is the part of a docker-compose.yml service drdrill reads.
type composeService struct {
	Image       string    `yaml:"image"`
	Build       yaml.Node `yaml:"build"`
	Command     yaml.Node `yaml:"command"`
	Environment yaml.Node `yaml:"environment"`
	Ports       []string  `yaml:"ports"`
	Expose      []string  `yaml:"expose"`
	Healthcheck struct {
		Test yaml.Node `yaml:"test"`
	} `yaml:"healthcheck"`
}

// composeServices reads the services of the stack's compose file into s.Services, so that a
// drill starts them as it starts a services list (labels, loopback ports, cleanup alike): the
// database service in DBImage; every other service with its image (or build context), command,
// environment, the container port it publishes or exposes, and the HTTP URL of its healthcheck
// as its wait. Problems are reported at the stack file's compose key, naming the compose file,
// the service and what to add there.
func (c *checker) composeServices(s *Stack) {
	at := c.at("compose")
	b, err := c.read(s.Compose)
	if err != nil {
		return // reported by compose
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		c.add(at, fmt.Sprintf("compose file %s: %v", s.Compose, err), "a docker-compose.yml whose services have image, command, environment, ports and healthcheck in the compose format")
		return
	}
	out := map[string]Service{}
	for _, name := range slices.Sorted(mapsKeys(f.Services)) {
		cs := f.Services[name]
		where := fmt.Sprintf("compose file %s, service %s", s.Compose, name)
		if name == s.Database.Service {
			out[name] = Service{Image: DBImage, Postgres: true}
			continue
		}
		sv := Service{Image: cs.Image}
		if cs.Image == "" {
			sv.Build = buildContext(cs.Build)
		}
		var err error
		if sv.Command, err = composeCommand(cs.Command); err != nil {
			c.add(at, where+": command: "+err.Error(), "command: [/app, --flag] or command: /app --flag")
			continue
		}
		if sv.Env, err = composeEnv(cs.Environment); err != nil {
			c.add(at, where+": environment: "+err.Error(), "environment: {KEY: value} or environment: [KEY=value]")
			continue
		}
		sv.Port = composePort(cs.Ports, cs.Expose)
		health, port, ok := healthURL(cs.Healthcheck.Test)
		if !ok {
			c.add(at, where+": no healthcheck with an HTTP URL: drdrill waits on it before traffic, and after a restore",
				`healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:8080/healthz"]} on that service`)
			continue
		}
		sv.Wait = Wait{HTTP: health} // any 2xx, as curl -f and wget take it
		if sv.Port == 0 {
			sv.Port = port
		}
		if sv.Port == 0 {
			c.add(at, where+": no port: drdrill sends traffic to the port the service publishes, exposes or checks", `ports: ["8080:8080"] or expose: ["8080"] on that service`)
			continue
		}
		out[name] = sv
	}
	s.Services = out
}

func buildContext(n yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "context" {
				return n.Content[i+1].Value
			}
		}
	}
	return ""
}

// composeCommand reads a command as a list, or as one string split on spaces (compose splits
// it the same way, without a shell).
func composeCommand(n yaml.Node) ([]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		return strings.Fields(n.Value), nil
	case yaml.SequenceNode:
		var out []string
		if err := n.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: neither a string nor a list", n.Line)
}

// composeEnv reads environment as a mapping or a list of KEY=value (KEY alone: empty).
func composeEnv(n yaml.Node) (map[string]string, error) {
	out := map[string]string{}
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = n.Content[i+1].Value
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			k, v, _ := strings.Cut(e.Value, "=")
			out[k] = v
		}
	default:
		return nil, fmt.Errorf("line %d: neither a mapping nor a list", n.Line)
	}
	return out, nil
}

// composePort is the container side of the first published port ("8080:80" → 80,
// "127.0.0.1:8080:80/tcp" → 80, "80" → 80), else the first exposed one; 0 when none.
func composePort(ports, expose []string) int {
	for _, p := range append(slices.Clone(ports), expose...) {
		p, _, _ = strings.Cut(p, "/")
		if i := strings.LastIndexByte(p, ':'); i >= 0 {
			p = p[i+1:]
		}
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			return n
		}
	}
	return 0
}

// healthURL finds the http:// URL in a healthcheck test (["CMD", "curl", "-f", URL],
// ["CMD-SHELL", "wget -qO- URL || exit 1"], …) and returns its path and port.
func healthURL(n yaml.Node) (path string, port int, ok bool) {
	var words []string
	switch n.Kind {
	case yaml.ScalarNode:
		words = strings.Fields(n.Value)
	case yaml.SequenceNode:
		for _, e := range n.Content {
			words = append(words, strings.Fields(e.Value)...)
		}
	}
	for _, w := range words {
		w = strings.Trim(w, `"'`)
		if !strings.HasPrefix(w, "http://") {
			continue
		}
		u, err := url.Parse(w)
		if err != nil {
			continue
		}
		port, _ = strconv.Atoi(u.Port())
		if port == 0 {
			port = 80
		}
		return "/" + strings.TrimPrefix(u.RequestURI(), "/"), port, true
	}
	return "", 0, false
}
