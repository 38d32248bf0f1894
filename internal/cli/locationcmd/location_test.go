package locationcmd

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
	got ledger.LocationRequest
}

func (f *fakeLedger) SetLocation(_ context.Context, req ledger.LocationRequest, _ ...client.CallOption) (*ledger.Location, error) {
	f.got = req
	if f.err != nil {
		return nil, f.err
	}
	id, _ := ledger.LocationID(req.ID)
	parent := ""
	if req.Parent != "" {
		parent, _ = ledger.LocationID(req.Parent)
	}
	return &ledger.Location{ID: id, Name: req.Name, Address: req.Address, Geo: req.Geo, Parent: parent, TimeZone: req.TimeZone,
		Owner: "LogisticsMSP", UpdatedAt: "2025-06-01T08:00:00Z"}, nil
}

func (f *fakeLedger) Location(_ context.Context, id string, _ ...client.CallOption) (*ledger.Location, error) {
	if f.err != nil {
		return nil, f.err
	}
	canon, _ := ledger.LocationID(id)
	return &ledger.Location{ID: canon, Name: "Central warehouse", TimeZone: "Europe/Berlin", Owner: "LogisticsMSP", UpdatedAt: "2025-06-01T08:00:00Z"}, nil
}

func (f *fakeLedger) Close() error { return nil }

func TestLocationCommands(t *testing.T) {
	const gln = "9506000134383"
	fake := &fakeLedger{}
	set := []string{"set", gln, "--name", "Central warehouse", "--city", "Hamburg", "--country", "DE", "--geo", "53.54,9.98", "--time-zone", "Europe/Berlin"}
	const setJSON = `{"id":"https://id.gs1.org/414/9506000134383","name":"Central warehouse","address":{"street":"","city":"Hamburg",
		"postalCode":"","region":"","country":"DE"},"geo":{"latitude":53.54,"longitude":9.98},"timeZone":"Europe/Berlin",
		"owner":"LogisticsMSP","updatedAt":"2025-06-01T08:00:00Z"}`
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "set table", Args: set, Ledger: cmdtest.Ledger{Client: fake}, Out: "Time zone:  Europe/Berlin"},
		{Name: "set json", Args: append(set, "-o", "json"), Ledger: cmdtest.Ledger{Client: &fakeLedger{}}, JSON: setJSON},
		{Name: "set a dock", Args: []string{"set", "https://id.gs1.org/414/" + gln + "/254/dock1", "--name", "Dock 1", "--parent", gln},
			Ledger: cmdtest.Ledger{Client: &fakeLedger{}}, Out: "Part of:   https://id.gs1.org/414/" + gln},
		{Name: "set from stdin", Args: []string{"set", "-f", "-", "-o", "json"}, Ledger: cmdtest.Ledger{Client: &fakeLedger{}},
			Stdin: "id: \"" + gln + "\"\nname: Central warehouse\n", JSON: `{"id":"https://id.gs1.org/414/9506000134383","name":"Central warehouse","owner":"LogisticsMSP","updatedAt":"2025-06-01T08:00:00Z"}`},
		{Name: "show", Args: []string{"show", gln}, Ledger: cmdtest.Ledger{Client: &fakeLedger{}}, Out: "Owner:      LogisticsMSP"},
		{Name: "set without GLN", Args: []string{"set", "--name", "x"}, Ledger: cmdtest.Ledger{Client: &fakeLedger{}}, Code: cmdutil.ExitUsage, Err: "set takes a GLN"},
		{Name: "set not a GLN", Args: []string{"set", "https://id.gs1.org/01/09506000134352", "--name", "x"}, Ledger: cmdtest.Ledger{Client: &fakeLedger{}},
			Code: cmdutil.ExitUsage, Err: "is not a GLN"},
		{Name: "set bad geo", Args: []string{"set", gln, "--name", "x", "--geo", "north"}, Ledger: cmdtest.Ledger{Client: &fakeLedger{}},
			Code: cmdutil.ExitUsage, Err: `--geo: "north" is not LAT,LON`},
		{Name: "set refused", Args: set, Ledger: cmdtest.Ledger{Client: &fakeLedger{err: cmdtest.Rejected("Location:SetLocation", "location is owned by BrandMSP")}},
			Code: cmdutil.ExitRejected, Err: "owned by BrandMSP"},
		{Name: "show unreachable", Args: []string{"show", gln}, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
	if fake.got.Address == nil || fake.got.Address.City != "Hamburg" || fake.got.Geo == nil || fake.got.Geo.Longitude != 9.98 {
		t.Errorf("request sent = %+v", fake.got)
	}
}
