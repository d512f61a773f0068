package measure

// Settled is the condition a drill waits on after its runbook: the verifier has verified
// every affected tenant, the prober sees none of their sites down, and one more sweep of
// every affected tenant has been sampled since, so that "stays restored" has a sample after
// the last rise. It reads the verifier's and the prober's published state only (Verified,
// Down), and asks the verifier for that last sweep (SweepNow).
type Settled struct {
	v        *Verifier
	p        *Prober
	affected map[int64]bool
	sweeps   int // the verifier's sweep count when all were first verified; -1 before
}

// NewSettled watches the affected tenants through v and p.
func NewSettled(v *Verifier, p *Prober, affected []int64) *Settled {
	return &Settled{v: v, p: p, affected: set(affected), sweeps: -1}
}

// Done says whether the recovery has settled; poll it with a deadline.
func (s *Settled) Done() bool {
	verified, n := s.count()
	if verified < len(s.affected) {
		return false
	}
	for _, site := range s.p.Down() {
		if s.affected[site.Tenant] {
			return false
		}
	}
	if s.sweeps < 0 {
		s.sweeps = n
		s.v.SweepNow()
	}
	return n > s.sweeps
}

// Verified is how many affected tenants the verifier's last samples say are restored.
func (s *Settled) Verified() int {
	n, _ := s.count()
	return n
}

// count is how many affected tenants the verifier's last samples say are restored, and how
// many sweeps it has done.
func (s *Settled) count() (verified, sweeps int) {
	ok, sweeps := s.v.Verified()
	for _, t := range ok {
		if s.affected[t] {
			verified++
		}
	}
	return verified, sweeps
}
