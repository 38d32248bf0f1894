// Package claims evaluates a brand's claims (ledger.Claim) against the
// evidence recorded for a lot: it is pure and deterministic, so that a
// node, the CLI and an offline verifier reach the same verdict from the
// same trace. There is no clock: "now" is Trace.At, a ledger time.
//
// # Statuses
//
// A claim holds, fails, or is pending (not yet decidable: the evidence
// that would decide it has not been recorded, e.g. the lot has not reached
// a shop). Every result names the events it rests on and says why, in
// plain words with times in UTC.
//
// # Definitions
//
//   - Origin: the lot itself when it was created as a batch (it has an
//     Origin), else every upstream lot that has one.
//   - Retail place: a receipt of the lot (a receiving event of the lot
//     itself) by the product's owner, or at a place listed in the claim's
//     RetailPlaces.
//   - Shipment leg: from a shipping event to the receiving event of the
//     same shipment; the readings of a leg are those recorded by the two
//     events and by sensor reports on the same lots in between.
//   - Gaps in a leg (cold_chain's MaxGapMinutes): from shipping to the
//     leg's first reading, between consecutive readings, and, once the
//     leg is received, from its last reading to receiving. Readings carry
//     the logger's times, shipping and receiving the ledger's transaction
//     times, and the two do not line up: a logger is often started before
//     the ship transaction, and read out into the receiving one. So a
//     reading before shipping covers the start (its gap is zero, never
//     negative) and one after receiving covers the end; if every reading
//     precedes shipping (the leg was recorded after the trip), the end gap
//     runs from shipping to receiving. Gaps between readings are the
//     logger's own, measured whether or not they fall before shipping: the
//     ledger times say nothing about them. An open leg has no end gap yet,
//     and a gap in it leaves the claim pending rather than failed: its
//     logger may still be read out on receipt. A reading out of range
//     fails the claim at once.
//   - certified is evaluated over lab-style signed reports: a report whose
//     standard names the scheme, on the origin lot, signed by a registered
//     and unrevoked signer, with a pass verdict and issued at most
//     ValidDays before Trace.At.
package claims

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// Status is a claim's verdict.
type Status string

// Statuses.
const (
	Holds   Status = "holds"
	Fails   Status = "fails"
	Pending Status = "pending"
)

// Trace is the evidence about one lot that claims are evaluated on.
type Trace struct {
	Lot     ledger.LotSummary
	Product *ledger.Product
	// Upstream are the lots the lot was made from, transitively.
	Upstream []ledger.LotSummary
	// Events are the lot's own EPCIS events; UpstreamEvents those of the
	// upstream lots. Order does not matter; duplicates are ignored.
	Events         []json.RawMessage
	UpstreamEvents []json.RawMessage
	// Inspections are the reports on the lot or on upstream lots.
	Inspections []ledger.InspectionRecord
	// Signers are the lab signers, registered or revoked, that signed them.
	Signers []ledger.LabSigner
	// At is the ledger time of the evaluation: the time of the latest
	// transaction the trace includes.
	At time.Time
}

// Result is a claim's verdict on one lot.
type Result struct {
	Claim   string           `json:"claim"`
	Kind    ledger.ClaimKind `json:"kind"`
	Wording string           `json:"wording"`
	Lot     string           `json:"lot"`
	Status  Status           `json:"status"`
	Reason  string           `json:"reason"`
	// Evidence are the ids of the EPCIS events the verdict rests on.
	Evidence    []string `json:"evidence"`
	EvaluatedAt string   `json:"evaluatedAt"`
}

// Applies reports whether claim c, not superseded, is about lot l: a
// claim on l's product or on l itself.
func Applies(c ledger.Claim, l ledger.LotSummary) bool {
	if !c.Active() {
		return false
	}
	if c.Lot == "" {
		return c.GTIN == l.GTIN
	}
	return c.GTIN == l.GTIN && c.Lot == l.Lot
}

