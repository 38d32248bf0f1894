package chaincode

import (
	"math/big"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// BatchContract is the supplier's: batch origins and transformations.
type BatchContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*BatchContract) GetName() string { return "Batch" }

// Evidence kinds a batch may carry.
func evidenceKinds() []string {
	return []string{ledger.EvidencePhoto, ledger.EvidenceVideo, ledger.EvidenceLivestream, ledger.EvidenceDocument}
}

// CreateBatch records a batch's origin (a ledger.BatchRequest): the lot is
// commissioned in the caller's custody with an ObjectEvent (bizStep
// commissioning) whose ILMD carries the origin.
func (*BatchContract) CreateBatch(ctx contractapi.TransactionContextInterface, batchJSON string) (_ *ledger.LotSummary, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleSupplier); err != nil {
		return nil, err
	}
	var req ledger.BatchRequest
	if err := unmarshalStrict([]byte(batchJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "batch must be a JSON BatchRequest")
	}
	gtin, err := gtin14("batch gtin", req.GTIN)
	if err != nil {
		return nil, err
	}
	link, err := lotLink("lot number", gtin, req.Lot)
	if err != nil {
		return nil, err
	}
	qty, err := parseQuantity("batch quantity", req.Quantity)
	if err != nil {
		return nil, err
	}
	producer, err := parseLocation("producer", req.Producer)
	if err != nil {
		return nil, err
	}
	place, err := checkPlace("place", req.Place)
	if err != nil {
		return nil, err
	}
	produced, err := parseTime("producedAt", req.ProducedAt)
	if err != nil {
		return nil, err
	}
	if err := checkWindow("producedAt", produced, t.now, MaxOriginAge); err != nil {
		return nil, err
	}
	expiry, err := t.checkExpiry(req.Expiry, produced)
	if err != nil {
		return nil, err
	}
	if err := checkText("farmingPractice", req.FarmingPractice, maxTextLen); err != nil {
		return nil, err
	}
	if err := checkEvidence(req.Evidence); err != nil {
		return nil, err
	}
	if err := checkBizTransactions(req.BizTransactions); err != nil {
		return nil, err
	}
	p, err := t.product(gtin)
	if err != nil {
		return nil, err
	}
	if err := t.requireNewLot(gtin, req.Lot, link); err != nil {
		return nil, err
	}
	q := ledger.Quantity{Value: formatDecimal(qty), UOM: req.Quantity.UOM}
	origin := &ledger.Origin{Producer: producer, Place: place, FarmingPractice: req.FarmingPractice, Evidence: req.Evidence}
	l, err := t.newLot(gtin, req.Lot, link, p, q, produced, expiry)
	if err != nil {
		return nil, err
	}
	l.rec.Origin = origin

	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep, ev.Disposition = "ADD", "commissioning", "active"
	ev.QuantityList = []epcis.QuantityElement{lotQuantity(l.rec, q)}
	loc := producer
	if place.Location != "" {
		loc = place.Location
	}
	ev.ReadPoint, ev.BizLocation = &epcis.Location{ID: loc}, &epcis.Location{ID: loc}
	ev.BizTransactionList = bizTransactionList(req.BizTransactions)
	if ev.ILMD, err = (epcis.ILMDExt{
		LotNumber: req.Lot, ItemExpiration: l.rec.Expiry[:10], ProducedAt: l.rec.ProducedAt,
		Producer: producer, Place: placeExtension(origin.Place), FarmingPractice: origin.FarmingPractice,
		Evidence: evidenceExtension(origin.Evidence),
	}).ILMD(); err != nil {
		return nil, err
	}
	if _, err := t.record(ev, l); err != nil {
		return nil, err
	}
	if err := t.putLots(l); err != nil {
		return nil, err
	}
	return l.rec, t.commit()
}

// newLot makes a lot record in the caller's custody and caches it.
func (t *txn) newLot(gtin, lot, link string, p *ledger.Product, q ledger.Quantity, produced, expiry time.Time) (*lotState, error) {
	k, err := t.key(ledger.ObjectLot, gtin, lot)
	if err != nil {
		return nil, err
	}
	l := &lotState{key: k, rec: &ledger.LotSummary{
		ID: link, GTIN: gtin, Lot: lot, Product: p.Name, Quantity: q, Remaining: q,
		ProducedAt: ledger.FormatTime(produced), Expiry: ledger.FormatTime(expiry),
		CreatedBy: t.msp, Custodian: t.msp, CreatedAt: t.nowString(), CreatedTx: t.id,
	}}
	t.lots[k] = l
	return l, nil
}

