package chaincode

import (
	"slices"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// CustodyContract moves lots between organisations. Any member may call it
// for what it holds: the custodian packs, ships and records readings, and
// only the named recipient receives. Cold-chain readings outside a
// product's temperature range put its lot in breach.
type CustodyContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*CustodyContract) GetName() string { return "Custody" }

// reading is a checked ledger.Reading.
type reading struct {
	Time         time.Time
	Device       string
	TemperatureC float64
	HumidityPct  *float64
}

// parseReadings checks readings: plausible times, a device, a physically
// possible temperature and humidity.
func (t *txn) parseReadings(in []ledger.Reading, required bool) ([]reading, error) {
	if required && len(in) == 0 {
		return nil, errorf(ErrInvalid, "no readings given")
	}
	if len(in) > maxReadings {
		return nil, errorf(ErrInvalid, "%d readings given, at most %d per transaction", len(in), maxReadings)
	}
	out := make([]reading, 0, len(in))
	for i, r := range in {
		at, err := parseTime("reading time", r.Time)
		if err != nil {
			return nil, err
		}
		if err := checkWindow("reading time", at, t.now, MaxReadingAge); err != nil {
			return nil, err
		}
		if err := checkText("reading device", r.Device, maxIDLen); err != nil {
			return nil, err
		}
		if r.TemperatureC == nil {
			return nil, errorf(ErrInvalid, "reading %d (%s) has no temperatureC", i, r.Time)
		}
		temp := *r.TemperatureC
		if checkFinite("temperatureC", temp) != nil || temp < MinTemperatureC || temp > MaxTemperatureC {
			return nil, errorf(ErrInvalid, "reading %d (%s) temperature %g °C is impossible: outside %d to %d °C", i, r.Time, temp, MinTemperatureC, MaxTemperatureC)
		}
		if h := r.HumidityPct; h != nil && (checkFinite("humidityPct", *h) != nil || *h < 0 || *h > 100) {
			return nil, errorf(ErrInvalid, "reading %d (%s) humidity %g %% is impossible: outside 0 to 100 %%", i, r.Time, *h)
		}
		out = append(out, reading{Time: at, Device: r.Device, TemperatureC: temp, HumidityPct: r.HumidityPct})
	}
	return out, nil
}

// prefetchHandOff reads ahead, in one round trip, what a hand-off of lot
// reads first: the role table, the lot and, when readings come with it,
// the lot's product (for its temperature range). Nothing is read for a
// logistic unit or a lot link that does not parse: the function fails or
// reads them one by one as before.
func (t *txn) prefetchHandOff(lot string, readings bool) error {
	rk, err := t.key(ledger.ObjectRoles)
	if err != nil {
		return err
	}
	keys := []string{rk}
	if p, err := parseLot("lot", lot); err == nil {
		lk, err := t.key(ledger.ObjectLot, p.GTIN, p.Lot)
		if err != nil {
			return err
		}
		keys = append(keys, lk)
		if readings {
			pk, err := t.key(ledger.ObjectProduct, p.GTIN)
			if err != nil {
				return err
			}
			keys = append(keys, pk)
		}
	}
	if len(keys) == 1 {
		return nil
	}
	return t.prefetch(keys...)
}

// luState is a logistic unit loaded in a transaction.
type luState struct {
	key string
	rec *ledger.LogisticUnit
}

func (t *txn) logisticUnit(field, s string) (*luState, string, error) {
	sscc, link, err := parseSSCC(field, s)
	if err != nil {
		return nil, "", err
	}
	k, err := t.key(ledger.ObjectLogisticUnit, sscc)
	if err != nil {
		return nil, "", err
	}
	var rec ledger.LogisticUnit
	ok, err := t.get(k, &rec)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return &luState{key: k}, link, nil
	}
	return &luState{key: k, rec: &rec}, link, nil
}

// subject is what a custody call moves: one lot, or a logistic unit and
// the lots packed in it.
type subject struct {
	lots []*lotState
	unit *luState
	// id is the lot's or the unit's Digital Link.
	id string
}

