package measure

import (
	"cmp"
	"slices"
	"time"
)

// Record is one live record as observed in the database: what the customer can read.
type Record struct {
	Tenant int64
	Site   int64
	Key    string
	Value  string
}

type siteKey struct {
	site int64
	key  string
}

// WriteLoss is what one tenant lost, counted write by write from the ledger.
type WriteLoss struct {
	Tenant int64
	// Acked counts the tenant's acknowledged writes in the ledger.
	Acked int
	// Lost counts writes acknowledged before T0 whose effect is gone: the key is absent, or it
	// holds the value of an earlier write (rolled back).
	Lost int
	// Changed counts keys present with a value no write of that key produced: the last
	// acknowledged write is present "with another value".
	Changed int
	// Collateral counts writes acknowledged at or after T0 and lost, with their own window.
	Collateral      int
	CollateralFirst time.Time
	CollateralLast  time.Time
	// RPO is T0 − the ack time of the earliest lost write acknowledged before T0; 0 if none.
	RPO time.Duration
	// Unledgered counts live keys found with no write of the ledger: a harness crash within
	// the ledger's flush window, or writes from elsewhere. Not a loss; reported as a finding.
	Unledgered int
}

// Any reports whether the tenant lost or changed anything.
func (l WriteLoss) Any() bool { return l.Lost+l.Changed+l.Collateral > 0 }

// CollateralWindow is the time between the first and last collateral-lost acks.
func (l WriteLoss) CollateralWindow() time.Duration {
	if l.Collateral == 0 {
		return 0
	}
	return l.CollateralLast.Sub(l.CollateralFirst)
}

// CheckWrites compares the ledger with the live records observed after recovery and counts,
// per tenant, the writes lost, changed and collaterally lost, and the RPO.
//
// For each (site, key) the writes are ordered by Seq. The observed value decides:
//   - key absent: every acknowledged write of the key is lost;
//   - value of write i (acknowledged or unknown outcome): every acknowledged write after i is
//     lost (rolled back), none before it;
//   - value of no write of the key: one changed write (the last acknowledged one).
//
// Lost writes acknowledged before t0 count as Lost and set the RPO; those acknowledged at or
// after t0 count as Collateral. Records of a tenant that is deleted and not restored must not
// be in observed (LiveRecords leaves out soft-deleted sites and tenants): its writes are lost.
//
// Every tenant with a ledgered write or an observed record gets an entry. Cost is linear in
// len(writes) + len(observed).
func CheckWrites(writes []Write, observed []Record, t0 time.Time) map[int64]WriteLoss {
	// One hash map from (site, key) to a dense group number serves both the ledger and the
	// observation; groups are then visited in order, so memory is read sequentially. Writes are
	// grouped by a counting sort that keeps the ledger's order inside a group.
	group := make(map[siteKey]int32, len(writes)/2+len(observed)/4+1)
	gid := make([]int32, len(writes))
	var counts []int32
	for i := range writes {
		k := siteKey{writes[i].Site, writes[i].Key}
		g, ok := group[k]
		if !ok {
			g = int32(len(counts))
			group[k] = g
			counts = append(counts, 0)
		}
		gid[i] = g
		counts[g]++
	}
	start := make([]int32, len(counts)+1)
	for g, c := range counts {
		start[g+1] = start[g] + c
	}
	order := make([]int32, len(writes))
	fill := slices.Clone(start[:len(counts)])
	for i, g := range gid {
		order[fill[g]] = int32(i)
		fill[g]++
	}
	gid, fill = nil, nil

	// obs[g] is the index+1 of the observed record of group g (0: absent).
	obs := make([]int32, len(counts))
	out := make(map[int64]WriteLoss)
	for i := range observed {
		r := &observed[i]
		if g, ok := group[siteKey{r.Site, r.Key}]; ok {
			obs[g] = int32(i + 1)
			continue
		}
		loss := out[r.Tenant]
		loss.Tenant = r.Tenant
		loss.Unledgered++
		out[r.Tenant] = loss
	}
	group = nil

	earliest := make(map[int64]time.Time)
	bySeq := func(a, b int32) int { return cmp.Compare(writes[a].Seq, writes[b].Seq) }
	for g := range counts {
		ws := order[start[g]:start[g+1]]
		if !slices.IsSortedFunc(ws, bySeq) {
			slices.SortStableFunc(ws, bySeq)
		}
		tenant := writes[ws[0]].Tenant
		loss := out[tenant]
		loss.Tenant = tenant
		for _, i := range ws {
			if writes[i].Outcome == Acked {
				loss.Acked++
			}
		}
		survivor := -1 // index in ws of the write whose value is observed
		if o := obs[g]; o > 0 {
			v := observed[o-1].Value
			for j := len(ws) - 1; j >= 0; j-- {
				if writes[ws[j]].Value == v {
					survivor = j
					break
				}
			}
			if survivor < 0 {
				if hasAcked(writes, ws) {
					loss.Changed++
				}
				out[tenant] = loss
				continue
			}
		}
		for _, i := range ws[survivor+1:] {
			w := &writes[i]
			if w.Outcome != Acked {
				continue
			}
			if w.At.Before(t0) {
				loss.Lost++
				if e, ok := earliest[tenant]; !ok || w.At.Before(e) {
					earliest[tenant] = w.At
				}
				continue
			}
			if loss.Collateral == 0 || w.At.Before(loss.CollateralFirst) {
				loss.CollateralFirst = w.At
			}
			if loss.Collateral == 0 || w.At.After(loss.CollateralLast) {
				loss.CollateralLast = w.At
			}
			loss.Collateral++
		}
		out[tenant] = loss
	}
	for t, e := range earliest {
		loss := out[t]
		loss.RPO = t0.Sub(e)
		out[t] = loss
	}
	return out
}

func hasAcked(writes []Write, ws []int32) bool {
	for _, i := range ws {
		if writes[i].Outcome == Acked {
			return true
		}
	}
	return false
}
