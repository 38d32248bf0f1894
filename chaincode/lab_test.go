package chaincode

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

func TestLabSigners(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier"],"LabMSP":["lab"],"LogisticsMSP":["logistics","lab"]}`)
	addr := crypto.PubkeyToAddress(e.labKey.PublicKey).Hex()
	var s ledger.LabSigner
	ev := e.okJSON(&s, lab, "Lab:RegisterLabSigner", strings.ToLower(addr), "Lab One", "ISO/IEC 17025 D-PL-1")
	if s.Address != addr || s.Lab != lab || s.Revoked || len(ev.LabSigners) != 1 {
		t.Fatalf("RegisterLabSigner = %+v", s)
	}
	other := "0x" + strings.Repeat("ab", 20)
	e.ok(logistics, "Lab:RegisterLabSigner", other, "Lab Two", "ISO/IEC 17025 X")

	mixed := []byte(addr)
	for i := 2; i < len(mixed); i++ { // flip the case of the first letter: checksum breaks
		if mixed[i] >= 'a' && mixed[i] <= 'f' || mixed[i] >= 'A' && mixed[i] <= 'F' {
			mixed[i] ^= 0x20
			break
		}
	}
	for _, tt := range []struct {
		name, caller, addr, labName, accr, want string
	}{
		{"duplicate", lab, addr, "n", "a", "signer " + addr + " is already registered by LabMSP"},
		{"duplicate other lab", logistics, addr, "n", "a", "already registered by LabMSP"},
		{"no 0x", lab, addr[2:], "n", "a", "is not 0x followed by 40 hex digits"},
		{"short", lab, addr[:41], "n", "a", "is not 0x followed by 40 hex digits"},
		{"checksum", lab, string(mixed), "n", "a", "fails its EIP-55 checksum"},
		{"zero", lab, "0x" + strings.Repeat("0", 40), "n", "a", "is the zero address"},
		{"no name", lab, "0x" + strings.Repeat("cd", 20), "", "a", "lab name is required"},
		{"no accreditation", lab, "0x" + strings.Repeat("cd", 20), "n", " ", "accreditation is required"},
		{"brand", brand, "0x" + strings.Repeat("cd", 20), "n", "a", `BrandMSP does not hold role "lab"`},
		{"supplier", supplier, "0x" + strings.Repeat("cd", 20), "n", "a", `does not hold role "lab"`},
		{"outsider", outsider, "0x" + strings.Repeat("cd", 20), "n", "a", "not a member"},
	} {
		t.Run("register "+tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, "Lab:RegisterLabSigner", tt.addr, tt.labName, tt.accr)
		})
	}
	e.t = t
	var list []ledger.LabSigner
	e.queryJSON(&list, brand, "Lab:ListLabSigners")
	if len(list) != 2 || list[0].Address != addr && list[1].Address != addr {
		t.Fatalf("ListLabSigners = %+v", list)
	}
	for _, tt := range []struct {
		name, caller, addr, reason, want string
	}{
		{"other lab's", logistics, addr, "lost", "signer " + addr + " belongs to LabMSP; LogisticsMSP cannot revoke it"},
		{"unknown", lab, "0x" + strings.Repeat("cd", 20), "lost", "no lab signer"},
		{"no reason", lab, addr, "", "revocation reason is required"},
		{"bad address", lab, "0x12", "lost", "is not 0x followed by 40 hex digits"},
		{"brand", brand, addr, "lost", `does not hold role "lab"`},
	} {
		t.Run("revoke "+tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, "Lab:RevokeLabSigner", tt.addr, tt.reason)
		})
	}
	e.t = t
	e.okJSON(&s, lab, "Lab:RevokeLabSigner", addr, "key compromised")
	if !s.Revoked || s.RevokedReason != "key compromised" || s.RevokedAt == "" {
		t.Fatalf("revoked signer = %+v", s)
	}
	e.fail(lab, "is already revoked", "Lab:RevokeLabSigner", addr, "again")
	e.fail(lab, "revoked at", "Lab:RegisterLabSigner", addr, "Lab One", "ISO")
	var got ledger.LabSigner
	e.queryJSON(&got, supplier, "Lab:GetLabSigner", "0x"+strings.ToUpper(addr[2:]))
	if got != s {
		t.Fatalf("GetLabSigner = %+v, want %+v", got, s)
	}
	e.queryFail(brand, "no lab signer", "Lab:GetLabSigner", "0x"+strings.Repeat("cd", 20))
	e.queryFail(brand, "is not 0x", "Lab:GetLabSigner", "0x")
}