func (t *txn) subject(lot, unit string) (*subject, error) {
	switch {
	case (lot == "") == (unit == ""):
		return nil, errorf(ErrInvalid, "give exactly one of lot and logisticUnit (got lot %q, logisticUnit %q)", lot, unit)
	case lot != "":
		l, err := t.lotByLink("lot", lot)
		if err != nil {
			return nil, err
		}
		return &subject{lots: []*lotState{l}, id: l.rec.ID}, nil
	}
	u, link, err := t.logisticUnit("logisticUnit", unit)
	if err != nil {
		return nil, err
	}
	if u.rec == nil {
		return nil, errorf(ErrNotFound, "unknown logistic unit %s", link)
	}
	s := &subject{unit: u, id: u.rec.ID}
	for _, id := range u.rec.Lots {
		l, err := t.lotByLink("lot", id)
		if err != nil {
			return nil, err
		}
		s.lots = append(s.lots, l)
	}
	return s, nil
}

// custodian is who holds the subject.
func (s *subject) custodian() string {
	if s.unit != nil {
		return s.unit.rec.Custodian
	}
	return s.lots[0].rec.Custodian
}

func (s *subject) kind() string {
	if s.unit != nil {
		return "logistic unit"
	}
	return "lot"
}

// requireHolder checks that the caller holds lot l and it is at rest and
// unpacked, so that it may be transformed, packed or shipped alone.
func (t *txn) requireHolder(l *lotState, action string) error {
	switch {
	case l.rec.Custodian != t.msp:
		return errorf(ErrForbidden, "only the current custodian (%s) can %s lot %s", l.rec.Custodian, action, l.rec.ID)
	case l.rec.Shipment != "":
		return errorf(ErrState, "lot %s is in transit (shipment %s); it cannot be %s", l.rec.ID, l.rec.Shipment, pastTense(action))
	case l.rec.LogisticUnit != "":
		return errorf(ErrState, "lot %s is packed in logistic unit %s; unpack it before it can be %s", l.rec.ID, l.rec.LogisticUnit, pastTense(action))
	}
	return nil
}

func pastTense(action string) string {
	switch action {
	case "ship":
		return "shipped alone"
	case "pack":
		return "packed"
	case "transform":
		return "transformed"
	}
	return action + "ed"
}

// objects sets the event's subject: the unit's SSCC, or the lot's class
// and remaining quantity.
func (s *subject) objects(ev *epcis.Event) {
	if s.unit != nil {
		ev.EPCList = []string{s.unit.rec.ID}
		return
	}
	ev.QuantityList = []epcis.QuantityElement{lotQuantity(s.lots[0].rec, s.lots[0].rec.Remaining)}
}

// applyReadings counts readings on every lot of s and flags a lot in
// breach at its first reading outside its product's range.
func (t *txn) applyReadings(s *subject, rs []reading, eventID string) error {
	for _, l := range s.lots {
		if len(rs) == 0 {
			continue
		}
		p, err := t.product(l.rec.GTIN)
		if err != nil {
			return err
		}
		l.rec.Counts.Readings += len(rs)
		for _, r := range rs {
			if r.TemperatureC >= p.TempMinC && r.TemperatureC <= p.TempMaxC {
				continue
			}
			l.rec.Counts.Excursions++
			if l.rec.Breach == nil {
				l.rec.Breach = &ledger.Breach{
					Time: ledger.FormatTime(r.Time), Device: r.Device, TemperatureC: r.TemperatureC,
					MinC: p.TempMinC, MaxC: p.TempMaxC, EventID: eventID,
				}
			}
		}
	}
	return nil
}

// finish records ev for s, applies readings and buffers the changed records.
func (t *txn) finish(s *subject, ev *epcis.Event, rs []reading, sh *ledger.Shipment) error {
	ev.SensorElementList = sensorElements(rs)
	id, err := t.record(ev, s.lots...)
	if err != nil {
		return err
	}
	if err := t.applyReadings(s, rs, id); err != nil {
		return err
	}
	if sh != nil {
		if sh.ShipEvent == "" {
			sh.ShipEvent = id
		} else {
			sh.ReceiveEvent = id
		}
		k, err := t.key(ledger.ObjectShipment, sh.ID)
		if err != nil {
			return err
		}
		if err := t.put(k, sh); err != nil {
			return err
		}
	}
	if s.unit != nil {
		if err := t.put(s.unit.key, s.unit.rec); err != nil {
			return err
		}
	}
	return t.putLots(s.lots...)
}

