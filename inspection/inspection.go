// Package inspection defines a laboratory's inspection report and its
// EIP-712 signature, so that a lab signs a report with an Ethereum key
// (a hardware wallet, ethers.js, or this package) and the trustline chaincode
// recovers the signer's address from the report and the signature alone.
//
// The typed data is
//
//	domain  EIP712Domain(string name,string version)  = {name: "trustline", version: "1"}
//	primary InspectionReport(string reportId,string[] lots,string method,string standard,
//	        string sampledAt,Analyte[] analytes,string verdict,string issuedAt,
//	        bytes32 documentSha256,string documentUri)
//	        Analyte(string name,string value,string unit,string limit,bool pass)
//
// The domain has no chainId and no verifyingContract on purpose: a report is
// not an Ethereum transaction and is valid on no chain in particular; what
// stops replay is the ledger's uniqueness of reportId, which the signature
// covers. Decimal values and times are strings in a single canonical form
// (see Validate) so that the signed bytes are unambiguous across languages.
package inspection

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Domain values of the EIP-712 signature.
const (
	DomainName    = "trustline"
	DomainVersion = "1"
	PrimaryType   = "InspectionReport"
)

// TimeLayout is the only accepted form of report times: UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// Verdicts a report may carry.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Report is a laboratory's inspection report on one or more lots.
type Report struct {
	// ReportID is the lab's identifier of the report, unique on the ledger.
	ReportID string `json:"reportId"`
	// Lots are the GS1 Digital Link URIs of the inspected lots.
	Lots []string `json:"lots"`
	// Method is the analytical method, Standard the norm it follows.
	Method   string `json:"method"`
	Standard string `json:"standard"`
	// SampledAt and IssuedAt are in TimeLayout.
	SampledAt string    `json:"sampledAt"`
	Analytes  []Analyte `json:"analytes"`
	Verdict   string    `json:"verdict"`
	IssuedAt  string    `json:"issuedAt"`
	// Document is the full signed report (a PDF, typically).
	Document Document `json:"document"`
}

// Analyte is one measured quantity. Value and Limit are decimal strings
// ("0.004", "-1.5") rather than floats so that every implementation signs
// the same text.
type Analyte struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Unit  string `json:"unit"`
	Limit string `json:"limit"`
	Pass  bool   `json:"pass"`
}

// Document points to the report's full document by content hash.
type Document struct {
	// SHA256 is the lower-case hex SHA-256 of the document's bytes.
	SHA256 string `json:"sha256"`
	URI    string `json:"uri"`
}

// Errors, wrapped with details by the functions below.
var (
	ErrInvalidReport    = errors.New("invalid inspection report")
	ErrInvalidSignature = errors.New("invalid inspection signature")
)

var (
	decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Limits on field sizes: reports are stored on every peer.
const (
	maxText     = 256
	maxLots     = 100
	maxAnalytes = 200
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidReport, fmt.Sprintf(format, args...))
}

