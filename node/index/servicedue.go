package index

import (
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// Verdicts as of the clock. The stored results (q r) are evaluated at the
// ledger time of the last transaction that changed their evidence, so two
// nodes hold the same ones; a service_within verdict also changes when a
// ticket's time to answer runs out with no transaction at all
// (claims.Due). ClaimResultsAsOf follows the stored verdicts through
// those instants up to the caller's clock, reading only the product's
// service events, so that a page shows an overdue ticket failed at its
// deadline. Each result so advanced is evaluated at the instant it
// changed, not at the clock: the same on every node and re-evaluable from
// a receipt.

// ClaimResultsAsOf returns ClaimResults followed through the instants up
// to now at which a verdict changes without a transaction, and the next
// such instant after now (zero: none), until which the results stand.
func (x *Index) ClaimResultsAsOf(gtin, lot string, now time.Time) ([]claims.Result, time.Time, error) {
	l, err := x.Lot(gtin, lot)
	if err != nil {
		return nil, time.Time{}, err
	}
	return x.ClaimResultsOfLot(l, now)
}

// ClaimResultsOfLot is ClaimResultsAsOf for lot l as a query (Lot, Trace)
// returned it: a page, which has read the lot for its trace, does not read
// it again (a block-cache miss at most, an iterator and a decoding at
// least), and reads nothing for a product without claims.
func (x *Index) ClaimResultsOfLot(l ledger.LotSummary, now time.Time) ([]claims.Result, time.Time, error) {
	gtin := l.GTIN
	rs, err := x.claimResultsOf(l)
	if err != nil || len(rs) == 0 {
		return rs, time.Time{}, err
	}
	var cs []ledger.Claim
	for _, r := range rs {
		if r.Kind != ledger.ClaimService {
			continue
		}
		c, err := x.Claim(r.Claim)
		if err != nil {
			return nil, time.Time{}, err
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return rs, time.Time{}, nil
	}
	var until time.Time
	for i, r := range rs {
		if r.Kind != ledger.ClaimService {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, r.EvaluatedAt)
		if err != nil || now.Before(at) {
			continue
		}
		var c ledger.Claim
		for _, cc := range cs {
			if cc.ID == r.Claim {
				c = cc
			}
		}
		// A service verdict rests on the product's service events alone.
		tr := claims.Trace{Lot: l, At: at}
		if tr.Service, err = serviceEvents(x.db, gtin, now, now.Sub(at)+serviceWindow([]ledger.Claim{c})); err != nil {
			return nil, time.Time{}, err
		}
		if d := claims.Due(tr, c); d.IsZero() || d.After(now) {
			until = earliest(until, d)
			continue // the stored verdict stands
		}
		res, next := claims.EvaluateAsOf(tr, c, now)
		rs[i], until = res, earliest(until, next)
	}
	return rs, until, nil
}

// earliest is the earlier of two instants, zero meaning never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