// bizTransactionTypes are CBV 2.0's business transaction types.
func bizTransactionTypes() []string {
	return []string{"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma", "testprd", "testprn", "upevt"}
}

// checkBizTransactions checks a request's reference documents: at most
// 20, each of a CBV type with a URI id.
func checkBizTransactions(bts []ledger.BizTransaction) error {
	if len(bts) > 20 {
		return errorf(ErrInvalid, "%d business transactions, at most 20 allowed", len(bts))
	}
	for _, bt := range bts {
		if !slices.Contains(bizTransactionTypes(), bt.Type) {
			return errorf(ErrInvalid, "business transaction type %q is not a CBV type (%v)", bt.Type, bizTransactionTypes())
		}
		if err := checkURI("business transaction id", bt.ID); err != nil {
			return err
		}
	}
	return nil
}

// bizTransactionList is bts as an event's bizTransactionList.
func bizTransactionList(bts []ledger.BizTransaction) []epcis.BizTransaction {
	var out []epcis.BizTransaction
	for _, bt := range bts {
		out = append(out, epcis.BizTransaction{Type: bt.Type, BizTransaction: bt.ID})
	}
	return out
}

// Ship hands a lot or logistic unit (a ledger.ShipRequest) from the caller,
// its current custodian, to a named member organisation and place. The
// subject is in transit until the recipient receives it.
func (*CustodyContract) Ship(ctx contractapi.TransactionContextInterface, shipJSON string) (_ *ledger.Shipment, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var req ledger.ShipRequest
	reqErr := unmarshalStrict([]byte(shipJSON), &req)
	if reqErr == nil {
		if err := t.prefetchHandOff(req.Lot, len(req.Readings) > 0); err != nil {
			return nil, err
		}
	}
	roles, err := t.requireMember()
	if err != nil {
		return nil, err
	}
	if reqErr != nil {
		return nil, wrapf(ErrInvalid, reqErr, "shipment must be a JSON ShipRequest")
	}
	s, err := t.subject(req.Lot, req.LogisticUnit)
	if err != nil {
		return nil, err
	}
	if s.unit != nil {
		u := s.unit.rec
		switch {
		case u.Custodian != t.msp:
			return nil, errorf(ErrForbidden, "only the current custodian (%s) can ship logistic unit %s", u.Custodian, u.ID)
		case u.Status != ledger.UnitPacked:
			return nil, errorf(ErrState, "logistic unit %s is %s; only a packed unit can be shipped", u.ID, u.Status)
		}
	} else if err := t.requireHolder(s.lots[0], "ship"); err != nil {
		return nil, err
	}
	if _, ok := roles.Member(req.To); !ok {
		return nil, errorf(ErrInvalid, "recipient %q is not a member of the consortium", req.To)
	}
	if req.To == t.msp {
		return nil, errorf(ErrInvalid, "%s cannot ship %s %s to itself", t.msp, s.kind(), s.id)
	}
	dest, err := parseLocation("destination", req.Destination)
	if err != nil {
		return nil, err
	}
	src := ""
	if req.Source != "" {
		if src, err = parseLocation("source", req.Source); err != nil {
			return nil, err
		}
	}
	if err := checkBizTransactions(req.BizTransactions); err != nil {
		return nil, err
	}
	rs, err := t.parseReadings(req.Readings, false)
	if err != nil {
		return nil, err
	}

	sh := &ledger.Shipment{
		ID: t.id, From: t.msp, To: req.To, Destination: dest, BizTransactions: req.BizTransactions,
		Status: ledger.ShipmentInTransit, ShippedAt: t.nowString(),
	}
	for _, l := range s.lots {
		sh.Lots = append(sh.Lots, l.rec.ID)
		l.rec.Shipment, l.rec.LastShipment = sh.ID, sh.ID
		l.rec.Counts.Shipments++
	}
	if s.unit != nil {
		sh.LogisticUnit = s.unit.rec.ID
		s.unit.rec.Status, s.unit.rec.Shipment = ledger.UnitInTransit, sh.ID
	}
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep, ev.Disposition = "OBSERVE", "shipping", "in_transit"
	s.objects(ev)
	ev.BizTransactionList = bizTransactionList(req.BizTransactions)
	if src != "" {
		ev.SourceList = []epcis.Source{{Type: "location", Source: src}}
	}
	ev.DestinationList = []epcis.Destination{{Type: "location", Destination: dest}}
	ev.From, ev.To, ev.Shipment = t.msp, req.To, sh.ID
	if err := t.finish(s, ev, rs, sh); err != nil {
		return nil, err
	}
	return sh, t.commit()
}

