package api

import (
	"sync"
	"time"

	"github.com/trustline/trustline/claims"
)

// Claim reasons in the consumer's language. The index stores each claim's
// result with its reason in English (claims.Result, part of the index's
// digest and of receipts); the reason as data (claims.Why) is not stored,
// so explain gets it by evaluating the claim again at the result's own
// ledger time, from the same index: the evaluation is deterministic, and a
// re-evaluation whose reason differs from the stored one (the lot moved
// on meanwhile) is dropped, leaving the English text. Reasons are kept by
// their result in a small cache: a page or badge renders them once.

// whyCache maps a stored result to its Why; the zero value is ready.
type whyCache struct {
	mu sync.Mutex
	m  map[string]claims.Why
}

// whyCacheSize bounds the cache: it is emptied when full (results are
// cheap to explain again; a cache hit just saves reading the trace).
const whyCacheSize = 4096

func whyKey(r claims.Result) string {
	return r.Lot + "\x00" + r.Claim + "\x00" + r.EvaluatedAt + "\x00" + string(r.Status) + "\x00" + r.Reason
}

func (c *whyCache) get(r claims.Result) (claims.Why, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[whyKey(r)]
	return w, ok
}

func (c *whyCache) put(r claims.Result, w claims.Why) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= whyCacheSize {
		c.m = map[string]claims.Why{}
	}
	c.m[whyKey(r)] = w
}

// explain sets the Why of results rs of lot gtin/lot read from the index.
// A result it cannot explain keeps a zero Why (shown in English).
func (s *Server) explain(gtin, lot string, rs []claims.Result) []claims.Result {
	out := make([]claims.Result, len(rs))
	traces := map[string]claims.Trace{} // by evaluation time
	for i, r := range rs {
		out[i] = r
		if w, ok := s.whys.get(r); ok {
			out[i].Why = w
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, r.EvaluatedAt)
		if err != nil {
			continue
		}
		tr, ok := traces[r.EvaluatedAt]
		if !ok {
			if tr, err = s.idx.ClaimTrace(gtin, lot, at); err != nil {
				s.log.Warn("explaining a claim", "lot", r.Lot, "claim", r.Claim, "err", err)
				continue
			}
			traces[r.EvaluatedAt] = tr
		}
		c, err := s.idx.Claim(r.Claim)
		if err != nil {
			s.log.Warn("explaining a claim", "lot", r.Lot, "claim", r.Claim, "err", err)
			continue
		}
		got := claims.Evaluate(tr, c)
		if got.Status != r.Status || got.Reason != r.Reason {
			continue // the index moved on: the next view explains the new result
		}
		s.whys.put(r, got.Why)
		out[i].Why = got.Why
	}
	return out
}
