package chaincode

import (
	"math"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// ProductContract is the brand owner's: product master data, serialised
// units and recalls.
type ProductContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*ProductContract) GetName() string { return "Product" }

// RegisterProduct registers a GTIN's master data (a ledger.ProductRequest).
// The caller becomes the product's owner.
func (*ProductContract) RegisterProduct(ctx contractapi.TransactionContextInterface, productJSON string) (_ *ledger.Product, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	var req ledger.ProductRequest
	if err := unmarshalStrict([]byte(productJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "product must be a JSON ProductRequest")
	}
	gtin, err := gtin14("product gtin", req.GTIN)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"product name", req.Name}, {"brand", req.Brand}, {"category", req.Category}} {
		if err := checkText(f.name, f.v, maxTextLen); err != nil {
			return nil, err
		}
	}
	if err := checkTempRange(req.TempMinC, req.TempMaxC); err != nil {
		return nil, err
	}
	if req.FoodTraceabilityList != "" {
		if _, ok := ledger.FTLFoodByKey(req.FoodTraceabilityList); !ok {
			return nil, errorf(ErrInvalid, "food traceability list food %q is not on the FDA's list (%s)", req.FoodTraceabilityList, strings.Join(ledger.FTLKeys(), ", "))
		}
	}
	if maxDays := int(MaxShelfLife.Hours() / 24); req.ShelfLifeDays < 1 || req.ShelfLifeDays > maxDays {
		return nil, errorf(ErrInvalid, "shelf life %d days is outside 1 to %d days", req.ShelfLifeDays, maxDays)
	}
	k, err := t.key(ledger.ObjectProduct, gtin)
	if err != nil {
		return nil, err
	}
	var old ledger.Product
	if ok, err := t.get(k, &old); err != nil {
		return nil, err
	} else if ok {
		return nil, errorf(ErrExists, "product %s is already registered by %s", gtin, old.Owner)
	}
	p := &ledger.Product{
		ID: productLink(gtin), GTIN: gtin, Name: req.Name, Brand: req.Brand, Category: req.Category,
		TempMinC: req.TempMinC, TempMaxC: req.TempMaxC, ShelfLifeDays: req.ShelfLifeDays,
		Owner: t.msp, RegisteredAt: t.nowString(), RegisteredTx: t.id,
		FoodTraceabilityList: req.FoodTraceabilityList,
	}
	if err := t.put(k, p); err != nil {
		return nil, err
	}
	return p, t.commit()
}

func checkTempRange(min, max float64) error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"tempMinC", min}, {"tempMaxC", max}} {
		if err := checkFinite(v.name, v.v); err != nil {
			return err
		}
		if v.v < MinTemperatureC || v.v > MaxTemperatureC {
			return errorf(ErrInvalid, "%s %g °C is outside %d to %d °C", v.name, v.v, MinTemperatureC, MaxTemperatureC)
		}
	}
	if min >= max || math.IsNaN(min) {
		return errorf(ErrInvalid, "temperature range %g to %g °C is empty", min, max)
	}
	return nil
}

// product loads a registered product.
func (t *txn) product(gtin string) (*ledger.Product, error) {
	k, err := t.key(ledger.ObjectProduct, gtin)
	if err != nil {
		return nil, err
	}
	var p ledger.Product
	ok, err := t.get(k, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorf(ErrNotFound, "product %s is not registered", gtin)
	}
	return &p, nil
}

// requireOwner loads a lot's product and checks the caller owns it.
func (t *txn) requireOwner(l *lotState, action string) (*ledger.Product, error) {
	p, err := t.product(l.rec.GTIN)
	if err != nil {
		return nil, err
	}
	if p.Owner != t.msp {
		return nil, errorf(ErrForbidden, "product %s belongs to %s; %s cannot %s lot %s", p.GTIN, p.Owner, t.msp, action, l.rec.ID)
	}
	return p, nil
}

