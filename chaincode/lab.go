package chaincode

import (
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// LabContract registers the Ethereum keys labs sign inspection reports with
// and records signed reports.
type LabContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*LabContract) GetName() string { return "Lab" }

var addressRE = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// parseAddress accepts a 0x-prefixed address in lower case, upper case or
// EIP-55 checksummed form; a mixed-case address with a wrong checksum is a
// typo and is rejected, as wallets do.
func parseAddress(s string) (common.Address, error) {
	if !addressRE.MatchString(s) {
		return common.Address{}, errorf(ErrInvalid, "signer address %q is not 0x followed by 40 hex digits", s)
	}
	a := common.HexToAddress(s)
	body := s[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && a.Hex() != s {
		return common.Address{}, errorf(ErrInvalid, "signer address %q fails its EIP-55 checksum (expected %s)", s, a.Hex())
	}
	if a == (common.Address{}) {
		return common.Address{}, errorf(ErrInvalid, "signer address %s is the zero address", s)
	}
	return a, nil
}

func (t *txn) signerKey(a common.Address) (string, error) {
	return t.key(ledger.ObjectLabSigner, strings.ToLower(a.Hex()))
}

func (t *txn) signer(a common.Address) (*ledger.LabSigner, string, error) {
	k, err := t.signerKey(a)
	if err != nil {
		return nil, "", err
	}
	var s ledger.LabSigner
	ok, err := t.get(k, &s)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, k, nil
	}
	return &s, k, nil
}

// RegisterLabSigner registers address as a signing key of the caller's lab,
// with the lab's name and accreditation (e.g. "ISO/IEC 17025 DAkkS D-PL-12345-01-00").
// An address is registered once, ever: a revoked key never comes back.
func (*LabContract) RegisterLabSigner(ctx contractapi.TransactionContextInterface, address, name, accreditation string) (_ *ledger.LabSigner, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleLab); err != nil {
		return nil, err
	}
	a, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	if err := checkText("lab name", name, maxTextLen); err != nil {
		return nil, err
	}
	if err := checkText("accreditation", accreditation, maxTextLen); err != nil {
		return nil, err
	}
	old, k, err := t.signer(a)
	if err != nil {
		return nil, err
	}
	if old != nil {
		if old.Revoked {
			return nil, errorf(ErrExists, "signer %s was registered by %s and revoked at %s; a revoked key cannot be registered again", a.Hex(), old.Lab, old.RevokedAt)
		}
		return nil, errorf(ErrExists, "signer %s is already registered by %s", a.Hex(), old.Lab)
	}
	s := &ledger.LabSigner{
		Address: a.Hex(), Lab: t.msp, Name: name, Accreditation: accreditation,
		RegisteredAt: t.nowString(), RegisteredTx: t.id,
	}
	if err := t.put(k, s); err != nil {
		return nil, err
	}
	return s, t.commit()
}

// RevokeLabSigner revokes a signer of the caller's lab: reports it signs
// are rejected from now on, whenever they were issued. Reports already
// accepted stay on the ledger.
func (*LabContract) RevokeLabSigner(ctx contractapi.TransactionContextInterface, address, reason string) (_ *ledger.LabSigner, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleLab); err != nil {
		return nil, err
	}
	a, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	if err := checkText("revocation reason", reason, maxTextLen); err != nil {
		return nil, err
	}
	s, k, err := t.signer(a)
	if err != nil {
		return nil, err
	}
	switch {
	case s == nil:
		return nil, errorf(ErrNotFound, "no lab signer %s", a.Hex())
	case s.Lab != t.msp:
		return nil, errorf(ErrForbidden, "signer %s belongs to %s; %s cannot revoke it", a.Hex(), s.Lab, t.msp)
	case s.Revoked:
		return nil, errorf(ErrState, "signer %s is already revoked (at %s)", a.Hex(), s.RevokedAt)
	}
	s.Revoked, s.RevokedAt, s.RevokedTx, s.RevokedReason = true, t.nowString(), t.id, reason
	if err := t.put(k, s); err != nil {
		return nil, err
	}
	return s, t.commit()
}

// GetLabSigner returns the signer with address.
func (*LabContract) GetLabSigner(ctx contractapi.TransactionContextInterface, address string) (_ *ledger.LabSigner, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	a, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	s, _, err := t.signer(a)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errorf(ErrNotFound, "no lab signer %s", a.Hex())
	}
	return s, nil
}