// Evaluate evaluates claim c on the lot of tr.
func Evaluate(tr Trace, c ledger.Claim) Result {
	r := Result{Claim: c.ID, Kind: c.Kind, Wording: c.Wording, Lot: tr.Lot.ID, Evidence: []string{}, EvaluatedAt: ledger.FormatTime(tr.At)}
	e := newEvaluation(tr)
	var v verdict
	switch {
	case c.Kind == ledger.ClaimFarmToShelf && c.Params.FarmToShelf != nil:
		v = e.farmToShelf(*c.Params.FarmToShelf)
	case c.Kind == ledger.ClaimColdChain && c.Params.ColdChain != nil:
		v = e.coldChain(*c.Params.ColdChain)
	case c.Kind == ledger.ClaimLabTested && c.Params.LabTested != nil:
		v = e.labTested(*c.Params.LabTested)
	case c.Kind == ledger.ClaimOriginIn && c.Params.OriginIn != nil:
		v = e.originIn(*c.Params.OriginIn)
	case c.Kind == ledger.ClaimCertified && c.Params.Certified != nil:
		v = e.certified(*c.Params.Certified)
	default:
		v = verdict{status: Pending, reason: fmt.Sprintf("this node cannot evaluate claims of kind %q with these parameters", c.Kind)}
	}
	r.Status, r.Reason = v.status, v.reason
	seen := map[string]bool{}
	for _, id := range v.evidence {
		if id != "" && !seen[id] {
			seen[id] = true
			r.Evidence = append(r.Evidence, id)
		}
	}
	return r
}

// Overall is the status a badge for the whole lot shows: fails when the
// lot is recalled (itself or through an upstream lot) or any claim fails,
// pending when any is pending, holds when all hold.
func Overall(l ledger.LotSummary, rs []Result) (Status, string) {
	if l.Recall != nil {
		return Fails, "Recalled: " + l.Recall.Reason
	}
	if l.Status == ledger.StatusRecalled || len(l.RecalledVia) > 0 {
		return Fails, "Recalled through an ingredient lot"
	}
	st, reason := Holds, fmt.Sprintf("%d claims hold", len(rs))
	if len(rs) == 1 {
		reason = rs[0].Reason
	}
	if len(rs) == 0 {
		return Pending, "no claims"
	}
	for _, r := range rs {
		switch {
		case r.Status == Fails:
			return Fails, r.Wording + ": " + r.Reason
		case r.Status == Pending && st == Holds:
			st, reason = Pending, r.Wording+": "+r.Reason
		}
	}
	return st, reason
}

type verdict struct {
	status   Status
	reason   string
	evidence []string
}

// event is the part of an EPCIS event as the chaincode records it that
// claims look at.
type event struct {
	ID          string `json:"eventID"`
	Time        string `json:"eventTime"`
	BizStep     string `json:"bizStep"`
	BizLocation *struct {
		ID string `json:"id"`
	} `json:"bizLocation"`
	ParentID          string   `json:"parentID"`
	EPCList           []string `json:"epcList"`
	QuantityList      []qty    `json:"quantityList"`
	ChildQuantityList []qty    `json:"childQuantityList"`
	InputQuantityList []qty    `json:"inputQuantityList"`
	OutputQuantities  []qty    `json:"outputQuantityList"`
	To                string   `json:"tl:to"`
	Shipment          string   `json:"tl:shipment"`
	Sensors           []struct {
		Meta struct {
			Time     string `json:"time"`
			DeviceID string `json:"deviceID"`
		} `json:"sensorMetadata"`
		Reports []struct {
			Type  string  `json:"type"`
			Value float64 `json:"value"`
		} `json:"sensorReport"`
	} `json:"sensorElementList"`
	ILMD *struct {
		ProducedAt string `json:"tl:producedAt"`
	} `json:"ilmd"`

	at   time.Time
	own  bool
	ids  []string // canonical identifiers the event concerns
	read []reading
}