// Receive closes the hand-off of a lot or logistic unit (a
// ledger.ReceiveRequest): only the shipment's recipient may call it, once;
// custody moves to the recipient.
func (*CustodyContract) Receive(ctx contractapi.TransactionContextInterface, receiveJSON string) (_ *ledger.Shipment, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireMember(); err != nil {
		return nil, err
	}
	var req ledger.ReceiveRequest
	if err := unmarshalStrict([]byte(receiveJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "receipt must be a JSON ReceiveRequest")
	}
	s, err := t.subject(req.Lot, req.LogisticUnit)
	if err != nil {
		return nil, err
	}
	open, last := s.lots[0].rec.Shipment, s.lots[0].rec.LastShipment
	if s.unit != nil {
		open = s.unit.rec.Shipment
	} else if u := s.lots[0].rec.LogisticUnit; u != "" {
		return nil, errorf(ErrState, "lot %s travels in logistic unit %s; receive the unit", s.id, u)
	}
	if open == "" {
		if last != "" {
			if prev, err := t.shipment(last); err == nil && prev.Status == ledger.ShipmentReceived {
				return nil, errorf(ErrState, "%s %s is not in transit: shipment %s was already received by %s at %s", s.kind(), s.id, prev.ID, prev.To, prev.ReceivedAt)
			}
		}
		return nil, errorf(ErrState, "%s %s is not in transit", s.kind(), s.id)
	}
	sh, err := t.shipment(open)
	if err != nil {
		return nil, err
	}
	if sh.To != t.msp {
		return nil, errorf(ErrForbidden, "only the recipient (%s) can receive %s %s; %s cannot", sh.To, s.kind(), s.id, t.msp)
	}
	rs, err := t.parseReadings(req.Readings, false)
	if err != nil {
		return nil, err
	}
	sh.Status, sh.ReceivedAt = ledger.ShipmentReceived, t.nowString()
	for _, l := range s.lots {
		l.rec.Custodian, l.rec.Shipment = t.msp, ""
	}
	if s.unit != nil {
		s.unit.rec.Custodian, s.unit.rec.Status, s.unit.rec.Shipment = t.msp, ledger.UnitPacked, ""
	}
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep, ev.Disposition = "OBSERVE", "receiving", "in_progress"
	s.objects(ev)
	ev.BizLocation = &epcis.Location{ID: sh.Destination}
	for _, bt := range sh.BizTransactions {
		ev.BizTransactionList = append(ev.BizTransactionList, epcis.BizTransaction{Type: bt.Type, BizTransaction: bt.ID})
	}
	ev.From, ev.To, ev.Shipment = sh.From, sh.To, sh.ID
	if err := t.finish(s, ev, rs, sh); err != nil {
		return nil, err
	}
	return sh, t.commit()
}

// shipment loads a shipment, which must exist.
func (t *txn) shipment(id string) (*ledger.Shipment, error) {
	return load[ledger.Shipment](t, "shipment", ledger.ObjectShipment, id)
}

// RecordReadings records cold-chain readings (a ledger.ReadingsRequest) of
// a lot or logistic unit the caller holds, in transit or at rest
// (bizStep sensor_reporting).
func (*CustodyContract) RecordReadings(ctx contractapi.TransactionContextInterface, readingsJSON string) (_ *ledger.LotSummary, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireMember(); err != nil {
		return nil, err
	}
	var req ledger.ReadingsRequest
	if err := unmarshalStrict([]byte(readingsJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "readings must be a JSON ReadingsRequest")
	}
	s, err := t.subject(req.Lot, req.LogisticUnit)
	if err != nil {
		return nil, err
	}
	if c := s.custodian(); c != t.msp {
		return nil, errorf(ErrForbidden, "only the current custodian (%s) can record readings of %s %s", c, s.kind(), s.id)
	}
	if s.unit != nil && s.unit.rec.Status == ledger.UnitUnpacked {
		return nil, errorf(ErrState, "logistic unit %s is unpacked; record readings of its lots", s.id)
	}
	rs, err := t.parseReadings(req.Readings, true)
	if err != nil {
		return nil, err
	}
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep = "OBSERVE", "sensor_reporting"
	s.objects(ev)
	if err := t.finish(s, ev, rs, nil); err != nil {
		return nil, err
	}
	return s.lots[0].rec, t.commit()
}

