package custodycmd_test

import (
	"context"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/custodycmd"
	"github.com/trustline/trustline/ledger"
)

const (
	lot   = "https://id.gs1.org/01/09506000134352/10/L1"
	sscc  = "095060001343520001"
	unit  = "https://id.gs1.org/00/" + sscc
	csv   = "time,device,temperature_c\n2025-06-01T08:00:00Z,logger-1,4.5\n2025-06-01T08:15:00Z,logger-1,5\n"
	shipT = "2025-06-01T09:00:00Z"
)

// fakeLedger answers the custody commands as the chaincode would, echoing
// what it was asked, or with err.
type fakeLedger struct{ err error }

func subject(lotID, unitID string) []string {
	if unitID != "" {
		return []string{lot}
	}
	return []string{lotID}
}

func (f fakeLedger) Ship(_ context.Context, req ledger.ShipRequest, _ ...client.CallOption) (*ledger.Shipment, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Shipment{ID: "shp-1", Lots: subject(req.Lot, req.LogisticUnit), LogisticUnit: req.LogisticUnit, From: "SupplierMSP", To: req.To,
		Destination: req.Destination, BizTransactions: req.BizTransactions, Status: ledger.ShipmentInTransit, ShippedAt: shipT, ShipEvent: "ni:///sha-256;s"}, nil
}

func (f fakeLedger) Receive(_ context.Context, req ledger.ReceiveRequest, _ ...client.CallOption) (*ledger.Shipment, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Shipment{ID: "shp-1", Lots: subject(req.Lot, req.LogisticUnit), LogisticUnit: req.LogisticUnit, From: "SupplierMSP", To: "LogisticsMSP",
		Destination: "9506000134383", Status: ledger.ShipmentReceived, ShippedAt: shipT, ReceivedAt: "2025-06-01T12:00:00Z"}, nil
}

func (f fakeLedger) RecordReadings(_ context.Context, req ledger.ReadingsRequest, _ ...client.CallOption) (*ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LotSummary{ID: lot, Custodian: "LogisticsMSP", Status: ledger.StatusActive, Counts: ledger.Counts{Readings: len(req.Readings)}}, nil
}

func (f fakeLedger) Pack(_ context.Context, req ledger.PackRequest, _ ...client.CallOption) (*ledger.LogisticUnit, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LogisticUnit{ID: "https://id.gs1.org/00/" + req.SSCC, SSCC: req.SSCC, Lots: req.Lots, Custodian: "SupplierMSP",
		Status: ledger.UnitPacked, PackedBy: "SupplierMSP", PackedAt: shipT, PackEvent: "ni:///sha-256;p"}, nil
}

func (f fakeLedger) Unpack(_ context.Context, s string, _ ...client.CallOption) (*ledger.LogisticUnit, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LogisticUnit{ID: unit, SSCC: sscc, Lots: []string{lot}, Custodian: "LogisticsMSP", Status: ledger.UnitUnpacked,
		PackedBy: "SupplierMSP", PackedAt: shipT, PackEvent: "ni:///sha-256;p", UnpackedAt: "2025-06-02T08:00:00Z", UnpackEvent: "ni:///sha-256;u"}, nil
}

func (fakeLedger) Close() error { return nil }

var (
	ok   = cmdtest.Ledger{Client: fakeLedger{}}
	down = cmdtest.Ledger{Err: cmdtest.Unavailable()}
)

func refused(class error, fn, reason string) cmdtest.Ledger {
	return cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(class, fn, reason)}}
}

