package productcmd

import (
	"context"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// fakeLedger answers as the chaincode would, or with err.
type fakeLedger struct {
	err error
	got ledger.ProductRequest
}

func (f *fakeLedger) RegisterProduct(_ context.Context, req ledger.ProductRequest, _ ...client.CallOption) (*ledger.Product, error) {
	f.got = req
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Product{ID: "https://id.gs1.org/01/" + req.GTIN, GTIN: req.GTIN, Name: req.Name, Brand: req.Brand,
		Category: req.Category, TempMinC: req.TempMinC, TempMaxC: req.TempMaxC, ShelfLifeDays: req.ShelfLifeDays, Owner: "BrandMSP", RegisteredAt: "2025-06-01T08:00:00Z", RegisteredTx: "tx1"}, nil
}

func (f *fakeLedger) Product(_ context.Context, gtin string, _ ...client.CallOption) (*ledger.Product, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Product{ID: "https://id.gs1.org/01/" + gtin, GTIN: gtin, Name: "Tomatoes", Brand: "Acme", Category: "vegetables",
		TempMinC: 2, TempMaxC: 8, ShelfLifeDays: 14, Owner: "BrandMSP", RegisteredAt: "2025-06-01T08:00:00Z", RegisteredTx: "tx1"}, nil
}

func (f *fakeLedger) Close() error { return nil }

func TestProductCommands(t *testing.T) {
	const gtin = "09506000134352"
	ok := func() cmdtest.Ledger { return cmdtest.Ledger{Client: &fakeLedger{}} }
	reg := []string{"register", "--gtin", gtin, "--name", "Tomatoes", "--brand", "Acme", "--category", "vegetables",
		"--temp-min", "2", "--temp-max", "8", "--shelf-life-days", "14"}
	const productJSON = `{"id":"https://id.gs1.org/01/09506000134352","gtin":"09506000134352","name":"Tomatoes","brand":"Acme",
		"category":"vegetables","tempMinC":2,"tempMaxC":8,"shelfLifeDays":14,"owner":"BrandMSP",
		"registeredAt":"2025-06-01T08:00:00Z","registeredTx":"tx1"}`
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "register table", Args: reg, Ledger: ok(), Out: "Temperature:  2..8 °C"},
		{Name: "register json", Args: append(reg, "-o", "json"), Ledger: ok(), JSON: productJSON},
		{Name: "register from stdin", Args: []string{"register", "-f", "-", "-o", "json"}, Ledger: ok(),
			Stdin: "gtin: \"" + gtin + "\"\nname: Tomatoes\nbrand: Acme\ncategory: vegetables\ntempMinC: 2\ntempMaxC: 8\nshelfLifeDays: 14\n", JSON: productJSON},
		{Name: "show table", Args: []string{"show", gtin}, Ledger: ok(), Out: "Owner:        BrandMSP"},
		{Name: "show json", Args: []string{"show", gtin, "-o", "json"}, Ledger: ok(), JSON: productJSON},
		{Name: "register without gtin", Args: []string{"register"}, Ledger: ok(), Code: cmdutil.ExitUsage, Err: "--gtin is required"},
		{Name: "show without gtin", Args: []string{"show"}, Ledger: ok(), Code: cmdutil.ExitUsage, Err: "takes a GTIN"},
		{Name: "bad output", Args: []string{"show", gtin, "-o", "xml"}, Ledger: ok(), Code: cmdutil.ExitUsage, Err: `unknown --output "xml"`},
		{Name: "unknown flag", Args: []string{"show", gtin, "--bogus"}, Ledger: ok(), Code: cmdutil.ExitUsage, Err: "unknown flag: --bogus"},
		{Name: "register refused", Args: reg, Ledger: cmdtest.Ledger{Client: &fakeLedger{err: cmdtest.Rejected("Product:RegisterProduct", "only a brand may register a product")}},
			Code: cmdutil.ExitRejected, Err: "only a brand may register a product"},
		{Name: "show unknown", Args: []string{"show", gtin}, Ledger: cmdtest.Ledger{Client: &fakeLedger{err: cmdtest.Rejected("Product:Product", "product 09506000134352 not found")}},
			Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "register unreachable", Args: reg, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable at 127.0.0.1:1"},
		{Name: "show unreachable", Args: []string{"show", gtin}, Ledger: cmdtest.Ledger{Client: &fakeLedger{err: cmdtest.Unavailable()}},
			Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