// Validate checks the report's syntax: required fields, decimal strings,
// times in TimeLayout with sampling not after issue, a lower-case hex
// SHA-256, a verdict of "pass" or "fail", and no "pass" verdict over a
// failed analyte. Lot URIs are checked by the ledger, which knows GS1.
func (r Report) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"reportId", r.ReportID}, {"method", r.Method}, {"standard", r.Standard},
		{"document.uri", r.Document.URI},
	} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	if len(r.Lots) == 0 || len(r.Lots) > maxLots {
		return invalid("report %q must name 1 to %d lots, has %d", r.ReportID, maxLots, len(r.Lots))
	}
	seen := make(map[string]bool, len(r.Lots))
	for i, l := range r.Lots {
		if err := checkText(fmt.Sprintf("lots[%d]", i), l); err != nil {
			return err
		}
		if seen[l] {
			return invalid("lot %s listed twice", l)
		}
		seen[l] = true
	}
	sampled, err := ParseTime(r.SampledAt)
	if err != nil {
		return invalid("sampledAt: %v", err)
	}
	issued, err := ParseTime(r.IssuedAt)
	if err != nil {
		return invalid("issuedAt: %v", err)
	}
	if sampled.After(issued) {
		return invalid("sampledAt %s is after issuedAt %s", r.SampledAt, r.IssuedAt)
	}
	if len(r.Analytes) == 0 || len(r.Analytes) > maxAnalytes {
		return invalid("report %q must have 1 to %d analytes, has %d", r.ReportID, maxAnalytes, len(r.Analytes))
	}
	allPass := true
	for i, a := range r.Analytes {
		if err := checkText(fmt.Sprintf("analytes[%d].name", i), a.Name); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("analytes[%d].unit", i), a.Unit); err != nil {
			return err
		}
		if !decimalRE.MatchString(a.Value) || len(a.Value) > 64 {
			return invalid("analytes[%d] (%s) value %q is not a decimal number", i, a.Name, a.Value)
		}
		if !decimalRE.MatchString(a.Limit) || len(a.Limit) > 64 {
			return invalid("analytes[%d] (%s) limit %q is not a decimal number", i, a.Name, a.Limit)
		}
		allPass = allPass && a.Pass
	}
	switch r.Verdict {
	case VerdictPass:
		if !allPass {
			return invalid("verdict %q contradicts a failed analyte", r.Verdict)
		}
	case VerdictFail:
	default:
		return invalid("verdict %q is not %q or %q", r.Verdict, VerdictPass, VerdictFail)
	}
	if !sha256RE.MatchString(r.Document.SHA256) {
		return invalid("document.sha256 %q is not 64 lower-case hex digits", r.Document.SHA256)
	}
	return nil
}

func checkText(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return invalid("%s is empty", name)
	}
	if len(v) > maxText {
		return invalid("%s is longer than %d bytes", name, maxText)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f || c == 0xfffd {
			return invalid("%s %q contains a control or invalid character", name, v)
		}
	}
	return nil
}

// ParseTime parses a report time, accepting only TimeLayout.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil || t.Format(TimeLayout) != s {
		return time.Time{}, fmt.Errorf("%q is not a UTC time of the form %s", s, TimeLayout)
	}
	return t, nil
}

// Types are the EIP-712 types of a report, EIP712Domain included.
func Types() apitypes.Types {
	return apitypes.Types{
		"EIP712Domain": {
			{Name: "name", Type: "string"},
			{Name: "version", Type: "string"},
		},
		PrimaryType: {
			{Name: "reportId", Type: "string"},
			{Name: "lots", Type: "string[]"},
			{Name: "method", Type: "string"},
			{Name: "standard", Type: "string"},
			{Name: "sampledAt", Type: "string"},
			{Name: "analytes", Type: "Analyte[]"},
			{Name: "verdict", Type: "string"},
			{Name: "issuedAt", Type: "string"},
			{Name: "documentSha256", Type: "bytes32"},
			{Name: "documentUri", Type: "string"},
		},
		"Analyte": {
			{Name: "name", Type: "string"},
			{Name: "value", Type: "string"},
			{Name: "unit", Type: "string"},
			{Name: "limit", Type: "string"},
			{Name: "pass", Type: "bool"},
		},
	}
}

// Domain is the EIP-712 domain of every report.
func Domain() apitypes.TypedDataDomain {
	return apitypes.TypedDataDomain{Name: DomainName, Version: DomainVersion}
}

