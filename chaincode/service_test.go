package chaincode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

const ticketA = "tkt-abcdefghijklmnopqrstuvwxyz"

func serviceReq(subject string) ledger.ServiceRequest {
	return ledger.ServiceRequest{Ticket: ticketA, Subject: subject, Topic: "complaint", MessageSHA256: strings.Repeat("0f", 32)}
}

func TestServiceFileAndAnswer(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	before := e.lot(l.ID)

	var tk ledger.ServiceTicket
	ev := e.okJSON(&tk, brand, "Service:File", mustJSON(serviceReq(l.ID)))
	if tk.ID != ticketA || tk.GTIN != gtinTomato || tk.Lot != l.ID || tk.Brand != brand || tk.Topic != "complaint" || tk.FiledAt != ev.Timestamp || tk.AnswerEvent != "" {
		t.Fatalf("ticket = %+v", tk)
	}
	// One event of the product class, no lot touched: the lot's events
	// and chain stay as they were.
	if len(ev.EPCIS) != 1 || len(ev.Lots) != 0 || len(ev.Products) != 0 {
		t.Fatalf("payload = %+v", ev)
	}
	var filed epcis.Event
	if err := json.Unmarshal(ev.EPCIS[0], &filed); err != nil {
		t.Fatal(err)
	}
	var x ledger.ServiceExt
	if err := json.Unmarshal(filed.Extensions[ledger.ServiceMember], &x); err != nil {
		t.Fatalf("%s: %v", ev.EPCIS[0], err)
	}
	if filed.EventID != tk.FiledEvent || filed.BizStep != ledger.BizStepServiceRequest || len(filed.QuantityList) != 1 ||
		filed.QuantityList[0].EPCClass != "https://id.gs1.org/01/"+gtinTomato || x.Ticket != ticketA || x.Step != ledger.ServiceFiled ||
		x.MessageSHA256 != strings.Repeat("0f", 32) || x.Lot != l.ID {
		t.Fatalf("filed event = %s", ev.EPCIS[0])
	}
	if after := e.lot(l.ID); after.Counts.Events != before.Counts.Events || after.EventChain != before.EventChain {
		t.Fatalf("lot changed: %+v → %+v", before.Counts, after.Counts)
	}
	e.fail(brand, "ticket "+ticketA+" is already filed", "Service:File", mustJSON(serviceReq(l.ID)))

	ans := ledger.ServiceAnswer{Ticket: ticketA, Outcome: "refunded"}
	e.fail(supplier, `SupplierMSP does not hold role "brand"`, "Service:Answer", mustJSON(ans))
	var got ledger.ServiceTicket
	aev := e.okJSON(&got, brand, "Service:Answer", mustJSON(ans))
	if got.Outcome != "refunded" || got.AnsweredAt != aev.Timestamp || got.AnswerEvent == "" || got.FiledEvent != tk.FiledEvent || len(aev.EPCIS) != 1 {
		t.Fatalf("answered ticket = %+v", got)
	}
	e.fail(brand, "ticket "+ticketA+" was already answered on "+aev.Timestamp, "Service:Answer", mustJSON(ans))
	var q ledger.ServiceTicket
	e.queryJSON(&q, lab, "Service:GetTicket", ticketA)
	if q != got {
		t.Fatalf("GetTicket = %+v, want %+v", q, got)
	}
}

func TestServiceRejections(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier","brand"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`)
	l := e.setupLot("L1")
	req := func(mut func(*ledger.ServiceRequest)) string {
		r := serviceReq(l.ID)
		mut(&r)
		return mustJSON(r)
	}
	tests := []struct{ name, caller, fn, arg, want string }{
		{"not the owner", supplier, "Service:File", req(func(*ledger.ServiceRequest) {}), "belongs to BrandMSP; SupplierMSP cannot file tickets"},
		{"no brand role", lab, "Service:File", req(func(*ledger.ServiceRequest) {}), `LabMSP does not hold role "brand"`},
		{"bad ticket", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.Ticket = "ticket-1" }), `ticket id "ticket-1" is not tkt-`},
		{"bad topic", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.Topic = "praise" }), `topic "praise" is not one of`},
		{"message, not its hash", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.MessageSHA256 = "my name is Alice" }), "is not 64 lower-case hex digits"},
		{"product subject", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.Subject = "https://id.gs1.org/01/" + gtinTomato }), "names neither a lot nor a unit"},
		{"unknown lot", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.Subject = lotURI(gtinTomato, "NOPE") }), "unknown lot"},
		{"unknown unit", brand, "Service:File", req(func(r *ledger.ServiceRequest) { r.Subject = l.ID + "/21/S9" }), "unknown unit"},
		{"unknown field", brand, "Service:File", `{"ticket":"` + ticketA + `","name":"Alice"}`, `unknown field "name"`},
		{"answer unknown ticket", brand, "Service:Answer", mustJSON(ledger.ServiceAnswer{Ticket: ticketA, Outcome: "answered"}), `no ticket "` + ticketA + `"`},
		{"answer bad outcome", brand, "Service:Answer", mustJSON(ledger.ServiceAnswer{Ticket: ticketA, Outcome: "ignored"}), `outcome "ignored"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, tt.fn, tt.arg)
		})
	}
	// A brand that holds the role but did not take the ticket cannot answer it.
	e.t = t
	e.ok(brand, "Service:File", req(func(*ledger.ServiceRequest) {}))
	e.fail(supplier, "ticket "+ticketA+" was filed with BrandMSP; SupplierMSP cannot answer it", "Service:Answer", mustJSON(ledger.ServiceAnswer{Ticket: ticketA, Outcome: "answered"}))
}
