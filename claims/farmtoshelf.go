package claims

import (
	"fmt"
	"time"

	"github.com/trustline/trustline/ledger"
)

// farm_to_shelf_within (ledger.ClaimFarmToShelf): at most Hours from the
// origin's harvest to the first receipt at a retail place.
func (e *evaluation) farmToShelf(p ledger.FarmToShelfParams) verdict {
	limit := time.Duration(p.Hours) * time.Hour
	h, origin, ok := e.harvest()
	if !ok {
		return verdict{status: Pending, reason: "no origin with a harvest time is recorded yet"}
	}
	ev := []string{e.originEvent(origin.ID)}
	rc := e.retailReceipt(p.RetailPlaces)
	if rc == nil {
		elapsed := e.tr.At.Sub(h)
		if elapsed > limit {
			return verdict{Fails, fmt.Sprintf("not received at a retail place %s after harvest on %s (limit %d h)", dur(elapsed), stamp(h), p.Hours), ev}
		}
		return verdict{Pending, fmt.Sprintf("harvested %s; not yet received at a retail place (%s of %d h left)", stamp(h), dur(limit-elapsed), p.Hours), ev}
	}
	ev = append(ev, rc.EventID)
	d := rc.at.Sub(h)
	if d > limit {
		return verdict{Fails, fmt.Sprintf("received at a retail place on %s, %s after harvest on %s, over the %d h limit", stamp(rc.at), dur(d), stamp(h), p.Hours), ev}
	}
	return verdict{Holds, fmt.Sprintf("received at a retail place on %s, %s after harvest on %s (limit %d h)", stamp(rc.at), dur(d), stamp(h), p.Hours), ev}
}
