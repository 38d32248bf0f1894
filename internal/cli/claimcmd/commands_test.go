package claimcmd_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/claimcmd"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

const (
	producerGLN = "9506000134376"
	signerAddr  = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	at          = "2025-06-04T12:00:00Z"
)

// fakeLedger holds lot L1, grown at producerGLN with one lab report, and
// the claims claims about its product; err answers every call, productErr
// the product's.
type fakeLedger struct {
	err, productErr error
	claims          []ledger.Claim
	events          string
}

func (f fakeLedger) claim(id string, req ledger.ClaimRequest) *ledger.Claim {
	return &ledger.Claim{ID: id, Subject: req.Subject, GTIN: gtin, Kind: req.Kind, Wording: req.Wording, Params: req.Params,
		Brand: "BrandMSP", RegisteredAt: "2025-06-02T08:00:00Z", RegisteredTx: "tx2"}
}

func (f fakeLedger) RegisterClaim(_ context.Context, req ledger.ClaimRequest, _ ...client.CallOption) (*ledger.Claim, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.claim("claim-tx2", req), nil
}

func (f fakeLedger) SupersedeClaim(_ context.Context, oldID string, req ledger.ClaimRequest, _ ...client.CallOption) (*ledger.Claim, error) {
	if f.err != nil {
		return nil, f.err
	}
	c := f.claim("claim-tx2", req)
	c.Supersedes = oldID
	return c, nil
}

func (f fakeLedger) Claim(_ context.Context, id string, _ ...client.CallOption) (*ledger.Claim, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.claim(id, ledger.ClaimRequest{Subject: gtin, Kind: ledger.ClaimOriginIn, Wording: "Grown in Lazio"}), nil
}

func (f fakeLedger) Claims(context.Context, string, ...client.CallOption) ([]ledger.Claim, error) {
	return f.claims, f.err
}

func (f fakeLedger) Lot(_ context.Context, id string, _ ...client.CallOption) (*ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LotSummary{ID: lot, GTIN: gtin, Lot: "L1", Status: ledger.StatusActive,
		Origin: &ledger.Origin{Producer: "https://id.gs1.org/414/" + producerGLN}}, nil
}

func (f fakeLedger) Product(_ context.Context, gtin string, _ ...client.CallOption) (*ledger.Product, error) {
	if f.productErr != nil {
		return nil, f.productErr
	}
	return &ledger.Product{GTIN: gtin, TempMinC: 2, TempMaxC: 8}, nil
}

func (f fakeLedger) LotEvents(context.Context, string, ...client.CallOption) (json.RawMessage, error) {
	if f.events != "" {
		return json.RawMessage(f.events), nil
	}
	return json.RawMessage(`{"epcisBody":{"eventList":[
		{"type":"ObjectEvent","eventID":"ni:///sha-256;o","eventTime":"2025-06-01T06:00:00Z","action":"ADD","bizStep":"commissioning",
		 "epcList":["` + lot + `"],"ilmd":{"cbvmda:countryOfOrigin":"IT"}},
		{"type":"ObjectEvent","eventID":"ni:///sha-256;i","eventTime":"2025-06-02T06:00:00Z","action":"OBSERVE","bizStep":"inspecting",
		 "epcList":["` + lot + `"],"tl:inspection":{"tl:reportId":"R-1","tl:signer":"` + signerAddr + `"}}]}}`), nil
}

func (f fakeLedger) Upstream(_ context.Context, id string, _ ...client.CallOption) (*ledger.Trace, error) {
	return &ledger.Trace{Lot: id, Direction: ledger.Upstream}, nil
}

func (f fakeLedger) Inspection(_ context.Context, id string, _ ...client.CallOption) (*ledger.InspectionRecord, error) {
	return &ledger.InspectionRecord{Signer: signerAddr, Lab: "LabMSP", EventID: "ni:///sha-256;i"}, nil
}

// LabSigner does not know the report's signer: the report does not count,
// which is no error.
func (f fakeLedger) LabSigner(_ context.Context, addr string, _ ...client.CallOption) (*ledger.LabSigner, error) {
	return nil, cmdtest.Refused(client.ErrNotFound, "Lab:GetLabSigner", "no lab signer "+addr)
}

func (fakeLedger) Close() error { return nil }

func originClaim(id, region, gln string) ledger.Claim {
	return ledger.Claim{ID: id, Subject: gtin, GTIN: gtin, Kind: ledger.ClaimOriginIn, Wording: "Grown in " + region,
		Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: region, GLNs: []string{gln}}}, Brand: "BrandMSP"}
}

