// Package lab is what a laboratory needs around the ledger: an Ethereum
// signing key (an encrypted keystore file or a hex key), EIP-712 signing of
// inspection reports with it, and verification of a signed report against
// the signer's address, offline.
package lab

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"

	"github.com/trustline/trustline/inspection"
)

// Signer is a lab's signing key.
type Signer struct {
	key *ecdsa.PrivateKey
}

// NewSigner wraps an existing key.
func NewSigner(key *ecdsa.PrivateKey) *Signer { return &Signer{key: key} }

// GenerateSigner makes a new random key.
func GenerateSigner() (*Signer, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	return &Signer{key: k}, nil
}

// SignerFromHex reads a hex secp256k1 private key, with or without 0x.
func SignerFromHex(s string) (*Signer, error) {
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		return nil, fmt.Errorf("hex private key: %w", err)
	}
	return &Signer{key: k}, nil
}

// SignerFromKeystore decrypts a Web3 Secret Storage (geth keystore) file.
func SignerFromKeystore(path, password string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := keystore.DecryptKey(b, password)
	if err != nil {
		return nil, fmt.Errorf("decrypting keystore %s: %w", path, err)
	}
	return &Signer{key: k.PrivateKey}, nil
}

// Address is the signer's EIP-55 address, what the lab registers on the
// ledger (Lab:RegisterLabSigner).
func (s *Signer) Address() common.Address { return crypto.PubkeyToAddress(s.key.PublicKey) }

// Hex is the private key in hex, without 0x. Keep it secret.
func (s *Signer) Hex() string { return hex.EncodeToString(crypto.FromECDSA(s.key)) }

// Keystore encrypts the key as a Web3 Secret Storage file with standard
// scrypt parameters (light ones when light, for tests).
func (s *Signer) Keystore(password string, light bool) ([]byte, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, err
	}
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if light {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	return keystore.EncryptKey(&keystore.Key{Id: id, Address: s.Address(), PrivateKey: s.key}, password, n, p)
}

// WriteKeystore writes the encrypted key to path (mode 0600), refusing to
// overwrite a file.
func (s *Signer) WriteKeystore(path, password string, light bool) error {
	b, err := s.Keystore(password, light)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Sign validates the report and returns its 65-byte EIP-712 signature
// (r ‖ s ‖ v, v = 27 or 28), what Lab:SubmitInspection takes.
func (s *Signer) Sign(r inspection.Report) ([]byte, error) {
	return inspection.Sign(r, s.key)
}

// SignedReport is a report with its signature, as a lab hands it on.
type SignedReport struct {
	Report inspection.Report `json:"report"`
	// Signature is 0x-prefixed hex.
	Signature string `json:"signature"`
	// Signer is the signing address, informative: Verify recovers it.
	Signer string `json:"signer,omitempty"`
}

// SignReport signs r and bundles it with its signature and signer.
func (s *Signer) SignReport(r inspection.Report) (SignedReport, error) {
	sig, err := s.Sign(r)
	if err != nil {
		return SignedReport{}, err
	}
	return SignedReport{Report: r, Signature: "0x" + hex.EncodeToString(sig), Signer: s.Address().Hex()}, nil
}

// ErrWrongSigner is returned by Verify when the signature is valid but by
// another address than the one expected.
var ErrWrongSigner = errors.New("report signed by another address")

// Verify recovers the address that signed the report and, when want is not
// the zero address, checks it is want.
func Verify(r inspection.Report, signature []byte, want common.Address) (common.Address, error) {
	got, err := inspection.Recover(r, signature)
	if err != nil {
		return common.Address{}, err
	}
	if want != (common.Address{}) && got != want {
		return got, fmt.Errorf("%w: signed by %s, not %s", ErrWrongSigner, got.Hex(), want.Hex())
	}
	return got, nil
}

// Verify checks a signed report's signature and, when Signer is set, that
// it names the recovered address.
func (sr SignedReport) Verify() (common.Address, error) {
	sig, err := inspection.ParseSignature(sr.Signature)
	if err != nil {
		return common.Address{}, err
	}
	var want common.Address
	if sr.Signer != "" {
		if !common.IsHexAddress(sr.Signer) {
			return common.Address{}, fmt.Errorf("signer %q is not an Ethereum address", sr.Signer)
		}
		want = common.HexToAddress(sr.Signer)
	}
	return Verify(sr.Report, sig, want)
}

// ParseSignedReport decodes a SignedReport, rejecting unknown fields.
func ParseSignedReport(b []byte) (SignedReport, error) {
	var sr SignedReport
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		return sr, fmt.Errorf("signed report: %w", err)
	}
	return sr, nil
}
