package claims

import (
	"time"

	"github.com/trustline/trustline/ledger"
)

// farm_to_shelf_within (ledger.ClaimFarmToShelf): at most Hours from the
// origin's harvest to the first receipt at a retail place.
func (e *evaluation) farmToShelf(p ledger.FarmToShelfParams) verdict {
	limit := time.Duration(p.Hours) * time.Hour
	h, origin, ok := e.harvest()
	if !ok {
		return verdict{status: Pending, why: why("no_harvest")}
	}
	ev := []string{e.originEvent(origin.ID)}
	rc := e.retailReceipt(p.RetailPlaces)
	if rc == nil {
		elapsed := e.tr.At.Sub(h)
		if elapsed > limit {
			return verdict{Fails, why("not_at_retail_late", argDur(elapsed), argTime(h), argCount(p.Hours)), ev}
		}
		return verdict{Pending, why("not_at_retail_yet", argTime(h), argDur(limit-elapsed), argCount(p.Hours)), ev}
	}
	ev = append(ev, rc.EventID)
	d := rc.at.Sub(h)
	if d > limit {
		return verdict{Fails, why("at_retail_late", argTime(rc.at), argDur(d), argTime(h), argCount(p.Hours)), ev}
	}
	return verdict{Holds, why("at_retail_in_time", argTime(rc.at), argDur(d), argTime(h), argCount(p.Hours)), ev}
}
