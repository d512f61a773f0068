package measure

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ParseDuration reads a duration as written in a feature: Go's time.ParseDuration syntax
// ("10m", "1h30m", "500ms", "2.5s") plus "d" for days of 24 h ("2d", "1d12h"). A duration
// is never negative, and a number needs its unit: "5" is refused (seconds? minutes?), except
// "0", which means the same in every unit. Errors quote the value and say what to write.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	switch {
	case in == "":
		return 0, fmt.Errorf("duration %q: empty; write e.g. 30s, 10m, 1h30m or 2d", s)
	case in == "0":
		return 0, nil
	case in[0] == '-':
		return 0, fmt.Errorf("duration %q: negative; a duration is at least 0", s)
	case in[0] == '+':
		in = in[1:]
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		num := rest[:i]
		if num == "" || num == "." {
			return 0, fmt.Errorf("duration %q: expected a number at %q; write e.g. 30s, 10m, 1h30m or 2d", s, rest)
		}
		j := i
		for j < len(rest) && rest[j] != '.' && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit := rest[i:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("duration %q: %s has no unit; write e.g. %ss or %sm (units: ns, us, ms, s, m, h, d)", s, num, num, num)
		}
		var d time.Duration
		switch unit {
		case "d":
			h, err := time.ParseDuration(num + "h")
			if err != nil {
				return 0, fmt.Errorf("duration %q: %s%s is out of range", s, num, unit)
			}
			if h > math.MaxInt64/24 {
				return 0, fmt.Errorf("duration %q: %s%s is out of range (at most about 106751d)", s, num, unit)
			}
			d = h * 24
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			var err error
			d, err = time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %s%s is not a valid duration (%v)", s, num, unit, err)
			}
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (units: ns, us, ms, s, m, h, d)", s, unit)
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("duration %q: out of range (at most about 106751d)", s)
		}
		total += d
	}
	return total, nil
}