// CommissionUnits gives serial numbers to units of a lot: each becomes a
// unit Digital Link (…/01/{GTIN}/10/{lot}/21/{serial}). Only the product's
// owner commissions, and a serial is unique per GTIN.
func (*ProductContract) CommissionUnits(ctx contractapi.TransactionContextInterface, lot string, serials []string) (_ []ledger.Unit, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	l, err := t.lotByLink("lot", lot)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireOwner(l, "commission units of"); err != nil {
		return nil, err
	}
	if err := t.requireNotRecalled(l, "commission units"); err != nil {
		return nil, err
	}
	if len(serials) == 0 || len(serials) > maxListLen {
		return nil, errorf(ErrInvalid, "%d serials given; commission 1 to %d at a time", len(serials), maxListLen)
	}
	units := make([]ledger.Unit, 0, len(serials))
	keys := make([]string, 0, len(serials))
	seen := map[string]bool{}
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep, ev.Disposition = "ADD", "commissioning", "active"
	for _, s := range serials {
		link, err := unitLink("serial", l.rec.GTIN, l.rec.Lot, s)
		if err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, errorf(ErrInvalid, "serial %q is listed twice", s)
		}
		seen[s] = true
		k, err := t.key(ledger.ObjectUnit, l.rec.GTIN, s)
		if err != nil {
			return nil, err
		}
		var old ledger.Unit
		if ok, err := t.get(k, &old); err != nil {
			return nil, err
		} else if ok {
			return nil, errorf(ErrExists, "unit %s is already commissioned (as %s)", link, old.ID)
		}
		ev.EPCList = append(ev.EPCList, link)
		keys = append(keys, k)
		units = append(units, ledger.Unit{
			ID: link, GTIN: l.rec.GTIN, Lot: l.rec.Lot, Serial: s, LotID: l.rec.ID,
			CommissionedBy: t.msp, CommissionedAt: t.nowString(),
		})
	}
	if ev.ILMD, err = (epcis.ILMDExt{LotNumber: l.rec.Lot, ItemExpiration: l.rec.Expiry[:10]}).ILMD(); err != nil {
		return nil, err
	}
	id, err := t.record(ev, l)
	if err != nil {
		return nil, err
	}
	for i := range units {
		units[i].EventID = id
		if err := t.put(keys[i], &units[i]); err != nil {
			return nil, err
		}
	}
	l.rec.Counts.Units += len(units)
	if err := t.putLots(l); err != nil {
		return nil, err
	}
	return units, t.commit()
}

// Recall recalls a lot, with a reason and an FDA-style class (I, II or
// III). Only the product's owner recalls. Lots made from the lot are
// reported as recalled by the Query contract.
func (*ProductContract) Recall(ctx contractapi.TransactionContextInterface, lot, reason, class string) (_ *ledger.Recall, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	l, err := t.lotByLink("lot", lot)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireOwner(l, "recall"); err != nil {
		return nil, err
	}
	if err := checkText("recall reason", reason, maxTextLen); err != nil {
		return nil, err
	}
	switch class {
	case ledger.RecallClassI, ledger.RecallClassII, ledger.RecallClassIII:
	default:
		return nil, errorf(ErrInvalid, "recall class %q is not I, II or III", class)
	}
	if l.rec.Recall != nil {
		return nil, errorf(ErrState, "lot %s is already recalled (%s, at %s)", l.rec.ID, l.rec.Recall.Reason, l.rec.Recall.RecalledAt)
	}
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.Disposition = "OBSERVE", "recalled"
	ev.QuantityList = []epcis.QuantityElement{{EPCClass: l.rec.ID}}
	ev.Recall = &epcis.RecallExt{Reason: reason, Class: class}
	id, err := t.record(ev, l)
	if err != nil {
		return nil, err
	}
	rc := &ledger.Recall{
		Lot: l.rec.ID, Reason: reason, Class: class, RecalledBy: t.msp,
		RecalledAt: t.nowString(), TxID: t.id, EventID: id,
	}
	k, err := t.key(ledger.ObjectRecall, l.rec.GTIN, l.rec.Lot)
	if err != nil {
		return nil, err
	}
	if err := t.put(k, rc); err != nil {
		return nil, err
	}
	l.rec.Recall = rc
	if err := t.putLots(l); err != nil {
		return nil, err
	}
	return rc, t.commit()
}
