package claims

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// service_within (ledger.ClaimService): every ticket filed in the window
// answered in time (see the package comment).

// ticket is one filed ticket with its first answer.
type ticket struct {
	id             string
	filed          time.Time
	filedEvent     string
	answered       time.Time // zero while unanswered
	answerEvent    string
	topic, outcome string
}

// serviceEvent is a decoded service event of the trace's product.
type serviceEvent struct {
	id  string
	at  time.Time
	ext ledger.ServiceExt
}

// serviceEvents decodes the trace's service events about its product, by
// ledger time then id, each once.
func serviceEvents(tr Trace) []serviceEvent {
	product := ""
	if l, err := digitallink.ForProduct(tr.Lot.GTIN); err == nil {
		product = l.String()
	}
	seen := map[string]bool{}
	var out []serviceEvent
	for _, raw := range tr.Service {
		var ev epcis.Event
		if json.Unmarshal(raw, &ev) != nil || ev.EventID == "" || seen[ev.EventID] {
			continue
		}
		var x ledger.ServiceExt
		if json.Unmarshal(ev.Extensions[ledger.ServiceMember], &x) != nil {
			continue
		}
		// Only the product's own: a receipt cannot slip in another
		// product's record of service.
		if len(ev.QuantityList) != 1 || digitallink.Canonical(ev.QuantityList[0].EPCClass) != product {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ev.EventTime)
		if err != nil || at.After(tr.At) {
			continue
		}
		seen[ev.EventID] = true
		out = append(out, serviceEvent{id: ev.EventID, at: at.UTC(), ext: x})
	}
	slices.SortFunc(out, func(a, b serviceEvent) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return out
}

// tickets are the tickets filed in the window up to tr.At (of p's
// topics), in filing order, each with its first answer by tr.At.
func tickets(tr Trace, p ledger.ServiceParams) []*ticket {
	from := tr.At.Add(-time.Duration(p.WindowDays) * 24 * time.Hour)
	byID := map[string]*ticket{}
	var out []*ticket
	for _, ev := range serviceEvents(tr) {
		switch ev.ext.Step {
		case ledger.ServiceFiled:
			if byID[ev.ext.Ticket] != nil || ev.at.Before(from) {
				continue
			}
			if len(p.Topics) > 0 && !slices.Contains(p.Topics, ev.ext.Topic) {
				continue
			}
			t := &ticket{id: ev.ext.Ticket, filed: ev.at, filedEvent: ev.id, topic: ev.ext.Topic}
			byID[t.id] = t
			out = append(out, t)
		case ledger.ServiceAnswered:
			if t := byID[ev.ext.Ticket]; t != nil && t.answered.IsZero() {
				t.answered, t.answerEvent, t.outcome = ev.at, ev.id, ev.ext.Outcome
			}
		}
	}
	return out
}

func service(tr Trace, p ledger.ServiceParams) verdict {
	limit := time.Duration(p.AnswerMinutes) * time.Minute
	tickets := tickets(tr, p)
	if len(tickets) == 0 {
		return verdict{status: Pending, why: why("no_tickets", argCount(p.WindowDays))}
	}
	var kept, open, broken []*ticket
	var longest time.Duration
	for _, t := range tickets {
		switch {
		case !t.answered.IsZero() && t.answered.Sub(t.filed) <= limit:
			kept = append(kept, t)
			longest = max(longest, t.answered.Sub(t.filed))
		case !t.answered.IsZero() || tr.At.Sub(t.filed) > limit:
			broken = append(broken, t)
		default:
			open = append(open, t)
		}
	}
	ids := func(ts []*ticket) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.filedEvent)
			if t.answerEvent != "" {
				out = append(out, t.answerEvent)
			}
		}
		return out
	}
	// withOpen adds the open tickets to a reason.
	withOpen := func(w Why) Why {
		if len(open) > 0 {
			w = w.also(why("tickets_open", argCount(len(open)), argTime(open[0].filed.Add(limit))))
		}
		return w
	}
	if len(broken) > 0 {
		b := broken[0]
		var reason Why
		if b.answered.IsZero() {
			reason = why("ticket_unanswered", argText(b.id), argTime(b.filed), argTook(tr.At.Sub(b.filed)), argDur(limit))
		} else {
			reason = why("ticket_late", argText(b.id), argTime(b.filed), argTook(b.answered.Sub(b.filed)), argDur(limit))
		}
		reason = reason.also(why("tickets_in_time", argCount(len(tickets)), argCount(len(kept)), argCount(p.WindowDays)))
		return verdict{Fails, reason, ids(broken)}
	}
	if len(kept) == 0 {
		return verdict{Pending, withOpen(why("tickets_unanswered", argCount(len(open)), argCount(p.WindowDays))), ids(open)}
	}
	return verdict{Holds, withOpen(why("service_kept", argCount(len(kept)), argCount(p.WindowDays), argDur(limit), argTook(longest))), ids(kept)}
}

// took formats how long an answer took: dur, or under a minute.
func took(d time.Duration) string {
	if d < time.Minute {
		return "under 1 min"
	}
	return dur(d)
}
