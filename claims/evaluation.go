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

// The evaluation of one trace: its events decoded once, deduplicated and
// in ledger order, its origins, and the queries every claim kind shares.

// event is a stored EPCIS event with what the evaluation derives from it.
type event struct {
	*epcis.Event
	at   time.Time
	own  bool
	ids  []string // the canonical identifiers the event names
	read []reading
}

type reading struct {
	at     time.Time
	device string
	c      float64
	event  string
}

type evaluation struct {
	tr      Trace
	events  []*event // own and upstream, deduplicated, in ledger order
	origins []ledger.LotSummary
}

func newEvaluation(tr Trace) *evaluation {
	e := &evaluation{tr: tr}
	seen := map[string]*event{}
	add := func(raws []json.RawMessage, decoded []*epcis.Event, own bool) {
		for i, raw := range raws {
			var ev event
			if i < len(decoded) && decoded[i] != nil {
				ev.Event = decoded[i]
			} else if ev.Event = new(epcis.Event); json.Unmarshal(raw, ev.Event) != nil {
				continue
			}
			if ev.EventID == "" {
				continue
			}
			if prev, ok := seen[ev.EventID]; ok {
				prev.own = prev.own || own
				continue
			}
			ev.at, _ = time.Parse(time.RFC3339Nano, ev.EventTime)
			ev.own = own
			ev.ids = ev.IdentifierIDs()
			for _, s := range ev.SensorElementList {
				if s.SensorMetadata == nil {
					continue
				}
				t, err := time.Parse(time.RFC3339Nano, s.SensorMetadata.Time)
				if err != nil {
					continue
				}
				for _, r := range s.SensorReport {
					if r.Type == "Temperature" || strings.HasSuffix(r.Type, "Temperature") {
						ev.read = append(ev.read, reading{at: t.UTC(), device: s.SensorMetadata.DeviceID, c: value(r.Value), event: ev.EventID})
					}
				}
			}
			p := &ev
			seen[ev.EventID] = p
			e.events = append(e.events, p)
		}
	}
	add(tr.Events, tr.EventsDecoded, true)
	add(tr.UpstreamEvents, tr.UpstreamDecoded, false)
	slices.SortFunc(e.events, func(a, b *event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	if tr.Lot.Origin != nil {
		e.origins = []ledger.LotSummary{tr.Lot}
	} else {
		for _, l := range tr.Upstream {
			if l.Origin != nil {
				e.origins = append(e.origins, l)
			}
		}
		slices.SortFunc(e.origins, func(a, b ledger.LotSummary) int { return strings.Compare(a.ID, b.ID) })
	}
	return e
}

// originEvent returns the id of the event that created lot (its
// commissioning with ILMD), or "".
func (e *evaluation) originEvent(lot string) string {
	for _, ev := range e.events {
		if len(ev.ILMD) > 0 && ev.BizStep == "commissioning" && slices.Contains(ev.ids, lot) {
			return ev.EventID
		}
	}
	return ""
}

// retailReceipt returns the lot's first receiving event at a retail place.
func (e *evaluation) retailReceipt(places []string) *event {
	owner := ""
	if e.tr.Product != nil {
		owner = e.tr.Product.Owner
	}
	want := map[string]bool{}
	for _, p := range places {
		want[placeKey(p)] = true
	}
	for _, ev := range e.events {
		if !ev.own || ev.BizStep != "receiving" {
			continue
		}
		loc := ""
		if ev.BizLocation != nil {
			loc = placeKey(ev.BizLocation.ID)
		}
		if (owner != "" && ev.To == owner) || (loc != "" && want[loc]) {
			return ev
		}
	}
	return nil
}

// harvest returns the earliest production time of the origins, the lot
// it belongs to and whether there is one.
func (e *evaluation) harvest() (time.Time, ledger.LotSummary, bool) {
	var best time.Time
	var lot ledger.LotSummary
	for _, o := range e.origins {
		t, err := time.Parse(time.RFC3339Nano, o.ProducedAt)
		if err != nil {
			continue
		}
		if best.IsZero() || t.Before(best) {
			best, lot = t.UTC(), o
		}
	}
	return best, lot, !best.IsZero()
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// lotIDs are the lot and its upstream lots, canonical.
func (e *evaluation) lotIDs() []string {
	out := []string{digitallink.Canonical(e.tr.Lot.ID)}
	for _, l := range e.tr.Upstream {
		out = append(out, digitallink.Canonical(l.ID))
	}
	return out
}

// signer returns the signer of an address and why it does not count
// (zero when it does).
func (e *evaluation) signer(address string) (ledger.LabSigner, Why) {
	for _, s := range e.tr.Signers {
		if strings.EqualFold(s.Address, address) {
			if s.Revoked {
				return s, why("signer_revoked", argText(s.Address), argText(s.Name), argTimeString(s.RevokedAt))
			}
			return s, Why{}
		}
	}
	return ledger.LabSigner{}, why("signer_unregistered", argText(address))
}

// reports returns the inspection records on any of lots, by report id.
func (e *evaluation) reports(lots []string) []ledger.InspectionRecord {
	var out []ledger.InspectionRecord
	for _, r := range e.tr.Inspections {
		for _, l := range r.Report.Lots {
			if slices.Contains(lots, digitallink.Canonical(l)) {
				out = append(out, r)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b ledger.InspectionRecord) int { return strings.Compare(a.Report.ReportID, b.Report.ReportID) })
	return out
}

// value is a sensor report's value; a report without one reads 0.
func value(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}