func (t *txn) requireNewLot(gtin, lot, link string) error {
	old, err := t.loadLot(gtin, lot)
	if err != nil {
		return err
	}
	if old != nil {
		return errorf(ErrExists, "lot %s already exists (created by %s at %s)", link, old.rec.CreatedBy, old.rec.CreatedAt)
	}
	return nil
}

// checkExpiry parses an expiry, which must follow production by at most
// MaxShelfLife and lie after the transaction time.
func (t *txn) checkExpiry(s string, produced time.Time) (time.Time, error) {
	expiry, err := parseTime("expiry", s)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case !expiry.After(produced):
		return time.Time{}, errorf(ErrInvalid, "expiry %s is not after production %s", s, produced.Format(time.RFC3339))
	case !expiry.After(t.now):
		return time.Time{}, errorf(ErrInvalid, "expiry %s has passed (transaction time %s)", s, t.now.Format(time.RFC3339))
	case expiry.Sub(produced) > MaxShelfLife:
		return time.Time{}, errorf(ErrInvalid, "expiry %s is more than %s after production", s, humanDuration(MaxShelfLife))
	}
	return expiry, nil
}

func checkPlace(field string, p ledger.Place) (ledger.Place, error) {
	out := p
	if p.Location != "" {
		loc, err := parseLocation(field+" location", p.Location)
		if err != nil {
			return out, err
		}
		out.Location = loc
	}
	if p.Geo == nil {
		return out, errorf(ErrInvalid, "%s needs geo coordinates", field)
	}
	g := *p.Geo
	if checkFinite("latitude", g.Latitude) != nil || g.Latitude < -90 || g.Latitude > 90 {
		return out, errorf(ErrInvalid, "%s latitude %g is outside -90 to 90", field, g.Latitude)
	}
	if checkFinite("longitude", g.Longitude) != nil || g.Longitude < -180 || g.Longitude > 180 {
		return out, errorf(ErrInvalid, "%s longitude %g is outside -180 to 180", field, g.Longitude)
	}
	if p.Address == nil {
		return out, errorf(ErrInvalid, "%s needs an address", field)
	}
	a := *p.Address
	if err := checkText(field+" city", a.City, maxTextLen); err != nil {
		return out, err
	}
	if !countryRE.MatchString(a.Country) {
		return out, errorf(ErrInvalid, "%s country %q is not an ISO 3166-1 alpha-2 code", field, a.Country)
	}
	for _, f := range []struct{ name, v string }{{"street", a.Street}, {"postalCode", a.PostalCode}, {"region", a.Region}} {
		if err := checkOptionalText(field+" "+f.name, f.v, maxTextLen); err != nil {
			return out, err
		}
	}
	return out, nil
}

func checkEvidence(ev []ledger.Evidence) error {
	if len(ev) > maxEvidences {
		return errorf(ErrInvalid, "%d evidence items, at most %d allowed", len(ev), maxEvidences)
	}
	for i, e := range ev {
		known := false
		for _, k := range evidenceKinds() {
			known = known || e.Kind == k
		}
		if !known {
			return errorf(ErrInvalid, "evidence[%d] kind %q is not one of %v", i, e.Kind, evidenceKinds())
		}
		if err := checkSHA256("evidence sha256", e.SHA256); err != nil {
			return err
		}
		if err := checkURI("evidence uri", e.URI); err != nil {
			return err
		}
	}
	return nil
}

