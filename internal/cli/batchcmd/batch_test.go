package batchcmd_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/batchcmd"
	"github.com/trustline/trustline/ledger"
)

func TestParseTransform(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/L1"
	got, err := batchcmd.ParseTransform([]string{lot + "=600 KGM"}, []string{"09506000134369/S1=1200 H87@2026-06-01T00:00:00Z"})
	want := ledger.TransformRequest{
		Inputs:  []ledger.LotQuantity{{Lot: lot, Quantity: ledger.Quantity{Value: "600", UOM: "KGM"}}},
		Outputs: []ledger.TransformOutput{{GTIN: "09506000134369", Lot: "S1", Quantity: ledger.Quantity{Value: "1200", UOM: "H87"}, Expiry: "2026-06-01T00:00:00Z"}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, tc := range []struct {
		in, out []string
		want    string
	}{
		{nil, []string{"g/l=1 H87@x"}, "at least one --input"},
		{[]string{lot}, []string{"g/l=1 H87@x"}, "is not LOT=VALUE UOM"},
		{[]string{lot + "=600"}, []string{"g/l=1 H87@x"}, "is not VALUE UOM"},
		{[]string{lot + "=600 KGM"}, []string{"g=1 H87@x"}, "is not GTIN/LOT=VALUE UOM@EXPIRY"},
		{[]string{lot + "=600 KGM"}, []string{"g/l=1 H87"}, "is not GTIN/LOT=VALUE UOM@EXPIRY"},
		{[]string{lot + "=600 KGM"}, []string{"g/l=1H87@x"}, "is not VALUE UOM"},
	} {
		if _, err := batchcmd.ParseTransform(tc.in, tc.out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTransform(%q, %q) = %v, want %q", tc.in, tc.out, err, tc.want)
		}
	}
}
