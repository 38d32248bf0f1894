package chaincode

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// ServiceContract records after-sales service: consumers' tickets, filed
// by the brand's node on their behalf, and the brand's answers, as EPCIS
// events with a pseudonymous ticket id and a salted message hash only
// (ledger.ServiceExt). Claims of kind service_within are judged on them.
// Each service event extends its product's service chain
// (ledger.ServiceChain, an anchored record), and registering a
// service_within claim starts it, so that a receipt proves the product's
// service events complete.
type ServiceContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*ServiceContract) GetName() string { return "Service" }

// File records a consumer's ticket (a ledger.ServiceRequest) about a lot
// or unit of a product the caller owns. The ticket id is the node's, drawn
// at random; a ticket id is filed once.
func (*ServiceContract) File(ctx contractapi.TransactionContextInterface, requestJSON string) (_ *ledger.ServiceTicket, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	var req ledger.ServiceRequest
	if err := unmarshalStrict([]byte(requestJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "request must be a JSON ServiceRequest")
	}
	if err := req.Check(); err != nil {
		return nil, wrapf(ErrInvalid, err, "service request")
	}
	l, err := parseLink("subject", req.Subject)
	if err != nil {
		return nil, err
	}
	if l.CPV != "" || l.Lot == "" || l.Level() != digitallink.Lot && l.Level() != digitallink.Unit {
		return nil, errorf(ErrInvalid, "subject %q names neither a lot nor a unit of a lot", truncate(req.Subject, 200))
	}
	lot, err := t.lotByLink("subject", l.LotLink().String())
	if err != nil {
		return nil, err
	}
	if l.Serial != "" {
		uk, err := t.key(ledger.ObjectUnit, l.GTIN, l.Serial)
		if err != nil {
			return nil, err
		}
		if ok, err := t.exists(uk); err != nil {
			return nil, err
		} else if !ok {
			return nil, errorf(ErrNotFound, "unknown unit %s", l.String())
		}
	}
	p, err := t.product(lot.rec.GTIN)
	if err != nil {
		return nil, err
	}
	if p.Owner != t.msp {
		return nil, errorf(ErrForbidden, "product %s belongs to %s; %s cannot file tickets about it", p.GTIN, p.Owner, t.msp)
	}
	k, err := t.key(ledger.ObjectServiceTicket, req.Ticket)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(k); err != nil {
		return nil, err
	} else if ok {
		return nil, errorf(ErrExists, "ticket %s is already filed", req.Ticket)
	}
	ext := ledger.ServiceExt{Ticket: req.Ticket, Step: ledger.ServiceFiled, Topic: req.Topic, MessageSHA256: req.MessageSHA256, Lot: lot.rec.ID}
	id, err := t.recordService(ledger.BizStepServiceRequest, p.GTIN, ext)
	if err != nil {
		return nil, err
	}
	tk := &ledger.ServiceTicket{ID: req.Ticket, GTIN: p.GTIN, Lot: lot.rec.ID, Brand: t.msp, Topic: req.Topic, FiledAt: t.nowString(), FiledEvent: id}
	if err := t.putIndex(k, tk); err != nil {
		return nil, err
	}
	return tk, t.commit()
}

// Answer records the brand's answer to a ticket (a ledger.ServiceAnswer):
// only the brand the ticket was filed with, once.
func (*ServiceContract) Answer(ctx contractapi.TransactionContextInterface, answerJSON string) (_ *ledger.ServiceTicket, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	var a ledger.ServiceAnswer
	if err := unmarshalStrict([]byte(answerJSON), &a); err != nil {
		return nil, wrapf(ErrInvalid, err, "answer must be a JSON ServiceAnswer")
	}
	if err := a.Check(); err != nil {
		return nil, wrapf(ErrInvalid, err, "service answer")
	}
	tk, k, err := t.ticket(a.Ticket)
	if err != nil {
		return nil, err
	}
	switch {
	case tk.Brand != t.msp:
		return nil, errorf(ErrForbidden, "ticket %s was filed with %s; %s cannot answer it", tk.ID, tk.Brand, t.msp)
	case tk.AnswerEvent != "":
		return nil, errorf(ErrState, "ticket %s was already answered on %s", tk.ID, tk.AnsweredAt)
	}
	ext := ledger.ServiceExt{Ticket: a.Ticket, Step: ledger.ServiceAnswered, Outcome: a.Outcome, MessageSHA256: a.MessageSHA256}
	id, err := t.recordService(ledger.BizStepServiceResponse, tk.GTIN, ext)
	if err != nil {
		return nil, err
	}
	tk.Outcome, tk.AnsweredAt, tk.AnswerEvent = a.Outcome, t.nowString(), id
	if err := t.putIndex(k, tk); err != nil {
		return nil, err
	}
	return tk, t.commit()
}

// GetTicket returns a ticket's state by id.
func (*ServiceContract) GetTicket(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.ServiceTicket, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	tk, _, err := t.ticket(id)
	return tk, err
}

func (t *txn) ticket(id string) (*ledger.ServiceTicket, string, error) {
	if err := ledger.CheckTicketID(id); err != nil {
		return nil, "", wrapf(ErrInvalid, err, "ticket")
	}
	k, err := t.key(ledger.ObjectServiceTicket, id)
	if err != nil {
		return nil, "", err
	}
	var tk ledger.ServiceTicket
	if ok, err := t.get(k, &tk); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", errorf(ErrNotFound, "no ticket %q", id)
	}
	return &tk, k, nil
}

// recordService records a service event about product gtin: an
// ObjectEvent OBSERVE of the product class, so that it is no lot's event.
func (t *txn) recordService(bizStep, gtin string, ext ledger.ServiceExt) (string, error) {
	b, err := json.Marshal(ext)
	if err != nil {
		return "", err
	}
	ev := t.newEvent(epcis.ObjectEvent)
	ev.Action, ev.BizStep = epcis.ActionObserve, bizStep
	ev.QuantityList = []epcis.QuantityElement{{EPCClass: productLink(gtin)}}
	ev.Extensions = map[string]json.RawMessage{ledger.ServiceMember: b}
	id, err := t.record(ev)
	if err != nil {
		return "", err
	}
	// The product's service chain commits to its service events, so a
	// receipt can prove none left out (ledger.ServiceChain).
	sc, k, _, err := t.serviceChain(gtin)
	if err != nil {
		return "", err
	}
	sc.Events++
	sc.EventChain = ledger.NextEventChain(sc.EventChain, id)
	sc.LastEvent, sc.UpdatedAt, sc.UpdatedTx = id, t.nowString(), t.id
	return id, t.put(k, sc)
}

// serviceChain is product gtin's service chain, new (no event) when it
// has none yet, with its key.
func (t *txn) serviceChain(gtin string) (*ledger.ServiceChain, string, bool, error) {
	k, err := t.key(ledger.ObjectServiceChain, gtin)
	if err != nil {
		return nil, "", false, err
	}
	sc := &ledger.ServiceChain{Product: productLink(gtin), GTIN: gtin}
	ok, err := t.get(k, sc)
	return sc, k, ok, err
}

// startServiceChain records product gtin's service chain, with no event,
// when a service_within claim is registered on a product that has none:
// from then on a receipt of the claim proves the product's service events
// complete, none at all included.
func (t *txn) startServiceChain(gtin string) error {
	sc, k, ok, err := t.serviceChain(gtin)
	if err != nil || ok {
		return err
	}
	sc.UpdatedAt, sc.UpdatedTx = t.nowString(), t.id
	return t.put(k, sc)
}