func TestSubmitInspection(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier"],"LabMSP":["lab"],"LogisticsMSP":["logistics","lab"]}`)
	l := e.setupLot("L1")
	l2 := e.setupLot("L2")
	addr := e.registerLabKey()

	r := e.report("R-1", l.ID, l2.ID)
	sig := sign(t, r, e.labKey)
	var rec ledger.InspectionRecord
	ev := e.okJSON(&rec, lab, "Lab:SubmitInspection", mustJSON(r), sig)
	if rec.Signer != addr || rec.Lab != lab || rec.EventID == "" || rec.Signature != sig || len(ev.Inspections) != 1 || len(ev.Lots) != 2 {
		t.Fatalf("SubmitInspection = %+v", rec)
	}
	var epc struct {
		BizStep           string `json:"bizStep"`
		Disposition       string `json:"disposition"`
		CertificationInfo string `json:"certificationInfo"`
		Inspection        struct {
			ReportID string `json:"tl:reportId"`
			Signer   string `json:"tl:signer"`
		} `json:"tl:inspection"`
	}
	if err := json.Unmarshal(ev.EPCIS[0], &epc); err != nil || epc.BizStep != "inspecting" || epc.Disposition != "conformant" ||
		epc.CertificationInfo != r.Document.URI || epc.Inspection.ReportID != "R-1" || epc.Inspection.Signer != addr {
		t.Fatalf("inspection event = %+v %v", epc, err)
	}
	if got := e.lot(l2.ID); got.Counts.Inspections != 1 || got.Counts.Events != 2 {
		t.Fatalf("lot counts = %+v", got.Counts)
	}
	var back ledger.InspectionRecord
	e.queryJSON(&back, brand, "Query:GetInspection", "R-1")
	if back.EventID != rec.EventID || back.Report.Analytes[0].Value != "0.004" {
		t.Fatalf("GetInspection = %+v", back)
	}
	e.queryFail(brand, `no inspection report "R-9"`, "Query:GetInspection", "R-9")

	// A failing verdict is recorded as non-conformant.
	fr := e.report("R-fail", l.ID)
	fr.Analytes[0].Pass, fr.Verdict = false, inspection.VerdictFail
	_, ev = e.ok(lab, "Lab:SubmitInspection", mustJSON(fr), sign(t, fr, e.labKey))
	if !strings.Contains(string(ev.EPCIS[0]), `"disposition":"non_conformant"`) {
		t.Fatalf("failed inspection event: %s", ev.EPCIS[0])
	}

	forger, _ := crypto.GenerateKey()
	otherLabKey, _ := crypto.GenerateKey()
	otherAddr := crypto.PubkeyToAddress(otherLabKey.PublicKey).Hex()
	e.ok(logistics, "Lab:RegisterLabSigner", otherAddr, "Lab Two", "ISO")
	revokedKey, _ := crypto.GenerateKey()
	revokedAddr := crypto.PubkeyToAddress(revokedKey.PublicKey).Hex()
	e.ok(lab, "Lab:RegisterLabSigner", revokedAddr, "Lab One", "ISO")
	e.ok(lab, "Lab:RevokeLabSigner", revokedAddr, "left the company")

	fresh := func(id string) inspection.Report { return e.report(id, l.ID) }
	tampered := fresh("R-t")
	tamperedSig := sign(t, tampered, e.labKey)
	tampered.Analytes[0].Value = "0.001"
	highS := func() string {
		r := fresh("R-h")
		raw, _ := inspection.Sign(r, e.labKey)
		s := new(big.Int).SetBytes(raw[32:64])
		new(big.Int).Sub(crypto.S256().Params().N, s).FillBytes(raw[32:64])
		raw[64] ^= 1
		return fmt.Sprintf("%x", raw)
	}

	type sub struct {
		report inspection.Report
		sig    string
	}
	tests := []struct {
		name   string
		caller string
		build  func() sub
		raw    string
		want   string
	}{
		{"replayed", lab, func() sub { return sub{r, sig} }, "", `report "R-1" was already submitted by LabMSP`},
		{"forged", lab, func() sub { x := fresh("R-f"); return sub{x, sign(t, x, forger)} }, "", "which is not a registered lab signer (forged, or signed over other content)"},
		{"signed for other content", lab, func() sub { return sub{tampered, tamperedSig} }, "", "is not a registered lab signer"},
		{"revoked signer", lab, func() sub { x := fresh("R-r"); return sub{x, sign(t, x, revokedKey)} }, "", "revoked at"},
		{"other lab's signer", lab, func() sub { x := fresh("R-o"); return sub{x, sign(t, x, otherLabKey)} }, "", "of LogisticsMSP, not of the submitting lab LabMSP"},
		{"own signer, other lab submits", logistics, func() sub { x := fresh("R-o2"); return sub{x, sign(t, x, e.labKey)} }, "", "of LabMSP, not of the submitting lab LogisticsMSP"},
		{"high s", lab, func() sub { return sub{fresh("R-h"), highS()} }, "", "r, s or v out of range"},
		{"signature hex", lab, func() sub { return sub{fresh("R-x"), "0xzz"} }, "", "is not 65 hex-encoded bytes"},
		{"signature length", lab, func() sub { return sub{fresh("R-x"), "0x" + strings.Repeat("00", 64)} }, "", "is not 65 hex-encoded bytes"},
		{"zero signature", lab, func() sub { return sub{fresh("R-x"), "0x" + strings.Repeat("00", 64) + "1b"} }, "", "out of range"},
		{"unknown lot", lab, func() sub { x := e.report("R-u", lotURI(gtinTomato, "NOPE")); return sub{x, sign(t, x, e.labKey)} }, "", "unknown lot https://id.gs1.org/01/09506000134352/10/NOPE"},
		{"malformed lot", lab, func() sub {
			x := e.report("R-m", "https://id.gs1.org/01/09506000134353/10/L1")
			return sub{x, sign(t, x, e.labKey)}
		}, "", "report lot"},
		{"lot twice", lab, func() sub {
			x := e.report("R-d", l.ID, "https://id.gs1.org/01/9506000134352/10/L1")
			return sub{x, sign(t, x, e.labKey)}
		}, "", "is listed twice"},
		{"issued in the future", lab, func() sub {
			x := fresh("R-fu")
			x.IssuedAt = e.now.Add(time.Hour).Format(inspection.TimeLayout)
			return sub{x, sign(t, x, e.labKey)}
		}, "", "report issuedAt"},
		{"issued long ago", lab, func() sub {
			x := fresh("R-old")
			x.SampledAt, x.IssuedAt = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"
			return sub{x, sign(t, x, e.labKey)}
		}, "", "more than 90 days before"},
		{"invalid report", lab, nil, `{"reportId":"R-i"}`, `inspection report "R-i"`},
		{"unknown field", lab, nil, `{"reportId":"R-i","extra":1}`, `unknown field "extra"`},
		{"brand", brand, func() sub { x := fresh("R-b"); return sub{x, sign(t, x, e.labKey)} }, "", `BrandMSP does not hold role "lab"`},
		{"supplier", supplier, func() sub { x := fresh("R-b"); return sub{x, sign(t, x, e.labKey)} }, "", `does not hold role "lab"`},
		{"outsider", outsider, func() sub { x := fresh("R-b"); return sub{x, sign(t, x, e.labKey)} }, "", "not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			if tt.build == nil {
				e.fail(tt.caller, tt.want, "Lab:SubmitInspection", tt.raw, sig)
				return
			}
			s := tt.build()
			e.fail(tt.caller, tt.want, "Lab:SubmitInspection", mustJSON(s.report), s.sig)
		})
	}
}
