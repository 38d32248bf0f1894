package node

import (
	"errors"
	"testing"
)

func TestAnchoringConfigValidate(t *testing.T) {
	const addr = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
	tests := []struct {
		name  string
		c     *AnchoringConfig
		field string // "" = valid
	}{
		{"absent", nil, ""},
		{"disabled", &AnchoringConfig{}, ""},
		{"read-only", &AnchoringConfig{Enabled: true, RPCURL: "http://127.0.0.1:8545", Contract: addr}, ""},
		{"hex key", &AnchoringConfig{Enabled: true, RPCURL: "http://127.0.0.1:8545", Contract: addr, KeyFile: "k", Blocks: 2, Interval: "10s"}, ""},
		{"no RPC", &AnchoringConfig{Enabled: true, Contract: addr}, "anchoring.rpcURL"},
		{"bad contract", &AnchoringConfig{Enabled: true, RPCURL: "x", Contract: "0x12"}, "anchoring.contract"},
		{"two keys", &AnchoringConfig{Enabled: true, RPCURL: "x", Contract: addr, KeyFile: "k", Keystore: "s", PasswordFile: "p"}, "anchoring.keyFile"},
		{"keystore without password", &AnchoringConfig{Enabled: true, RPCURL: "x", Contract: addr, Keystore: "s"}, "anchoring.passwordFile"},
		{"bad interval", &AnchoringConfig{Enabled: true, RPCURL: "x", Contract: addr, Interval: "soon"}, "anchoring.interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.validate()
			var ce *ConfigError
			if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field) {
				t.Errorf("validate() = %v, want field %q", err, tc.field)
			}
		})
	}
}
