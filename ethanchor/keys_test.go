package ethanchor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

func TestKeys(t *testing.T) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	js, err := keystore.EncryptKey(&keystore.Key{Id: uuid.New(), Address: crypto.PubkeyToAddress(k.PublicKey), PrivateKey: k},
		"s3cret", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile, pwFile, badPw := filepath.Join(dir, "key.json"), filepath.Join(dir, "pw"), filepath.Join(dir, "bad")
	for name, data := range map[string][]byte{keyFile: js, pwFile: []byte("s3cret\n"), badPw: []byte("wrong\n")} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadKeystore(keyFile, pwFile)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(k) {
		t.Error("LoadKeystore returned another key")
	}
	if _, err := LoadKeystore(keyFile, badPw); err == nil {
		t.Error("LoadKeystore accepted a wrong password")
	}
	if _, err := LoadKeystore(filepath.Join(dir, "missing"), pwFile); err == nil {
		t.Error("LoadKeystore accepted a missing file")
	}

	hex := "0x" + hexutil.Encode(crypto.FromECDSA(k))[2:]
	for _, s := range []string{hex, hex[2:], " " + hex + "\n"} {
		h, err := ParseHexKey(s)
		if err != nil || !h.Equal(k) {
			t.Errorf("ParseHexKey(%q) = %v", s, err)
		}
	}
	if _, err := ParseHexKey("0x1234"); err == nil {
		t.Error("ParseHexKey accepted a short key")
	}
}