// Pack puts lots the caller holds into a new logistic unit (a
// ledger.PackRequest), recorded as an AggregationEvent; the unit then
// travels as one.
func (*CustodyContract) Pack(ctx contractapi.TransactionContextInterface, packJSON string) (_ *ledger.LogisticUnit, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireMember(); err != nil {
		return nil, err
	}
	var req ledger.PackRequest
	if err := unmarshalStrict([]byte(packJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "packing must be a JSON PackRequest")
	}
	u, link, err := t.logisticUnit("sscc", req.SSCC)
	if err != nil {
		return nil, err
	}
	if u.rec != nil {
		return nil, errorf(ErrExists, "logistic unit %s already exists (packed by %s at %s); SSCCs are never reused", link, u.rec.PackedBy, u.rec.PackedAt)
	}
	lots, err := t.distinctLots("lot", req.Lots)
	if err != nil {
		return nil, err
	}
	sscc, _, _ := parseSSCC("sscc", req.SSCC)
	u.rec = &ledger.LogisticUnit{
		ID: link, SSCC: sscc, Custodian: t.msp, Status: ledger.UnitPacked,
		PackedBy: t.msp, PackedAt: t.nowString(),
	}
	ev := t.newEvent("AggregationEvent")
	ev.Action, ev.BizStep, ev.Disposition = "ADD", "packing", "in_progress"
	ev.ParentID = link
	for _, l := range lots {
		if err := t.requireHolder(l, "pack"); err != nil {
			return nil, err
		}
		u.rec.Lots = append(u.rec.Lots, l.rec.ID)
		l.rec.LogisticUnit = link
		ev.ChildQuantityList = append(ev.ChildQuantityList, lotQuantity(l.rec, l.rec.Remaining))
	}
	id, err := t.record(ev, lots...)
	if err != nil {
		return nil, err
	}
	u.rec.PackEvent = id
	if err := t.put(u.key, u.rec); err != nil {
		return nil, err
	}
	if err := t.putLots(lots...); err != nil {
		return nil, err
	}
	return u.rec, t.commit()
}

// Unpack takes the lots out of a logistic unit the caller holds, at rest.
func (*CustodyContract) Unpack(ctx contractapi.TransactionContextInterface, sscc string) (_ *ledger.LogisticUnit, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireMember(); err != nil {
		return nil, err
	}
	s, err := t.subject("", sscc)
	if err != nil {
		return nil, err
	}
	u := s.unit.rec
	switch {
	case u.Custodian != t.msp:
		return nil, errorf(ErrForbidden, "only the current custodian (%s) can unpack logistic unit %s", u.Custodian, u.ID)
	case u.Status != ledger.UnitPacked:
		return nil, errorf(ErrState, "logistic unit %s is %s; only a packed unit at rest can be unpacked", u.ID, u.Status)
	}
	ev := t.newEvent("AggregationEvent")
	ev.Action, ev.BizStep, ev.Disposition = "DELETE", "unpacking", "in_progress"
	ev.ParentID = u.ID
	for _, l := range s.lots {
		l.rec.LogisticUnit = ""
		ev.ChildQuantityList = append(ev.ChildQuantityList, lotQuantity(l.rec, l.rec.Remaining))
	}
	id, err := t.record(ev, s.lots...)
	if err != nil {
		return nil, err
	}
	u.Status, u.UnpackedAt, u.UnpackEvent = ledger.UnitUnpacked, t.nowString(), id
	if err := t.put(s.unit.key, u); err != nil {
		return nil, err
	}
	if err := t.putLots(s.lots...); err != nil {
		return nil, err
	}
	return u, t.commit()
}
