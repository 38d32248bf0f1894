package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/receipt/receipttest"
)

// TestServiceReceipt: a lot's receipt (format 5) carries every service event of its
// product and the product's service chain, proven the latest by the
// anchored state, and verifies; a ticket's filing or answer left out, or
// the chain removed, fails with the service event missing
// (receipttest.ServiceCases).
func TestServiceReceipt(t *testing.T) {
	at := time.Date(2025, 11, 1, 11, 0, 0, 0, time.UTC)
	c := &clock{t: at.Add(time.Hour)}
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored, State: true, Now: c.Now})
	sc := fileTicket(t, n, at, 60)
	serviceTx(t, n, at.Add(10*time.Minute), sc, ledger.ServiceExt{Ticket: "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", Step: ledger.ServiceAnswered, Outcome: "answered"})
	n.Anchor(t)
	res := get(t, n.API, juice+"?format=receipt", "")
	if res.code != http.StatusOK {
		t.Fatalf("receipt: %d %s", res.code, res.body)
	}
	base, err := receipt.Parse(res.body)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := receipttest.ServiceCases(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r, _, err := tc.Apply(res.body)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := receipt.Verify(context.Background(), r, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := serviceFailures(rep)
			if tc.Tamper == nil {
				// The fixture's lot events carry made-up ids, so only the
				// service part and the state are checked here.
				if rep.Service == nil || !rep.Service.OK() || rep.Service.Events != 2 || rep.Service.Shown != 2 || !rep.State.OK() || r.Version != receipt.Version {
					t.Fatalf("untampered: service %+v, state %+v, version %d:\n%s", rep.Service, rep.State, r.Version, got)
				}
				if len(r.Claims) != 1 || r.Claims[0].Status != "holds" {
					t.Errorf("claims %+v, want the service claim holding", r.Claims)
				}
				return
			}
			if rep.OK() || rep.Service.OK() || !strings.Contains(got, string(tc.Part)+": ") || !strings.Contains(got, tc.Want) {
				t.Errorf("want a %s failure naming %q; got:\n%s", tc.Part, tc.Want, got)
			}
		})
	}
}

// serviceFailures lists rep's failures.
func serviceFailures(rep *receipt.Report) string {
	var out []string
	add := func(fs []*receipt.PartError) {
		for _, f := range fs {
			out = append(out, f.Error())
		}
	}
	for _, v := range append(rep.Verdicts, rep.Records...) {
		add(v.Failures)
	}
	for _, c := range rep.Claims {
		add(c.Failures)
	}
	add(rep.Subject)
	for _, l := range rep.Lots {
		add(l.Failures)
	}
	if rep.State != nil {
		add(rep.State.Failures)
	}
	if rep.Service != nil {
		add(rep.Service.Failures)
	}
	return strings.Join(out, "\n")
}

// TestServiceReceiptBeforeChains: a product whose service_within claim and
// service events were recorded before service chains (no chain record,
// as on a ledger or a layout-6 index from before them) gets a format 4
// receipt, which verifies as format 4 did and names what it does not
// prove, rather than a format 5 one failing for a missing chain.
func TestServiceReceiptBeforeChains(t *testing.T) {
	at := time.Date(2025, 11, 1, 11, 0, 0, 0, time.UTC)
	c := &clock{t: at.Add(time.Hour)}
	legacy := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored, State: true, Now: c.Now})
	fileTicketLegacy(t, legacy, at, 60)
	res := get(t, legacy.API, juice+"?format=receipt", "")
	if res.code != http.StatusOK {
		t.Fatalf("legacy receipt: %d %s", res.code, res.body)
	}
	r, err := receipt.Parse(res.body)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := receipt.Verify(context.Background(), r, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 4 || rep.Service != nil || !rep.State.OK() {
		t.Fatalf("version %d, service %+v, state %+v: want format 4, no service verdict, state proven:\n%s", r.Version, rep.Service, rep.State, serviceFailures(rep))
	}
	if lim := strings.Join(r.Limits(), "\n"); !strings.Contains(lim, "no service event of the product was left out") {
		t.Errorf("limits do not name the service events:\n%s", lim)
	}
}

// fileTicketLegacy is fileTicket as a chaincode before service chains
// recorded it: the claim and the filing, no chain record.
func fileTicketLegacy(t *testing.T, n *apitest.Node, at time.Time, minutes int) {
	t.Helper()
	ts := ledger.FormatTime(at)
	product := "https://id.gs1.org/01/" + apitest.GTINJuice
	c := ledger.Claim{ID: "claim-svc", Subject: product, GTIN: apitest.GTINJuice, Kind: ledger.ClaimService, Wording: "Answered within the hour",
		Params: ledger.ClaimParams{Service: &ledger.ServiceParams{AnswerMinutes: minutes, WindowDays: 30}}, Brand: "BrandMSP", RegisteredAt: ts, RegisteredTx: "svc-claim",
		SchemaVersion: ledger.RecordSchema}
	n.Apply(t, ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "svc-claim", Timestamp: ts, Claims: []ledger.Claim{c}})
	ev, _ := serviceEvent(t, at, product, ledger.ServiceExt{Ticket: "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", Step: ledger.ServiceFiled, Topic: "complaint",
		MessageSHA256: strings.Repeat("a", 64), Lot: apitest.LotJuice})
	n.Apply(t, ledger.Event{Function: "Service:File", MSPID: "BrandMSP", TxID: "svc-filed", Timestamp: ts, EPCIS: []json.RawMessage{ev}})
	n.Anchor(t)
}
