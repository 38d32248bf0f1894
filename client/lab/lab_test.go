package lab_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/client/lab"
	"github.com/trustline/trustline/inspection"
)

func report() inspection.Report {
	return inspection.Report{
		ReportID: "R-1", Lots: []string{"https://id.gs1.org/01/09506000134352/10/L1"},
		Method: "LC-MS/MS", Standard: "EN 15662:2018",
		SampledAt: "2025-06-01T08:00:00Z", IssuedAt: "2025-06-02T08:00:00Z",
		Analytes: []inspection.Analyte{{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true}},
		Verdict:  inspection.VerdictPass,
		Document: inspection.Document{SHA256: strings.Repeat("ab", 32), URI: "ipfs://bafyreport"},
	}
}

// A fixed test key (never use it for anything real).
const testKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

func TestSignVerifyRoundTrip(t *testing.T) {
	s, err := lab.SignerFromHex("0x" + testKey)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := s.SignReport(report())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sr.Verify(); err != nil || got != s.Address() {
		t.Fatalf("Verify = %s, %v; want %s", got, err, s.Address())
	}
	tampered := sr
	tampered.Report.Verdict = inspection.VerdictFail
	if got, err := tampered.Verify(); !errors.Is(err, lab.ErrWrongSigner) {
		t.Fatalf("tampered report verified as %s, %v", got, err)
	}
	other, _ := lab.GenerateSigner()
	sig, _ := other.Sign(report())
	if _, err := lab.Verify(report(), sig, s.Address()); !errors.Is(err, lab.ErrWrongSigner) {
		t.Fatalf("other signer: %v", err)
	}
	if _, err := lab.Verify(report(), sig[:64], common.Address{}); !errors.Is(err, inspection.ErrInvalidSignature) {
		t.Fatalf("short signature: %v", err)
	}
	bad := report()
	bad.Verdict = "maybe"
	if _, err := s.Sign(bad); !errors.Is(err, inspection.ErrInvalidReport) {
		t.Fatalf("invalid report signed: %v", err)
	}
}

func TestKeystoreRoundTrip(t *testing.T) {
	s, err := lab.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lab.json")
	if err := s.WriteKeystore(path, "secret", true); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteKeystore(path, "secret", true); err == nil {
		t.Fatal("overwrote an existing keystore")
	}
	back, err := lab.SignerFromKeystore(path, "secret")
	if err != nil || back.Address() != s.Address() {
		t.Fatalf("got %v, %v", back, err)
	}
	if _, err := lab.SignerFromKeystore(path, "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestParseSignedReport(t *testing.T) {
	if _, err := lab.ParseSignedReport([]byte(`{"report":{},"signature":"0x","extra":1}`)); err == nil {
		t.Fatal("unknown field accepted")
	}
}

func ExampleSigner_SignReport() {
	s, err := lab.SignerFromHex(testKey)
	if err != nil {
		panic(err)
	}
	sr, err := s.SignReport(report())
	if err != nil {
		panic(err)
	}
	signer, err := sr.Verify()
	fmt.Println(signer == s.Address(), err)
	fmt.Println(s.Address())
	// Output:
	// true <nil>
	// 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23
}