// TypedData returns the report as EIP-712 typed data, the structure a wallet
// displays and signs. The report must be valid.
func TypedData(r Report) (apitypes.TypedData, error) {
	if err := r.Validate(); err != nil {
		return apitypes.TypedData{}, err
	}
	lots := make([]any, len(r.Lots))
	for i, l := range r.Lots {
		lots[i] = l
	}
	analytes := make([]any, len(r.Analytes))
	for i, a := range r.Analytes {
		analytes[i] = map[string]any{
			"name": a.Name, "value": a.Value, "unit": a.Unit, "limit": a.Limit, "pass": a.Pass,
		}
	}
	doc, _ := hex.DecodeString(r.Document.SHA256) // checked by Validate
	return apitypes.TypedData{
		Types:       Types(),
		PrimaryType: PrimaryType,
		Domain:      Domain(),
		Message: apitypes.TypedDataMessage{
			"reportId":       r.ReportID,
			"lots":           lots,
			"method":         r.Method,
			"standard":       r.Standard,
			"sampledAt":      r.SampledAt,
			"analytes":       analytes,
			"verdict":        r.Verdict,
			"issuedAt":       r.IssuedAt,
			"documentSha256": doc,
			"documentUri":    r.Document.URI,
		},
	}, nil
}

// Hashes are the intermediate EIP-712 hashes of a report, for
// cross-implementation checks.
type Hashes struct {
	DomainSeparator common.Hash
	StructHash      common.Hash
	// Digest is keccak256(0x19 0x01 ‖ DomainSeparator ‖ StructHash), what is signed.
	Digest common.Hash
}

// Hash computes the report's EIP-712 hashes.
func Hash(r Report) (Hashes, error) {
	td, err := TypedData(r)
	if err != nil {
		return Hashes{}, err
	}
	ds, err := td.HashStruct("EIP712Domain", td.Domain.Map())
	if err != nil {
		return Hashes{}, fmt.Errorf("%w: hashing domain: %v", ErrInvalidReport, err)
	}
	sh, err := td.HashStruct(td.PrimaryType, td.Message)
	if err != nil {
		return Hashes{}, fmt.Errorf("%w: hashing report: %v", ErrInvalidReport, err)
	}
	digest, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		return Hashes{}, fmt.Errorf("%w: %v", ErrInvalidReport, err)
	}
	return Hashes{
		DomainSeparator: common.BytesToHash(ds),
		StructHash:      common.BytesToHash(sh),
		Digest:          common.BytesToHash(digest),
	}, nil
}

// Digest is the 32-byte EIP-712 digest of the report, what a signer signs.
func Digest(r Report) (common.Hash, error) {
	h, err := Hash(r)
	return h.Digest, err
}

// SignatureLen is the length of r ‖ s ‖ v.
const SignatureLen = 65

// Sign signs the report's digest with key and returns r ‖ s ‖ v with v 27 or
// 28, the form wallets (eth_signTypedData_v4, ethers' signTypedData) return.
func Sign(r Report, key *ecdsa.PrivateKey) ([]byte, error) {
	d, err := Digest(r)
	if err != nil {
		return nil, err
	}
	sig, err := crypto.Sign(d[:], key)
	if err != nil {
		return nil, fmt.Errorf("signing report %q: %w", r.ReportID, err)
	}
	sig[64] += 27
	return sig, nil
}

// Recover returns the address that signed the report. It accepts a 65-byte
// r ‖ s ‖ v with v in {27, 28} (or {0, 1}) and a low s (EIP-2), so every
// report has exactly one valid encoding of each signature.
func Recover(r Report, sig []byte) (common.Address, error) {
	if len(sig) != SignatureLen {
		return common.Address{}, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidSignature, len(sig), SignatureLen)
	}
	v := sig[64]
	if v >= 27 {
		v -= 27
	}
	rr, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	// homestead=true rejects a high s, the malleated twin of a valid signature.
	if v > 1 || !crypto.ValidateSignatureValues(v, rr, s, true) {
		return common.Address{}, fmt.Errorf("%w: r, s or v out of range (v=%d)", ErrInvalidSignature, sig[64])
	}
	d, err := Digest(r)
	if err != nil {
		return common.Address{}, err
	}
	norm := append([]byte(nil), sig...)
	norm[64] = v
	pub, err := crypto.SigToPub(d[:], norm)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// ParseSignature decodes a hex signature, with or without 0x.
func ParseSignature(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil || len(b) != SignatureLen {
		return nil, fmt.Errorf("%w: %q is not %d hex-encoded bytes", ErrInvalidSignature, truncate(s, 140), SignatureLen)
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