func TestShip(t *testing.T) {
	args := []string{"--lot", lot, "--to", "LogisticsMSP", "--destination", "9506000134383", "--biz-transaction", "desadv=DESADV-1"}
	cmdtest.RunCases(t, custodycmd.NewShipCmd, []cmdtest.Case{
		{Name: "table", Args: args, Ledger: ok, Out: "Shipment:       shp-1\nStatus:         in-transit\nLots:           " + lot},
		{Name: "json", Args: append(args, "-o", "json"), Ledger: ok,
			JSON: `{"id":"shp-1","lots":["` + lot + `"],"from":"SupplierMSP","to":"LogisticsMSP","destination":"9506000134383",
				"bizTransactions":[{"type":"desadv","id":"DESADV-1"}],"status":"in-transit","shippedAt":"` + shipT + `","shipEvent":"ni:///sha-256;s"}`},
		{Name: "logistic unit with readings", Args: []string{"--logistic-unit", sscc, "--to", "LogisticsMSP", "--readings", "-", "-o", "json"}, Stdin: csv, Ledger: ok,
			Out: `"logisticUnit": "` + sscc + `"`},
		{Name: "from file", Args: []string{"-f", "-", "-o", "json"}, Stdin: `{"lot":"` + lot + `","to":"LabMSP"}`, Ledger: ok, Out: `"to": "LabMSP"`},
		{Name: "no subject", Args: []string{"--to", "LogisticsMSP"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "give exactly one of --lot and --logistic-unit"},
		{Name: "lot and unit", Args: []string{"--lot", lot, "--logistic-unit", sscc}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "exactly one of"},
		{Name: "bad biz transaction", Args: []string{"--lot", lot, "--biz-transaction", "desadv"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `--biz-transaction "desadv" is not TYPE=ID`},
		{Name: "bad readings", Args: []string{"--lot", lot, "--readings", "-"}, Stdin: "time,temperature_c\n", Ledger: ok, Code: cmdutil.ExitUsage, Err: `-: CSV has no "device" column`},
		{Name: "flags and file", Args: []string{"-f", "-", "--lot", lot}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "either as flags or with -f"},
		{Name: "argument", Args: []string{lot}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown command "` + lot + `"`},
		{Name: "not the custodian", Args: args, Ledger: refused(client.ErrForbidden, "Custody:Ship", "only the current custodian (SupplierMSP) can ship lot "+lot),
			Code: cmdutil.ExitRejected, Err: "Custody:Ship rejected: only the current custodian (SupplierMSP) can ship lot " + lot},
		{Name: "unreachable", Args: args, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable at 127.0.0.1:1"},
	})
}

func TestReceive(t *testing.T) {
	cmdtest.RunCases(t, custodycmd.NewReceiveCmd, []cmdtest.Case{
		{Name: "table", Args: []string{"--lot", lot}, Ledger: ok, Out: "Status:         received\n"},
		{Name: "json with readings", Args: []string{"--lot", lot, "--readings", "-", "-o", "json"}, Stdin: csv, Ledger: ok, Out: `"receivedAt": "2025-06-01T12:00:00Z"`},
		{Name: "no subject", Args: nil, Ledger: ok, Code: cmdutil.ExitUsage, Err: "give exactly one of --lot and --logistic-unit"},
		{Name: "missing readings file", Args: []string{"--lot", lot, "--readings", "/nonexistent/arrival.csv"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "arrival.csv"},
		{Name: "bad output", Args: []string{"--lot", lot, "-o", "yaml"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown --output "yaml"`},
		{Name: "not the recipient", Args: []string{"--lot", lot}, Ledger: refused(client.ErrForbidden, "Custody:Receive", "lot is shipped to LabMSP, not to LogisticsMSP"),
			Code: cmdutil.ExitRejected, Err: "not to LogisticsMSP"},
		{Name: "nothing shipped", Args: []string{"--lot", lot}, Ledger: refused(client.ErrState, "Custody:Receive", "lot "+lot+" is not in transit"),
			Code: cmdutil.ExitRejected, Err: "is not in transit"},
		{Name: "unreachable", Args: []string{"--lot", lot}, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}

func TestReadings(t *testing.T) {
	args := []string{"add", "--lot", lot, "--readings", "-"}
	cmdtest.RunCases(t, custodycmd.NewReadingsCmd, []cmdtest.Case{
		{Name: "table", Args: args, Stdin: csv, Ledger: ok, Out: "Recorded 2 readings.\nLot:"},
		{Name: "json", Args: append(args, "-o", "json"), Stdin: csv, Ledger: ok, Out: `"readings": 2`},
		{Name: "device flag", Args: append(args, "--device", "truck-7"), Stdin: "time,temperature_c\n2025-06-01T08:00:00Z,3\n", Ledger: ok, Out: "Recorded 1 readings."},
		{Name: "no readings flag", Args: []string{"add", "--lot", lot}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--readings FILE.csv is required"},
		{Name: "no subject", Args: []string{"add", "--readings", "-"}, Stdin: csv, Ledger: ok, Code: cmdutil.ExitUsage, Err: "exactly one of --lot and --logistic-unit"},
		{Name: "bad csv", Args: args, Stdin: "time,device,temperature_c\n2025-06-01T08:00:00Z,l,warm\n", Ledger: ok, Code: cmdutil.ExitUsage, Err: "line 2: temperature_c"},
		{Name: "not held", Args: args, Stdin: csv, Ledger: refused(client.ErrForbidden, "Custody:RecordReadings", "only the current custodian (SupplierMSP) can record readings"),
			Code: cmdutil.ExitRejected, Err: "only the current custodian"},
		{Name: "unreachable", Args: args, Stdin: csv, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}

func TestPackUnpack(t *testing.T) {
	pack := []string{"--sscc", sscc, "--lot", lot}
	cmdtest.RunCases(t, custodycmd.NewPackCmd, []cmdtest.Case{
		{Name: "table", Args: pack, Ledger: ok, Out: "Logistic unit:  " + unit + "\nStatus:         packed\n"},
		{Name: "json", Args: append(pack, "-o", "json"), Ledger: ok,
			JSON: `{"id":"` + unit + `","sscc":"` + sscc + `","lots":["` + lot + `"],"custodian":"SupplierMSP","status":"packed",
				"packedBy":"SupplierMSP","packedAt":"` + shipT + `","packEvent":"ni:///sha-256;p"}`},
		{Name: "from yaml", Args: []string{"-f", "-", "-o", "json"}, Stdin: "sscc: \"" + sscc + "\"\nlots: [\"" + lot + "\"]\n", Ledger: ok, Out: `"sscc": "` + sscc + `"`},
		{Name: "no lot", Args: []string{"--sscc", sscc}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--sscc and at least one --lot are required"},
		{Name: "file without lots", Args: []string{"-f", "-"}, Stdin: `{"sscc":"` + sscc + `"}`, Ledger: ok, Code: cmdutil.ExitUsage, Err: "at least one --lot"},
		{Name: "sscc reused", Args: pack, Ledger: refused(client.ErrExists, "Custody:Pack", "logistic unit "+unit+" already exists"),
			Code: cmdutil.ExitRejected, Err: "already exists"},
		{Name: "unreachable", Args: pack, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
	cmdtest.RunCases(t, custodycmd.NewUnpackCmd, []cmdtest.Case{
		{Name: "unpack table", Args: []string{sscc}, Ledger: ok, Out: "Unpack event:   ni:///sha-256;u\n"},
		{Name: "unpack json", Args: []string{unit, "-o", "json"}, Ledger: ok, Out: `"status": "unpacked"`},
		{Name: "unpack without sscc", Args: nil, Ledger: ok, Code: cmdutil.ExitUsage, Err: "takes an SSCC or SSCC Digital Link, got 0 arguments"},
		{Name: "unpack unknown", Args: []string{sscc}, Ledger: refused(client.ErrNotFound, "Custody:Unpack", "no logistic unit "+unit),
			Code: cmdutil.ExitRejected, Err: "no logistic unit"},
		{Name: "unpack in transit", Args: []string{sscc}, Ledger: refused(client.ErrState, "Custody:Unpack", "only a packed unit at rest can be unpacked"),
			Code: cmdutil.ExitRejected, Err: "only a packed unit at rest"},
		{Name: "unpack unreachable", Args: []string{sscc}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Unavailable()}}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
