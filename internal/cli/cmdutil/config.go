package cmdutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trustline/trustline/client"
)

// ConfigFile is the optional file of defaults, YAML or JSON:
//
//	profile: supplier            # as --profile
//	testnetDir: /srv/testnet     # as --testnet-dir
//	node: http://127.0.0.1:8080  # as --node
//	gateway:                     # a member's own identity, as TRUSTLINE_* would
//	  gatewayAddress: peer0.supplier.example:7051
//	  tlsCaCert: /etc/trustline/tls-ca.pem
//	  certPath: /etc/trustline/cert.pem
//	  keyPath: /etc/trustline/key.pem
//	  mspId: SupplierMSP
//
// Flags win over environment variables, which win over the file.
type ConfigFile struct {
	Profile    string `json:"profile,omitempty"`
	TestnetDir string `json:"testnetDir,omitempty"`
	Node       string `json:"node,omitempty"`
	// NodeCert, NodeKey and NodeCA: LedgerOptions' of the same names.
	NodeCert string        `json:"nodeCert,omitempty"`
	NodeKey  string        `json:"nodeKey,omitempty"`
	NodeCA   string        `json:"nodeCA,omitempty"`
	Gateway  client.Config `json:"gateway,omitempty"`
}

// ConfigPath is $TRUSTLINE_CONFIG, else config.yaml in the user's config
// directory under trustline/.
func ConfigPath() string {
	if p := os.Getenv("TRUSTLINE_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "trustline", "config.yaml")
}

// LoadConfigFile reads the config file; a missing file is an empty config.
func LoadConfigFile() (ConfigFile, error) {
	var c ConfigFile
	p := ConfigPath()
	if p == "" {
		return c, nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("TRUSTLINE_CONFIG") == "" {
		return c, nil
	}
	if err != nil {
		return c, UsageError("config file: %v", err)
	}
	if err := DecodeInput(p, b, &c); err != nil {
		return c, err
	}
	return c, nil
}
