package labcmd

import (
	"context"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

const (
	addr1 = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	addr2 = "0x0000000000000000000000000000000000000001"
)

// fakeLedger holds two signers of LabMSP (the second revoked) and one of
// OtherLabMSP, or answers err.
type fakeLedger struct{ err error }

func (f fakeLedger) signers() []ledger.LabSigner {
	return []ledger.LabSigner{
		{Address: addr1, Lab: "LabMSP", Name: "Residues", Accreditation: "ISO/IEC 17025 #1", RegisteredAt: "2025-06-01T00:00:00Z"},
		{Address: addr2, Lab: "LabMSP", Name: "Old key", Accreditation: "ISO/IEC 17025 #1", RegisteredAt: "2025-05-01T00:00:00Z",
			Revoked: true, RevokedAt: "2025-05-20T00:00:00Z", RevokedReason: "lost"},
		{Address: "0x00000000000000000000000000000000000000aA", Lab: "OtherLabMSP", Name: "Micro", Accreditation: "A2", RegisteredAt: "2025-06-02T00:00:00Z"},
	}
}

func (f fakeLedger) RegisterLabSigner(_ context.Context, address, name, accreditation string, _ ...client.CallOption) (*ledger.LabSigner, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LabSigner{Address: address, Lab: "LabMSP", Name: name, Accreditation: accreditation, RegisteredAt: "2025-06-03T00:00:00Z"}, nil
}

func (f fakeLedger) RevokeLabSigner(_ context.Context, address, reason string, _ ...client.CallOption) (*ledger.LabSigner, error) {
	if f.err != nil {
		return nil, f.err
	}
	s := f.signers()[0]
	s.Revoked, s.RevokedAt, s.RevokedReason = true, "2025-06-04T00:00:00Z", reason
	return &s, nil
}

func (f fakeLedger) LabSigners(context.Context, ...client.CallOption) ([]ledger.LabSigner, error) {
	return f.signers(), f.err
}

func (f fakeLedger) SubmitInspection(context.Context, inspection.Report, []byte, ...client.CallOption) (*ledger.InspectionRecord, error) {
	return nil, f.err
}

func (f fakeLedger) Inspection(_ context.Context, id string, _ ...client.CallOption) (*ledger.InspectionRecord, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.InspectionRecord{}, nil
}

func (fakeLedger) Close() error { return nil }

func TestLabLedgerCommands(t *testing.T) {
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	refused := cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Rejected("Lab:RegisterSigner", "only a lab may register signers")}}
	down := cmdtest.Ledger{Err: cmdtest.Unavailable()}
	reg := []string{"register-signer", addr1, "--name", "Residues", "--accreditation", "ISO/IEC 17025 #1"}
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "signers table", Args: []string{"signers"}, Ledger: ok, Out: "ADDRESS"},
		{Name: "signers revoked shown", Args: []string{"signers"}, Ledger: ok, Out: "revoked 2025-05-20T00:00:00Z: lost"},
		{Name: "signers of one lab, active", Args: []string{"signers", "--lab", "LabMSP", "--active", "-o", "json"}, Ledger: ok,
			JSON: `[{"address":"` + addr1 + `","lab":"LabMSP","name":"Residues","accreditation":"ISO/IEC 17025 #1","registeredAt":"2025-06-01T00:00:00Z","registeredTx":"","revoked":false}]`},
		{Name: "signers none", Args: []string{"signers", "--lab", "NoMSP"}, Ledger: ok, Out: "No lab signers."},
		{Name: "register table", Args: reg, Ledger: ok, Out: "Signer:         " + addr1},
		{Name: "register json", Args: append(reg, "-o", "json"), Ledger: ok, Out: `"accreditation": "ISO/IEC 17025 #1"`},
		{Name: "revoke json", Args: []string{"revoke-signer", addr1, "--reason", "compromised", "-o", "json"}, Ledger: ok, Out: `"revokedReason": "compromised"`},
		{Name: "inspection json", Args: []string{"inspection", "R-1", "-o", "json"}, Ledger: ok, Out: "{"},
		{Name: "register without name", Args: []string{"register-signer", addr1}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--name and --accreditation are required"},
		{Name: "register bad address", Args: []string{"register-signer", "0x12", "--name", "n", "--accreditation", "a"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "not an Ethereum address"},
		{Name: "revoke without reason", Args: []string{"revoke-signer", addr1}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--reason is required"},
		{Name: "signers bad output", Args: []string{"signers", "-o", "csv"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown --output "csv"`},
		{Name: "register refused", Args: reg, Ledger: refused, Code: cmdutil.ExitRejected, Err: "only a lab may register signers"},
		{Name: "revoke refused", Args: []string{"revoke-signer", addr1, "--reason", "x"}, Ledger: refused, Code: cmdutil.ExitRejected, Err: "only a lab"},
		{Name: "inspection unknown", Args: []string{"inspection", "R-9"}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Rejected("Lab:Inspection", "report R-9 not found")}},
			Code: cmdutil.ExitRejected, Err: "report R-9 not found"},
		{Name: "signers unreachable", Args: []string{"signers"}, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
		{Name: "register unreachable", Args: reg, Ledger: down, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
