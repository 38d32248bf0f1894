package chaincode

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// QueryContract reads the ledger. Its functions write nothing and may be
// evaluated on any member's peer.
type QueryContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*QueryContract) GetName() string { return "Query" }

// GetEvent returns the EPCIS 2.0 event with id (its CBV 2.0 event hash) as
// stored: JSON-LD with @context.
func (*QueryContract) GetEvent(ctx contractapi.TransactionContextInterface, id string) (_ string, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	k, err := t.key(ledger.ObjectEvent, id)
	if err != nil {
		return "", err
	}
	b, err := t.raw(k)
	if err != nil {
		return "", err
	}
	if b == nil {
		return "", errorf(ErrNotFound, "no EPCIS event %q", id)
	}
	return string(b), nil
}

// GetLot returns a lot's summary; a lot made from a recalled lot is
// reported as recalled, with the recalled lots in recalledVia.
func (*QueryContract) GetLot(ctx contractapi.TransactionContextInterface, lot string) (_ *ledger.LotSummary, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	l, err := t.lotByLink("lot", lot)
	if err != nil {
		return nil, err
	}
	eff, err := t.effective(*l.rec)
	if err != nil {
		return nil, err
	}
	return &eff, nil
}

// epcisDocument is an EPCIS 2.0 document of stored events.
type epcisDocument struct {
	Context       json.RawMessage `json:"@context"`
	Type          string          `json:"type"`
	SchemaVersion string          `json:"schemaVersion"`
	CreationDate  string          `json:"creationDate"`
	EPCISBody     struct {
		EventList []json.RawMessage `json:"eventList"`
	} `json:"epcisBody"`
}

// GetLotEvents returns the EPCIS events of a lot in time order, as an
// EPCIS 2.0 document (JSON-LD). Events recorded in one transaction share
// a time and are ordered by event id.
func (*QueryContract) GetLotEvents(ctx contractapi.TransactionContextInterface, lot string) (_ string, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	l, err := t.lotByLink("lot", lot)
	if err != nil {
		return "", err
	}
	it, err := t.stub.GetStateByPartialCompositeKey(ledger.ObjectLotEvent, []string{l.rec.GTIN, l.rec.Lot})
	if err != nil {
		return "", err
	}
	defer it.Close()
	doc := epcisDocument{
		Context: epcis.DefaultContext(),
		Type:    "EPCISDocument", SchemaVersion: "2.0",
		CreationDate: t.now.Format("2006-01-02T15:04:05.000Z07:00"),
	}
	doc.EPCISBody.EventList = []json.RawMessage{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", err
		}
		var id string
		if err := json.Unmarshal(kv.Value, &id); err != nil {
			return "", err
		}
		ek, err := t.key(ledger.ObjectEvent, id)
		if err != nil {
			return "", err
		}
		b, err := t.raw(ek)
		if err != nil {
			return "", err
		}
		if b == nil {
			return "", errorf(ErrNotFound, "indexed EPCIS event %s is missing", id)
		}
		doc.EPCISBody.EventList = append(doc.EPCISBody.EventList, b)
	}
	out, err := marshalCanonical(doc)
	return string(out), err
}

func (*QueryContract) trace(ctx contractapi.TransactionContextInterface, lot, direction string) (*ledger.Trace, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	l, err := t.lotByLink("lot", lot)
	if err != nil {
		return nil, err
	}
	lots, edges, err := t.trace(l.rec, direction)
	if err != nil {
		return nil, err
	}
	for i := range lots {
		if lots[i], err = t.effective(lots[i]); err != nil {
			return nil, err
		}
	}
	return &ledger.Trace{Lot: l.rec.ID, Direction: direction, Lots: lots, Edges: edges}, nil
}

// GetUpstream returns the lots a lot was made from, transitively.
func (q *QueryContract) GetUpstream(ctx contractapi.TransactionContextInterface, lot string) (_ *ledger.Trace, err error) {
	defer classify(&err)
	return q.trace(ctx, lot, ledger.Upstream)
}

// GetDownstream returns the lots made from a lot, transitively.
func (q *QueryContract) GetDownstream(ctx contractapi.TransactionContextInterface, lot string) (_ *ledger.Trace, err error) {
	defer classify(&err)
	return q.trace(ctx, lot, ledger.Downstream)
}

// GetProduct returns a product's master data by GTIN.
func (*QueryContract) GetProduct(ctx contractapi.TransactionContextInterface, gtin string) (_ *ledger.Product, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	g, err := gtin14("gtin", gtin)
	if err != nil {
		return nil, err
	}
	return t.product(g)
}

// GetUnit returns a serialised unit by its Digital Link.
func (*QueryContract) GetUnit(ctx contractapi.TransactionContextInterface, unit string) (_ *ledger.Unit, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	gtin, serial, link, err := parseUnit("unit", unit)
	if err != nil {
		return nil, err
	}
	k, err := t.key(ledger.ObjectUnit, gtin, serial)
	if err != nil {
		return nil, err
	}
	var u ledger.Unit
	ok, err := t.get(k, &u)
	if err != nil {
		return nil, err
	}
	if !ok || u.ID != link {
		return nil, errorf(ErrNotFound, "unknown unit %s", link)
	}
	return &u, nil
}

// GetShipment returns a shipment by id (its Ship transaction id).
func (*QueryContract) GetShipment(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.Shipment, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	return t.shipment(id)
}

// GetLogisticUnit returns a logistic unit by SSCC or SSCC Digital Link.
func (*QueryContract) GetLogisticUnit(ctx contractapi.TransactionContextInterface, sscc string) (_ *ledger.LogisticUnit, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	u, link, err := t.logisticUnit("sscc", sscc)
	if err != nil {
		return nil, err
	}
	if u.rec == nil {
		return nil, errorf(ErrNotFound, "unknown logistic unit %s", link)
	}
	return u.rec, nil
}

// GetInspection returns a submitted inspection report by report id.
func (*QueryContract) GetInspection(ctx contractapi.TransactionContextInterface, reportID string) (_ *ledger.InspectionRecord, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	return load[ledger.InspectionRecord](t, "inspection report", ledger.ObjectInspection, reportID)
}