// Transform turns quantities of input lots into new output lots (a
// ledger.TransformRequest), recorded as a TransformationEvent. The caller
// must hold every input, none in transit, packed or recalled; quantities
// must match the inputs' units and not exceed what remains of them.
//
// It returns the output lots; each lists every input with the quantity the
// transformation took from it.
func (*BatchContract) Transform(ctx contractapi.TransactionContextInterface, transformJSON string) (_ []ledger.LotSummary, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleSupplier); err != nil {
		return nil, err
	}
	var req ledger.TransformRequest
	if err := unmarshalStrict([]byte(transformJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "transformation must be a JSON TransformRequest")
	}
	if len(req.Inputs) == 0 || len(req.Outputs) == 0 {
		return nil, errorf(ErrInvalid, "a transformation needs inputs and outputs (got %d and %d)", len(req.Inputs), len(req.Outputs))
	}
	if len(req.Inputs) > maxListLen || len(req.Outputs) > maxListLen {
		return nil, errorf(ErrInvalid, "at most %d inputs and outputs", maxListLen)
	}
	ev := t.newEvent("TransformationEvent")
	ev.BizStep, ev.Disposition = "commissioning", "active"
	if req.Location != "" {
		loc, err := parseLocation("location", req.Location)
		if err != nil {
			return nil, err
		}
		ev.ReadPoint, ev.BizLocation = &epcis.Location{ID: loc}, &epcis.Location{ID: loc}
	}
	if err := checkBizTransactions(req.BizTransactions); err != nil {
		return nil, err
	}
	ev.BizTransactionList = bizTransactionList(req.BizTransactions)
	var inputs []*lotState
	var inputQs []ledger.LotQuantity
	seen := map[string]bool{}
	for i, in := range req.Inputs {
		l, err := t.lotByLink("input lot", in.Lot)
		if err != nil {
			return nil, err
		}
		if seen[l.key] {
			return nil, errorf(ErrInvalid, "input lot %s is listed twice", l.rec.ID)
		}
		seen[l.key] = true
		if err := t.requireHolder(l, "transform"); err != nil {
			return nil, err
		}
		if err := t.requireNotRecalled(l, "transform it"); err != nil {
			return nil, err
		}
		q, err := parseQuantity("input quantity", in.Quantity)
		if err != nil {
			return nil, err
		}
		if in.Quantity.UOM != l.rec.Remaining.UOM {
			return nil, errorf(ErrInvalid, "input %d: unit %s does not match lot %s's unit %s", i, in.Quantity.UOM, l.rec.ID, l.rec.Remaining.UOM)
		}
		rem, _ := new(big.Rat).SetString(l.rec.Remaining.Value)
		if q.Cmp(rem) > 0 {
			return nil, errorf(ErrState, "input %d: %s %s of lot %s requested, only %s %s remain", i, in.Quantity.Value, in.Quantity.UOM, l.rec.ID, l.rec.Remaining.Value, l.rec.Remaining.UOM)
		}
		lq := ledger.LotQuantity{Lot: l.rec.ID, Quantity: ledger.Quantity{Value: formatDecimal(q), UOM: in.Quantity.UOM}}
		l.rec.Remaining.Value = formatDecimal(rem.Sub(rem, q))
		inputs = append(inputs, l)
		inputQs = append(inputQs, lq)
		ev.InputQuantityList = append(ev.InputQuantityList, lotQuantity(l.rec, lq.Quantity))
	}
	var outputs []*lotState
	var ext epcis.ILMDExt
	for _, out := range req.Outputs {
		gtin, err := gtin14("output gtin", out.GTIN)
		if err != nil {
			return nil, err
		}
		link, err := lotLink("output lot number", gtin, out.Lot)
		if err != nil {
			return nil, err
		}
		q, err := parseQuantity("output quantity", out.Quantity)
		if err != nil {
			return nil, err
		}
		expiry, err := t.checkExpiry(out.Expiry, t.now)
		if err != nil {
			return nil, err
		}
		p, err := t.product(gtin)
		if err != nil {
			return nil, err
		}
		if err := t.requireNewLot(gtin, out.Lot, link); err != nil {
			return nil, err // also catches an output listed twice: the first is cached
		}
		oq := ledger.Quantity{Value: formatDecimal(q), UOM: out.Quantity.UOM}
		l, err := t.newLot(gtin, out.Lot, link, p, oq, t.now, expiry)
		if err != nil {
			return nil, err
		}
		l.rec.Inputs = inputQs
		outputs = append(outputs, l)
		ev.OutputQuantityList = append(ev.OutputQuantityList, lotQuantity(l.rec, oq))
		ext.Outputs = append(ext.Outputs, epcis.OutputExt{Lot: link, Expiry: l.rec.Expiry[:10]})
	}
	if ev.ILMD, err = ext.ILMD(); err != nil {
		return nil, err
	}
	all := append(append([]*lotState{}, inputs...), outputs...)
	if _, err := t.record(ev, all...); err != nil {
		return nil, err
	}
	for _, in := range inputs {
		for _, o := range outputs {
			in.rec.Outputs = append(in.rec.Outputs, o.rec.ID)
		}
	}
	if err := t.putLots(all...); err != nil {
		return nil, err
	}
	res := make([]ledger.LotSummary, 0, len(outputs))
	for _, o := range outputs {
		res = append(res, *o.rec)
	}
	return res, t.commit()
}