type qty struct {
	EPCClass string `json:"epcClass"`
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
	add := func(raws []json.RawMessage, own bool) {
		for _, raw := range raws {
			var ev event
			if json.Unmarshal(raw, &ev) != nil || ev.ID == "" {
				continue
			}
			if prev, ok := seen[ev.ID]; ok {
				prev.own = prev.own || own
				continue
			}
			ev.at, _ = time.Parse(time.RFC3339Nano, ev.Time)
			ev.own = own
			for _, s := range append(slices.Clone(ev.EPCList), ev.ParentID) {
				if s != "" {
					ev.ids = append(ev.ids, digitallink.Canonical(s))
				}
			}
			for _, l := range [][]qty{ev.QuantityList, ev.ChildQuantityList, ev.InputQuantityList, ev.OutputQuantities} {
				for _, q := range l {
					ev.ids = append(ev.ids, digitallink.Canonical(q.EPCClass))
				}
			}
			for _, s := range ev.Sensors {
				t, err := time.Parse(time.RFC3339Nano, s.Meta.Time)
				if err != nil {
					continue
				}
				for _, r := range s.Reports {
					if r.Type == "Temperature" || strings.HasSuffix(r.Type, "Temperature") {
						ev.read = append(ev.read, reading{at: t.UTC(), device: s.Meta.DeviceID, c: r.Value, event: ev.ID})
					}
				}
			}
			p := &ev
			seen[ev.ID] = p
			e.events = append(e.events, p)
		}
	}
	add(tr.Events, true)
	add(tr.UpstreamEvents, false)
	slices.SortFunc(e.events, func(a, b *event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
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
		if ev.ILMD != nil && ev.BizStep == "commissioning" && slices.Contains(ev.ids, lot) {
			return ev.ID
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

// placeKey reduces a GLN or GLN Digital Link (with or without extension)
// to "GLN[/ext]", so that "4260123451005" matches its Digital Link.
func placeKey(s string) string {
	gln, ext, err := ledger.ParseGLN(s)
	switch {
	case err != nil:
		return s
	case ext != "":
		return gln + "/" + ext
	}
	return gln
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
	ev = append(ev, rc.ID)
	d := rc.at.Sub(h)
	if d > limit {
		return verdict{Fails, fmt.Sprintf("received at a retail place on %s, %s after harvest on %s, over the %d h limit", stamp(rc.at), dur(d), stamp(h), p.Hours), ev}
	}
	return verdict{Holds, fmt.Sprintf("received at a retail place on %s, %s after harvest on %s (limit %d h)", stamp(rc.at), dur(d), stamp(h), p.Hours), ev}
}

type leg struct {
	shipment   string
	lots       []string
	readings   []reading
	events     []string
	ship, recv *event // recv is nil while the leg is open
}

func (e *evaluation) coldChain(p ledger.ColdChainParams) verdict {
	var lo, hi float64
	switch {
	case p.Range != nil:
		lo, hi = p.Range.MinC, p.Range.MaxC
	case e.tr.Product != nil:
		lo, hi = e.tr.Product.TempMinC, e.tr.Product.TempMaxC
	default:
		return verdict{status: Pending, reason: "the product's temperature range is not known"}
	}
	maxGap := time.Duration(p.MaxGapMinutes) * time.Minute
	rc := e.retailReceipt(p.RetailPlaces)

	var all []reading
	var legs []*leg
	open := map[string]*leg{}
	for _, ev := range e.events {
		if rc != nil && rc.at.Before(ev.at) {
			break // after retail: the shop's fridge is not the supply chain
		}
		all = append(all, ev.read...)
		switch {
		case ev.BizStep == "shipping" && ev.Shipment != "":
			l := &leg{shipment: ev.Shipment, lots: ev.ids, readings: slices.Clone(ev.read), events: []string{ev.ID}, ship: ev}
			open[ev.Shipment] = l
			legs = append(legs, l)
		case ev.BizStep == "receiving" && open[ev.Shipment] != nil:
			l := open[ev.Shipment]
			l.readings = append(l.readings, ev.read...)
			l.events = append(l.events, ev.ID)
			l.recv = ev
			delete(open, ev.Shipment)
		case len(ev.read) > 0:
			for _, s := range sortedKeys(open) {
				if l := open[s]; overlaps(l.lots, ev.ids) {
					l.readings = append(l.readings, ev.read...)
					l.events = append(l.events, ev.ID)
				}
			}
		}
		if rc != nil && ev.ID == rc.ID {
			break
		}
	}
	slices.SortStableFunc(all, func(a, b reading) int { return a.at.Compare(b.at) })
	var bad []reading
	for _, r := range all {
		if r.c < lo || r.c > hi {
			bad = append(bad, r)
		}
	}
	rng := fmt.Sprintf("%s–%s °C", num(lo), num(hi))
	if len(bad) > 0 {
		b := bad[0]
		word, limit := "exceeds", hi
		if b.c < lo {
			word, limit = "is below", lo
		}
		reason := fmt.Sprintf("reading of %s °C at %s (%s) %s %s °C", num(b.c), stamp(b.at), b.device, word, num(limit))
		if len(bad) > 1 {
			reason += fmt.Sprintf("; %d readings outside %s", len(bad), rng)
		}
		v := verdict{status: Fails, reason: reason}
		for _, r := range bad {
			v.evidence = append(v.evidence, r.event)
		}
		return v
	}
	var longest time.Duration
	var inTransit *verdict
	for _, l := range legs {
		if l.recv != nil && len(l.readings) == 0 {
			return verdict{Fails, fmt.Sprintf("shipment %s carried no temperature readings", l.shipment), l.events}
		}
		g, v := l.gaps(maxGap)
		switch {
		case v != nil && l.recv == nil:
			// Loggers are often read out on receipt: until then a gap may
			// still be filled, so it is not yet a failure.
			if inTransit == nil {
				inTransit = &verdict{Pending, v.reason + "; the shipment is still in transit, and its logger's readings may yet fill the gap", v.evidence}
			}
		case v != nil:
			return *v
		}
		longest = max(longest, g)
	}
	if inTransit != nil {
		return *inTransit
	}
	var ids []string
	for _, r := range all {
		ids = append(ids, r.event)
	}
	if rc == nil {
		return verdict{Pending, fmt.Sprintf("%d readings within %s so far; not yet received at a retail place", len(all), rng), ids}
	}
	if len(all) == 0 {
		return verdict{Fails, "no temperature readings were recorded between origin and retail", []string{rc.ID}}
	}
	ids = append(ids, rc.ID)
	return verdict{Holds, fmt.Sprintf("all %d readings from origin to retail within %s; longest gap in transit %s (limit %s)", len(all), rng, dur(longest), dur(maxGap)), ids}
}

// gaps checks a leg's gaps against maxGap (see the package comment) and
// returns the longest, or the verdict on the earliest one over the limit.
func (l *leg) gaps(maxGap time.Duration) (time.Duration, *verdict) {
	if len(l.readings) == 0 {
		return 0, nil // an open leg: its logger has not been read out yet
	}
	rs := slices.Clone(l.readings)
	slices.SortStableFunc(rs, func(a, b reading) int { return a.at.Compare(b.at) })
	var longest time.Duration
	over := func(g time.Duration, what string, evidence ...string) *verdict {
		longest = max(longest, g)
		if g <= maxGap {
			return nil
		}
		return &verdict{Fails, fmt.Sprintf("no reading for %s between %s on shipment %s (limit %s)", dur(g), what, l.shipment, dur(maxGap)), evidence}
	}
	// The ends are ledger times: a reading before shipping counts as taken
	// at shipping, one after receiving as taken at receiving.
	start, end := l.ship.at, time.Time{}
	if l.recv != nil {
		end = l.recv.at
	}
	span := func() *verdict {
		return over(end.Sub(start), "shipping at "+stamp(start)+" and receiving at "+stampAfter(start, end), l.ship.ID, l.recv.ID)
	}
	first, last := rs[0], rs[len(rs)-1]
	switch {
	case start.IsZero() || !first.at.After(start):
	case l.recv != nil && !first.at.Before(end): // every reading after receiving
		if v := span(); v != nil {
			return 0, v
		}
	default:
		if v := over(first.at.Sub(start), "shipping at "+stamp(start)+" and the first reading at "+stampAfter(start, first.at), l.ship.ID, first.event); v != nil {
			return 0, v
		}
	}
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if v := over(b.at.Sub(a.at), stamp(a.at)+" and "+stampAfter(a.at, b.at), a.event, b.event); v != nil {
			return 0, v
		}
	}
	switch {
	case l.recv == nil || !last.at.Before(end):
	case !last.at.After(start): // every reading before shipping
		if v := span(); v != nil {
			return 0, v
		}
	default:
		if v := over(end.Sub(last.at), "the last reading at "+stamp(last.at)+" and receiving at "+stampAfter(last.at, end), last.event, l.recv.ID); v != nil {
			return 0, v
		}
	}
	return longest, nil
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
// ("" when it does).
func (e *evaluation) signer(address string) (ledger.LabSigner, string) {
	for _, s := range e.tr.Signers {
		if strings.EqualFold(s.Address, address) {
			if s.Revoked {
				return s, fmt.Sprintf("its signer %s (%s) was revoked on %s", s.Address, s.Name, stampString(s.RevokedAt))
			}
			return s, ""
		}
	}
	return ledger.LabSigner{}, fmt.Sprintf("its signer %s is not a registered lab signer", address)
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

// analyteMatch reports whether a measured analyte name is the wanted one:
// equal ignoring case, or the wanted name followed by a qualifier.
func analyteMatch(have, want string) bool {
	h, w := strings.ToLower(strings.TrimSpace(have)), strings.ToLower(strings.TrimSpace(want))
	return h == w || strings.HasPrefix(h, w+" ") || strings.HasPrefix(h, w+"(")
}

func (e *evaluation) labTested(p ledger.LabTestedParams) verdict {
	maxAge := time.Duration(p.MaxAgeDays) * 24 * time.Hour
	var notes []string
	var fail *verdict
	for _, r := range e.reports(e.lotIDs()) {
		rep := r.Report
		var missing []string
		var failed []string
		for _, want := range p.Analytes {
			i := slices.IndexFunc(rep.Analytes, func(a inspection.Analyte) bool { return analyteMatch(a.Name, want) })
			if i < 0 {
				missing = append(missing, want)
			} else if !rep.Analytes[i].Pass {
				failed = append(failed, fmt.Sprintf("%s %s %s over the limit %s", rep.Analytes[i].Name, rep.Analytes[i].Value, rep.Analytes[i].Unit, rep.Analytes[i].Limit))
			}
		}
		if len(missing) > 0 {
			notes = append(notes, fmt.Sprintf("report %s does not cover %s", rep.ReportID, strings.Join(missing, ", ")))
			continue
		}
		if _, why := e.signer(r.Signer); why != "" {
			if fail == nil {
				fail = &verdict{Fails, fmt.Sprintf("report %s does not count: %s", rep.ReportID, why), []string{r.EventID}}
			}
			continue
		}
		if rep.Verdict != "pass" || len(failed) > 0 {
			reason := fmt.Sprintf("report %s has verdict %s", rep.ReportID, rep.Verdict)
			if len(failed) > 0 {
				reason += ": " + strings.Join(failed, "; ")
			}
			return verdict{Fails, reason, []string{r.EventID}}
		}
		sampled, err := time.Parse(time.RFC3339Nano, rep.SampledAt)
		if err != nil {
			notes = append(notes, fmt.Sprintf("report %s has no readable sampling time", rep.ReportID))
			continue
		}
		if age := e.tr.At.Sub(sampled); age > maxAge {
			if fail == nil {
				fail = &verdict{Fails, fmt.Sprintf("report %s was sampled on %s, %s ago, older than %d days", rep.ReportID, stamp(sampled), dur(age), p.MaxAgeDays), []string{r.EventID}}
			}
			continue
		}
		s, _ := e.signer(r.Signer)
		where := "this lot"
		if !slices.Contains(rep.Lots, e.tr.Lot.ID) && len(rep.Lots) > 0 {
			where = "ingredient lot " + rep.Lots[0]
		}
		return verdict{Holds, fmt.Sprintf("report %s by %s (%s), sampled from %s on %s, passes %s", rep.ReportID, s.Name, s.Accreditation, where, stamp(sampled), strings.Join(p.Analytes, ", ")), []string{r.EventID}}
	}
	if fail != nil {
		return *fail
	}
	reason := "no report of a registered lab signer covering " + strings.Join(p.Analytes, ", ") + " is recorded yet"
	if len(notes) > 0 {
		reason += " (" + strings.Join(notes, "; ") + ")"
	}
	return verdict{status: Pending, reason: reason}
}

func (e *evaluation) originIn(p ledger.OriginInParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, reason: "no origin is recorded yet"}
	}
	glns := map[string]bool{}
	for _, g := range p.GLNs {
		k, _, _ := strings.Cut(placeKey(g), "/")
		glns[k] = true
	}
	var ev []string
	for _, o := range e.origins {
		id := e.originEvent(o.ID)
		ev = append(ev, id)
		in := false
		for _, loc := range []string{o.Origin.Producer, o.Origin.Place.Location} {
			k, _, _ := strings.Cut(placeKey(loc), "/")
			in = in || (loc != "" && glns[k])
		}
		if g := o.Origin.Place.Geo; !in && g != nil && len(p.Polygon) >= 3 {
			in = inPolygon(*g, p.Polygon)
		}
		if !in {
			return verdict{Fails, fmt.Sprintf("origin of %s (%s) lies outside %s", o.ID, describePlace(*o.Origin), p.Region), []string{id}}
		}
	}
	what := "the origin"
	if len(e.origins) > 1 {
		what = fmt.Sprintf("all %d origins", len(e.origins))
	}
	return verdict{Holds, fmt.Sprintf("%s (%s) lies in %s", what, describePlace(*e.origins[0].Origin), p.Region), ev}
}

func describePlace(o ledger.Origin) string {
	var parts []string
	if a := o.Place.Address; a != nil {
		parts = append(parts, a.City+", "+a.Country)
	}
	if g := o.Place.Geo; g != nil {
		parts = append(parts, fmt.Sprintf("%.4f, %.4f", g.Latitude, g.Longitude))
	}
	if len(parts) == 0 {
		parts = append(parts, o.Producer)
	}
	return strings.Join(parts, " at ")
}

// inPolygon reports whether g lies inside poly or on its boundary. The
// polygon is in plain latitude/longitude: fine for regions far from the
// poles and the antimeridian.
func inPolygon(g ledger.Geo, poly []ledger.Geo) bool {
	x, y := g.Longitude, g.Latitude
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		xi, yi, xj, yj := poly[i].Longitude, poly[i].Latitude, poly[j].Longitude, poly[j].Latitude
		// On the edge: collinear and within the segment's box.
		if (x-xi)*(yj-yi) == (y-yi)*(xj-xi) && min(xi, xj) <= x && x <= max(xi, xj) && min(yi, yj) <= y && y <= max(yi, yj) {
			return true
		}
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func (e *evaluation) certified(p ledger.CertifiedParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, reason: "no origin is recorded yet"}
	}
	valid := time.Duration(p.ValidDays) * 24 * time.Hour
	scheme := strings.ToLower(p.Scheme)
	var ev []string
	var names []string
	for _, o := range e.origins {
		var best *verdict
		for _, r := range e.reports([]string{digitallink.Canonical(o.ID)}) {
			rep := r.Report
			if !strings.Contains(strings.ToLower(rep.Standard), scheme) {
				continue
			}
			s, why := e.signer(r.Signer)
			issued, err := time.Parse(time.RFC3339Nano, rep.IssuedAt)
			switch {
			case why != "":
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s does not count: %s", rep.ReportID, o.Origin.Producer, why), []string{r.EventID}}
			case rep.Verdict != "pass":
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s has verdict %s", rep.ReportID, o.Origin.Producer, rep.Verdict), []string{r.EventID}}
			case err != nil || issued.After(e.tr.At):
				continue
			case e.tr.At.Sub(issued) > valid:
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s, issued %s, expired after %d days", rep.ReportID, o.Origin.Producer, stamp(issued), p.ValidDays), []string{r.EventID}}
			default:
				best = &verdict{status: Holds, evidence: []string{r.EventID}}
				names = append(names, fmt.Sprintf("%s by %s, issued %s", rep.ReportID, s.Name, stamp(issued)))
			}
			if best.status == Holds {
				break
			}
		}
		if best == nil {
			return verdict{status: Pending, reason: fmt.Sprintf("no %s certificate for the origin producer %s is recorded yet", p.Scheme, o.Origin.Producer)}
		}
		if best.status != Holds {
			return *best
		}
		ev = append(ev, best.evidence...)
	}
	return verdict{Holds, fmt.Sprintf("current %s certificate: %s", p.Scheme, strings.Join(names, "; ")), ev}
}

// stamp formats a time for people: UTC to the minute, zone named.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// stampAfter formats t, which follows prev, without the date when it is
// the same UTC day: "between 2026-03-02 08:00 UTC and 11:10 UTC".
func stampAfter(prev, t time.Time) string {
	if prev.UTC().Format(time.DateOnly) == t.UTC().Format(time.DateOnly) {
		return t.UTC().Format("15:04 UTC")
	}
	return stamp(t)
}

func stampString(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return stamp(t)
}

// dur formats a duration as "50 h 12 min".
func dur(d time.Duration) string {
	if d < 0 {
		return "-" + dur(-d)
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// num formats a temperature without trailing zeros.
func num(f float64) string { return fmt.Sprintf("%g", f) }
