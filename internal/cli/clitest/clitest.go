// Package clitest runs the trustline command tree in-process for tests.
package clitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/testnet/testkit"
)

// Result is what a command run printed and its exit code.
type Result = cmdtest.Result

// Run executes `trustline args...`, the whole tree with the real clients,
// with stdin as standard input, printing the error as the real binary does
// (see cmdtest.Exec).
func Run(t testing.TB, stdin string, args ...string) Result {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	return cmdtest.Exec(cli.NewRootCmd(ios), ios, stdin, args...)
}

// FirstLine is the first line of s.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Isolate clears the TRUSTLINE_* identity and points the config file and
// the testnet at a new empty directory, which it returns, so tests never
// pick up the developer's setup.
func Isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"TRUSTLINE_GATEWAY", "TRUSTLINE_TLS_CA", "TRUSTLINE_TLS_SERVER_NAME", "TRUSTLINE_MSP_ID", "TRUSTLINE_CERT",
		"TRUSTLINE_KEY", "TRUSTLINE_CHANNEL", "TRUSTLINE_CHAINCODE", "TRUSTLINE_PROFILE", "TRUSTLINE_NODE", "TRUSTLINE_CONFIG",
		"TRUSTLINE_LAB_KEY", "TRUSTLINE_LAB_PASSWORD"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("TRUSTLINE_TESTNET_DIR", filepath.Join(dir, "testnet"))
	return dir
}

// WriteFile writes body to dir/name and returns the path.
func WriteFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// SelfSigned writes a CA certificate and a client certificate and key
// into dir, so that a client can be configured, if not served.
func SelfSigned(t testing.TB, dir string) (ca, cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "user"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return WriteFile(t, dir, "ca.pem", certPEM), WriteFile(t, dir, "cert.pem", certPEM),
		WriteFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})))
}

// Ledger runs commands as organisations of the testnet in Dir and checks
// their exit.
type Ledger struct {
	T   testing.TB
	Dir string
}

// As runs a command as org.
func (c Ledger) As(org string, args ...string) Result {
	c.T.Helper()
	return Run(c.T, "", append(args, "--profile", org, "--testnet-dir", c.Dir)...)
}

// OK runs a command that must succeed, then waits until every peer has
// what it wrote, so the next command, endorsed anywhere, sees it.
func (c Ledger) OK(org string, args ...string) string {
	c.T.Helper()
	r := c.As(org, args...)
	if r.Code != 0 {
		c.T.Fatalf("%s as %s: exit %d: %s", args, org, r.Code, r.Stderr)
	}
	testkit.WaitForSync(c.T)
	return r.Stdout
}

// OKJSON runs a command with -o json and decodes its output into v.
func (c Ledger) OKJSON(v any, org string, args ...string) {
	c.T.Helper()
	out := c.OK(org, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.T.Fatalf("%s as %s printed no JSON %T: %v\n%s", args, org, v, err, out)
	}
}

// Rejected runs a command the ledger must refuse: exit 3, one line naming
// why (containing want).
func (c Ledger) Rejected(want, org string, args ...string) {
	c.T.Helper()
	r := c.As(org, args...)
	if r.Code != cmdutil.ExitRejected {
		c.T.Fatalf("%s as %s: exit %d, want %d (rejected): %s", args, org, r.Code, cmdutil.ExitRejected, r.Stderr)
	}
	if strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, want) {
		c.T.Fatalf("%s as %s: stderr %q, want one line with %q", args, org, r.Stderr, want)
	}
}
