package client_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
)

// TestDial: Dial opens a gateway connection from a Config alone, filling
// in the default channel and chaincode, and names what an unusable Config
// lacks.
func TestDial(t *testing.T) {
	ok := identityFiles(t)
	for _, tc := range []struct {
		name    string
		cfg     func(client.Config) client.Config
		wantErr string
	}{
		{"complete", func(c client.Config) client.Config { return c }, ""},
		{"explicit channel", func(c client.Config) client.Config { c.Channel, c.Chaincode = "other", "cc"; return c }, ""},
		{"no gateway", func(c client.Config) client.Config { c.GatewayAddress = ""; return c }, "no gateway address"},
		{"no key", func(c client.Config) client.Config { c.KeyPath = ""; return c }, "no private key"},
		{"unreadable CA", func(c client.Config) client.Config { c.TLSCACert += ".missing"; return c }, "reading TLS CA certificate"},
		{"key is no PEM", func(c client.Config) client.Config { c.KeyPath = c.TLSCACert + ".missing"; return c }, "reading private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(ok)
			g, err := client.Dial(context.Background(), cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Dial: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			want := cfg
			if want.Channel == "" {
				want.Channel, want.Chaincode = client.DefaultChannel, client.DefaultChaincode
			}
			if g.Config() != want {
				t.Errorf("Config() = %+v, want %+v", g.Config(), want)
			}
			if g.Network().Name() != want.Channel || g.Contract().ChaincodeName() != want.Chaincode {
				t.Errorf("network %q, chaincode %q", g.Network().Name(), g.Contract().ChaincodeName())
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.Dial(ctx, ok); err == nil {
		t.Error("Dial with a cancelled context succeeded")
	}
}
