package custodycmd_test

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/custodycmd"
	"github.com/trustline/trustline/ledger"
)

func TestLogisticUnitTable(t *testing.T) {
	u := &ledger.LogisticUnit{
		ID: "https://id.gs1.org/00/095060001343520001", SSCC: "095060001343520001", Status: ledger.UnitUnpacked,
		Lots:      []string{"https://id.gs1.org/01/09506000134352/10/L1", "https://id.gs1.org/01/09506000134352/10/L2"},
		Custodian: "LogisticsMSP", PackedBy: "SupplierMSP", PackedAt: "2025-06-01T08:00:00Z", PackEvent: "ni:///sha-256;a",
		UnpackedAt: "2025-06-02T08:00:00Z", UnpackEvent: "ni:///sha-256;b",
	}
	var b strings.Builder
	if err := custodycmd.LogisticUnitTable(&b, u); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Logistic unit:", u.ID, "unpacked", "/10/L1, https://", "Custodian:", "LogisticsMSP", "Unpack event:", "ni:///sha-256;b"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Shipment:") {
		t.Errorf("table shows an empty shipment:\n%s", out)
	}
}
