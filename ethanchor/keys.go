package ethanchor

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
)

// LoadKeystore decrypts a go-ethereum keystore (V3) key file with the
// password in passwordFile, whose first line is the password, as geth's
// --password reads it.
func LoadKeystore(keyFile, passwordFile string) (*ecdsa.PrivateKey, error) {
	js, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("anchor: key file: %w", err)
	}
	pw, err := os.ReadFile(passwordFile)
	if err != nil {
		return nil, fmt.Errorf("anchor: password file: %w", err)
	}
	line, _, _ := bytes.Cut(pw, []byte("\n"))
	k, err := keystore.DecryptKey(js, strings.TrimSuffix(string(line), "\r"))
	if err != nil {
		return nil, fmt.Errorf("anchor: decrypting %s: %w", keyFile, err)
	}
	return k.PrivateKey, nil
}

// ParseHexKey parses a raw secp256k1 private key in hex, with or without
// 0x: for dev chains only, where keys are public knowledge anyway.
func ParseHexKey(s string) (*ecdsa.PrivateKey, error) {
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		return nil, fmt.Errorf("anchor: hex key: %w", err)
	}
	return k, nil
}