// ListLabSigners returns every signer, revoked ones included, by address.
func (*LabContract) ListLabSigners(ctx contractapi.TransactionContextInterface) (_ []ledger.LabSigner, err error) {
	defer classify(&err)
	it, err := ctx.GetStub().GetStateByPartialCompositeKey(ledger.ObjectLabSigner, nil)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []ledger.LabSigner{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		var s ledger.LabSigner
		if err := unmarshalStrict(kv.Value, &s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// SubmitInspection records a lab's inspection report. reportJSON is an
// inspection.Report, signature its 65-byte EIP-712 signature in hex. The
// chaincode recovers the signer from the report and signature and accepts
// the report only if the signer is registered to the caller's lab and not
// revoked, the report is new, its lots exist and its times are plausible.
func (*LabContract) SubmitInspection(ctx contractapi.TransactionContextInterface, reportJSON, signature string) (_ *ledger.InspectionRecord, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.requireRole(ledger.RoleLab); err != nil {
		return nil, err
	}
	var r inspection.Report
	if err := unmarshalStrict([]byte(reportJSON), &r); err != nil {
		return nil, wrapf(ErrInvalid, err, "inspection report is not valid JSON of the report type")
	}
	if err := r.Validate(); err != nil {
		return nil, wrapf(ErrInvalid, err, "inspection report %q", r.ReportID)
	}
	if err := checkOptionalText("reportId", r.ReportID, maxIDLen); err != nil {
		return nil, err
	}
	sig, err := inspection.ParseSignature(signature)
	if err != nil {
		return nil, wrapf(ErrInvalid, err, "signature of report %q", r.ReportID)
	}
	addr, err := inspection.Recover(r, sig)
	if err != nil {
		return nil, wrapf(ErrForbidden, err, "signature of report %q", r.ReportID)
	}
	signer, _, err := t.signer(addr)
	if err != nil {
		return nil, err
	}
	switch {
	case signer == nil:
		return nil, errorf(ErrForbidden, "report %q: signature recovers to %s, which is not a registered lab signer (forged, or signed over other content)", r.ReportID, addr.Hex())
	case signer.Lab != t.msp:
		return nil, errorf(ErrForbidden, "report %q is signed by %s of %s, not of the submitting lab %s", r.ReportID, addr.Hex(), signer.Lab, t.msp)
	case signer.Revoked:
		return nil, errorf(ErrForbidden, "report %q is signed by %s, revoked at %s (%s)", r.ReportID, addr.Hex(), signer.RevokedAt, signer.RevokedReason)
	}
	issued, _ := inspection.ParseTime(r.IssuedAt) // checked by Validate
	if err := checkWindow("report issuedAt", issued, t.now, MaxReportAge); err != nil {
		return nil, err
	}
	sampled, _ := inspection.ParseTime(r.SampledAt)
	if err := checkWindow("report sampledAt", sampled, t.now, MaxReportAge); err != nil {
		return nil, err
	}
	rk, err := t.key(ledger.ObjectInspection, r.ReportID)
	if err != nil {
		return nil, err
	}
	var prev ledger.InspectionRecord
	if ok, err := t.get(rk, &prev); err != nil {
		return nil, err
	} else if ok {
		return nil, errorf(ErrExists, "report %q was already submitted by %s at %s", r.ReportID, prev.Lab, prev.SubmittedAt)
	}
	lots, err := t.distinctLots("report lot", r.Lots)
	if err != nil {
		return nil, err
	}
	rec := &ledger.InspectionRecord{
		Report: r, Signature: "0x" + hex.EncodeToString(sig), Signer: addr.Hex(), Lab: t.msp,
		SubmittedAt: t.nowString(), TxID: t.id,
	}
	ev := inspectionEvent(t, rec, lots)
	id, err := t.record(ev, lots...)
	if err != nil {
		return nil, err
	}
	rec.EventID = id
	for _, l := range lots {
		l.rec.Counts.Inspections++
	}
	if err := t.put(rk, rec); err != nil {
		return nil, err
	}
	if err := t.putLots(lots...); err != nil {
		return nil, err
	}
	return rec, t.commit()
}