func TestClaimCommands(t *testing.T) {
	lazio := originClaim("claim-1", "Lazio", producerGLN)
	bavaria := originClaim("claim-2", "Bavaria", "4260123451004")
	old := originClaim("claim-0", "Italy", "4260123451004")
	old.SupersededBy = "claim-1"
	holding := cmdtest.Ledger{Client: fakeLedger{claims: []ledger.Claim{old, lazio}}}
	failing := cmdtest.Ledger{Client: fakeLedger{claims: []ledger.Claim{lazio, bavaria}}}
	none := cmdtest.Ledger{Client: fakeLedger{}}
	down := cmdtest.Ledger{Err: cmdtest.Unavailable()}
	refused := func(class error, fn, reason string) cmdtest.Ledger {
		return cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(class, fn, reason)}}
	}
	const coldChain = `{"subject":"` + gtin + `","kind":"cold_chain","wording":"Cold chain all the way","params":{"coldChain":{"maxGapMinutes":120}}}`
	add := []string{"add", "-f", "-"}
	check := []string{"check", lot, "--at", at}
	cmdtest.RunCases(t, claimcmd.NewCmd, []cmdtest.Case{
		{Name: "add table", Args: add, Stdin: coldChain, Ledger: none, Out: "Claim:       claim-tx2\nSubject:     " + gtin + "\nKind:        cold_chain\n"},
		{Name: "add json", Args: append(add, "-o", "json"), Stdin: coldChain, Ledger: none,
			JSON: `{"id":"claim-tx2","subject":"` + gtin + `","gtin":"` + gtin + `","kind":"cold_chain","wording":"Cold chain all the way",
				"params":{"coldChain":{"maxGapMinutes":120}},"brand":"BrandMSP","registeredAt":"2025-06-02T08:00:00Z","registeredTx":"tx2"}`},
		{Name: "add superseding", Args: append(add, "--supersedes", "claim-tx1", "-o", "json"), Stdin: coldChain, Ledger: none, Out: `"supersedes": "claim-tx1"`},
		{Name: "show table", Args: []string{"show", "claim-9"}, Ledger: none, Out: "Claim:       claim-9\n"},
		{Name: "show json", Args: []string{"show", "claim-9", "-o", "json"}, Ledger: none, Out: `"wording": "Grown in Lazio"`},
		{Name: "list table", Args: []string{"list", gtin}, Ledger: holding, Out: "claim-0  origin_in  " + gtin + "  Grown in Italy  superseded by claim-1\n"},
		{Name: "list json", Args: []string{"list", gtin, "-o", "json"}, Ledger: holding, Out: `"supersededBy": "claim-1"`},
		{Name: "list none", Args: []string{"list", gtin}, Ledger: none, Out: "no claims about product " + gtin},
		{Name: "list none json", Args: []string{"list", gtin, "-o", "json"}, Ledger: none, JSON: `[]`},
		{Name: "check holds", Args: check, Ledger: holding,
			Out: "HOLDS    Grown in Lazio — the origin (https://id.gs1.org/414/" + producerGLN + ") lies in Lazio\n         claim: claim-1\n         evidence: ni:///sha-256;o\n"},
		{Name: "check json", Args: append(check, "-o", "json"), Ledger: holding,
			JSON: `[{"claim":"claim-1","kind":"origin_in","wording":"Grown in Lazio","lot":"` + lot + `","status":"holds",
				"reason":"the origin (https://id.gs1.org/414/` + producerGLN + `) lies in Lazio","evidence":["ni:///sha-256;o"],"evaluatedAt":"2025-06-04T12:00:00.000000000Z"}]`},
		{Name: "check without product", Args: check, Ledger: cmdtest.Ledger{Client: fakeLedger{claims: []ledger.Claim{lazio},
			productErr: cmdtest.Refused(client.ErrNotFound, "Product:GetProduct", "no product "+gtin)}}, Out: "HOLDS    Grown in Lazio"},
		{Name: "check no claims", Args: check, Ledger: none, Out: "no claims about this lot"},
		{Name: "check fails", Args: check, Ledger: failing, Code: cmdutil.ExitRejected, Out: "FAILS    Grown in Bavaria",
			Err: "1 of 2 claims about " + lot + " fail: Grown in Bavaria"},

		{Name: "add refused", Args: add, Stdin: coldChain, Ledger: refused(client.ErrForbidden, "Claim:RegisterClaim", "only the product's brand may claim"),
			Code: cmdutil.ExitRejected, Err: "Claim:RegisterClaim rejected: only the product's brand may claim"},
		{Name: "supersede unknown", Args: append(add, "--supersedes", "claim-x"), Stdin: coldChain, Ledger: refused(client.ErrNotFound, "Claim:SupersedeClaim", "no claim claim-x"),
			Code: cmdutil.ExitRejected, Err: "no claim claim-x"},
		{Name: "show unknown", Args: []string{"show", "claim-9"}, Ledger: refused(client.ErrNotFound, "Claim:GetClaim", "no claim claim-9"),
			Code: cmdutil.ExitRejected, Err: "no claim claim-9"},
		{Name: "check unknown lot", Args: check, Ledger: refused(client.ErrNotFound, "Query:GetLot", "lot "+lot+" not found"),
			Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "check bad events", Args: check, Ledger: cmdtest.Ledger{Client: fakeLedger{events: "not json"}},
			Code: cmdutil.ExitFailure, Err: "events of " + lot},
		{Name: "add unreachable", Args: add, Stdin: coldChain, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable at 127.0.0.1:1"},
		{Name: "list unreachable", Args: []string{"list", gtin}, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
		{Name: "check unreachable", Args: check, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Unavailable()}}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
