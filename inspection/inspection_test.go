package inspection

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

var update = flag.Bool("update", false, "rewrite testdata/eip712_vector.json")

func sampleReport() Report {
	return Report{
		ReportID:  "LAB-2025-0001",
		Lots:      []string{"https://id.gs1.org/01/09506000134352/10/L1"},
		Method:    "LC-MS/MS multi-residue",
		Standard:  "EN 15662:2018",
		SampledAt: "2025-06-01T08:00:00Z",
		Analytes: []Analyte{
			{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true},
			{Name: "Salmonella spp.", Value: "0", Unit: "cfu/25g", Limit: "0", Pass: true},
		},
		Verdict:  VerdictPass,
		IssuedAt: "2025-06-02T10:30:00Z",
		Document: Document{
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			URI:    "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		},
	}
}

// vectorKey is a fixed, public test key. Never use it for anything else.
func vectorKey(t testing.TB) (keyHex string) {
	t.Helper()
	return hex.EncodeToString(crypto.Keccak256([]byte("trustline inspection test vector")))
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Report)
		want   string // substring of the error; "" for valid
	}{
		{"valid", func(*Report) {}, ""},
		{"fail verdict with passing analytes", func(r *Report) { r.Verdict = VerdictFail }, ""},
		{"empty report id", func(r *Report) { r.ReportID = " " }, "reportId is empty"},
		{"long method", func(r *Report) { r.Method = strings.Repeat("m", 257) }, "method is longer"},
		{"control char", func(r *Report) { r.Standard = "EN\n1" }, "control or invalid"},
		{"no lots", func(r *Report) { r.Lots = nil }, "1 to 100 lots"},
		{"duplicate lot", func(r *Report) { r.Lots = append(r.Lots, r.Lots[0]) }, "listed twice"},
		{"empty lot", func(r *Report) { r.Lots = []string{""} }, "lots[0] is empty"},
		{"sampled not UTC", func(r *Report) { r.SampledAt = "2025-06-01T08:00:00+02:00" }, "sampledAt"},
		{"issued fractional", func(r *Report) { r.IssuedAt = "2025-06-02T10:30:00.5Z" }, "issuedAt"},
		{"sampled after issued", func(r *Report) { r.SampledAt = "2025-06-03T00:00:00Z" }, "is after issuedAt"},
		{"no analytes", func(r *Report) { r.Analytes = nil }, "analytes"},
		{"float value", func(r *Report) { r.Analytes[0].Value = "4e-3" }, `value "4e-3" is not a decimal`},
		{"leading zero", func(r *Report) { r.Analytes[0].Value = "00.1" }, "not a decimal"},
		{"bad limit", func(r *Report) { r.Analytes[0].Limit = "" }, `limit "" is not a decimal`},
		{"empty analyte unit", func(r *Report) { r.Analytes[1].Unit = "" }, "analytes[1].unit is empty"},
		{"pass over failed analyte", func(r *Report) { r.Analytes[1].Pass = false }, "contradicts a failed analyte"},
		{"unknown verdict", func(r *Report) { r.Verdict = "ok" }, `verdict "ok"`},
		{"upper-case sha", func(r *Report) { r.Document.SHA256 = strings.ToUpper(r.Document.SHA256) }, "document.sha256"},
		{"short sha", func(r *Report) { r.Document.SHA256 = "abcd" }, "document.sha256"},
		{"no uri", func(r *Report) { r.Document.URI = "" }, "document.uri is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			tt.mutate(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidReport) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate error = %v, want ErrInvalidReport containing %q", err, tt.want)
			}
			if _, err := Sign(r, mustKey(t)); !errors.Is(err, ErrInvalidReport) {
				t.Fatalf("Sign of an invalid report: %v", err)
			}
			if _, err := Recover(r, make([]byte, 65)); err == nil {
				t.Fatal("Recover of an invalid report succeeded")
			}
		})
	}
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.HexToECDSA(vectorKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignRecover(t *testing.T) {
	key := mustKey(t)
	want := crypto.PubkeyToAddress(key.PublicKey)
	r := sampleReport()
	sig, err := Sign(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		t.Fatalf("signature %x: want 65 bytes with v 27/28", sig)
	}
	got, err := Recover(r, sig)
	if err != nil || got != want {
		t.Fatalf("Recover = %s, %v; want %s", got, err, want)
	}
	// v as 0/1 (raw secp256k1) is accepted as the same signature.
	raw := append([]byte(nil), sig...)
	raw[64] -= 27
	if got, err := Recover(r, raw); err != nil || got != want {
		t.Fatalf("Recover with v 0/1 = %s, %v", got, err)
	}

	// Any change to the signed content yields another (unregistered) address.
	changes := map[string]func(*Report){
		"value":    func(r *Report) { r.Analytes[0].Value = "0.005" },
		"lot":      func(r *Report) { r.Lots[0] = "https://id.gs1.org/01/09506000134352/10/L2" },
		"reportId": func(r *Report) { r.ReportID = "LAB-2025-0002" },
		"document": func(r *Report) { r.Document.URI = "ipfs://other" },
		"pass":     func(r *Report) { r.Analytes[0].Pass = false; r.Verdict = VerdictFail },
		"analytes": func(r *Report) { r.Analytes = r.Analytes[:1] },
	}
	for _, name := range []string{"value", "lot", "reportId", "document", "pass", "analytes"} {
		other := sampleReport()
		changes[name](&other)
		got, err := Recover(other, sig)
		if err == nil && got == want {
			t.Errorf("changing %s still recovers the signer", name)
		}
	}
}

func TestRecoverRejects(t *testing.T) {
	r := sampleReport()
	sig, err := Sign(r, mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	n := crypto.S256().Params().N
	highS := append([]byte(nil), sig...)
	s := new(big.Int).SetBytes(sig[32:64])
	new(big.Int).Sub(n, s).FillBytes(highS[32:64])
	highS[64] ^= 1 // 27<->28: the malleated twin

	tests := []struct {
		name string
		sig  []byte
	}{
		{"empty", nil},
		{"short", sig[:64]},
		{"long", append(append([]byte(nil), sig...), 0)},
		{"v 29", append(append([]byte(nil), sig[:64]...), 29)},
		{"v 2", append(append([]byte(nil), sig[:64]...), 2)},
		{"zero r", append(make([]byte, 32), sig[32:]...)},
		{"high s", highS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Recover(r, tt.sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("Recover = %v, want ErrInvalidSignature", err)
			}
		})
	}
}

func TestParseSignature(t *testing.T) {
	sig := bytes.Repeat([]byte{0xab}, 65)
	h := hex.EncodeToString(sig)
	for _, in := range []string{h, "0x" + h, "0X" + h} {
		if got, err := ParseSignature(in); err != nil || !bytes.Equal(got, sig) {
			t.Errorf("ParseSignature(%.8s…) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0x", h[:128], h + "00", "zz" + h[2:]} {
		if _, err := ParseSignature(in); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("ParseSignature(%q) = %v, want ErrInvalidSignature", in, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, ok := range map[string]bool{
		"2025-06-01T08:00:00Z":      true,
		"2025-06-01T08:00:00.000Z":  false,
		"2025-06-01T08:00:00+00:00": false,
		"2025-06-01 08:00:00Z":      false,
		"2025-13-01T08:00:00Z":      false,
		"":                          false,
	} {
		if _, err := ParseTime(in); (err == nil) != ok {
			t.Errorf("ParseTime(%q) err = %v, want ok=%v", in, err, ok)
		}
	}
}

// vector is testdata/eip712_vector.json: everything another EIP-712
// implementation needs to check that it signs reports as this one does.
// typedData is in the form ethers' signTypedData(domain, types, message)
// takes (types without EIP712Domain).
type vector struct {
	Comment    string `json:"comment"`
	PrivateKey string `json:"privateKey"`
	Address    string `json:"address"`
	Report     Report `json:"report"`
	TypedData  struct {
		Domain  any `json:"domain"`
		Types   any `json:"types"`
		Message any `json:"message"`
	} `json:"typedData"`
	EncodedType     string `json:"encodedType"`
	DomainSeparator string `json:"domainSeparator"`
	StructHash      string `json:"structHash"`
	Digest          string `json:"digest"`
	Signature       string `json:"signature"`
}

func buildVector(t *testing.T) vector {
	key := mustKey(t)
	r := sampleReport()
	td, err := TypedData(r)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Hash(r)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(r, key)
	if err != nil {
		t.Fatal(err)
	}
	v := vector{
		Comment:         "EIP-712 test vector for trustline inspection reports. The private key is public: test use only.",
		PrivateKey:      "0x" + vectorKey(t),
		Address:         crypto.PubkeyToAddress(key.PublicKey).Hex(),
		Report:          r,
		EncodedType:     string(td.EncodeType(PrimaryType)),
		DomainSeparator: h.DomainSeparator.Hex(),
		StructHash:      h.StructHash.Hex(),
		Digest:          h.Digest.Hex(),
		Signature:       "0x" + hex.EncodeToString(sig),
	}
	types := Types()
	delete(types, "EIP712Domain")
	msg := map[string]any{}
	for k, val := range td.Message {
		msg[k] = val
	}
	msg["documentSha256"] = "0x" + r.Document.SHA256
	v.TypedData.Domain = map[string]string{"name": DomainName, "version": DomainVersion}
	v.TypedData.Types = types
	v.TypedData.Message = msg
	return v
}

func TestVector(t *testing.T) {
	path := filepath.Join("testdata", "eip712_vector.json")
	got := buildVector(t)
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want vector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"encodedType", got.EncodedType, want.EncodedType},
		{"address", got.Address, want.Address},
		{"domainSeparator", got.DomainSeparator, want.DomainSeparator},
		{"structHash", got.StructHash, want.StructHash},
		{"digest", got.Digest, want.Digest},
		{"signature", got.Signature, want.Signature},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, vector has %s", c.name, c.got, c.want)
		}
	}
	// The vector's report and signature recover the vector's address.
	sig, err := ParseSignature(want.Signature)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := Recover(want.Report, sig)
	if err != nil || addr != common.HexToAddress(want.Address) {
		t.Fatalf("Recover(vector) = %s, %v; want %s", addr, err, want.Address)
	}
	const wantType = "InspectionReport(string reportId,string[] lots,string method,string standard,string sampledAt,Analyte[] analytes,string verdict,string issuedAt,bytes32 documentSha256,string documentUri)Analyte(string name,string value,string unit,string limit,bool pass)"
	if want.EncodedType != wantType {
		t.Errorf("encodedType = %s", want.EncodedType)
	}
}
