// Package e2ecli runs the trustline binary in end-to-end tests as a person
// or a script would, and translates the demo story's steps into the
// commands each organisation would type. A CLI may run on a host of its
// own (a network namespace of package testnet/netns). Import it from tests
// only.
package e2ecli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
)

// CLI runs the trustline binary with a testnet's state directory.
type CLI struct {
	T     testing.TB
	Bin   string // the trustline binary
	Dir   string // testnet state directory
	Tmp   string // scratch files
	Netns string // the network namespace it runs in ("" for the test's own)
	n     *int
}

// On returns the same CLI running inside the named network namespace.
func (c *CLI) On(netns string) *CLI {
	d := *c
	d.Netns = netns
	if c.n == nil {
		c.n = new(int)
	}
	d.n = c.n
	return &d
}

// Cmd returns the command running the binary with args, with nothing of
// the caller's trustline settings or config file.
func (c *CLI) Cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(c.Bin, args...)
	if c.Netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", c.Netns, c.Bin}, args...)...)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRUSTLINE_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TRUSTLINE_TESTNET_DIR="+c.Dir, "XDG_CONFIG_HOME="+filepath.Join(c.Tmp, "config"))
	return cmd
}

// Run runs a command and returns its output and exit code.
func (c *CLI) Run(args ...string) (stdout, stderr string, code int) {
	c.T.Helper()
	cmd := c.Cmd(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.T.Fatalf("running trustline %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errOut.String(), code
}

// Must runs a command that must succeed. The next command may act as
// another organisation, endorsed on its peer: the binary itself waits
// until every member's peer has the block it wrote (a timeout would show
// as a warning on stderr).
func (c *CLI) Must(args ...string) string {
	c.T.Helper()
	out, errOut, code := c.Run(args...)
	if code != 0 {
		c.T.Fatalf("trustline %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	if strings.Contains(errOut, "warning:") {
		c.T.Logf("trustline %s: %s", strings.Join(args, " "), errOut)
	}
	return out
}

// File writes content to a new scratch file and returns its path.
func (c *CLI) File(name, content string) string {
	c.T.Helper()
	if c.n == nil {
		c.n = new(int)
	}
	*c.n++
	p := filepath.Join(c.Tmp, fmt.Sprintf("%02d-%s", *c.n, name))
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.T.Fatal(err)
	}
	return p
}

// csv renders readings as a data logger's export.
func csv(rs []ledger.Reading) string {
	var b strings.Builder
	b.WriteString("time,device,temperature_c\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "%s,%s,%g\n", r.Time, r.Device, *r.TemperatureC)
	}
	return b.String()
}

// Command translates one step of the demo story into the command a person
// of that organisation would type.
func (c *CLI) Command(s demo.Step, labKeyFile string) []string {
	c.T.Helper()
	p := []string{"--profile", s.Org}
	switch s.Fn {
	case "Product:RegisterProduct":
		return append([]string{"product", "register", "-f", c.File("product.json", s.Args[0])}, p...)
	case "Claim:RegisterClaim":
		return append([]string{"claim", "add", "-f", c.File("claim.json", s.Args[0])}, p...)
	case "Lab:RegisterLabSigner":
		return append([]string{"lab", "register-signer", s.Args[0], "--name", s.Args[1], "--accreditation", s.Args[2]}, p...)
	case "Batch:CreateBatch":
		return append([]string{"batch", "create", "-f", c.File("batch.json", s.Args[0])}, p...)
	case "Batch:Transform":
		return append([]string{"batch", "transform", "-f", c.File("transform.json", s.Args[0])}, p...)
	case "Lab:SubmitInspection":
		// The lab signs the report with its own key through the CLI,
		// rather than submitting the story's signature.
		signed := c.Must("lab", "sign", c.File("report.json", s.Args[0]), "--key-file", labKeyFile)
		return append([]string{"lab", "submit", c.File("signed.json", signed)}, p...)
	case "Custody:Ship":
		return append([]string{"ship", "-f", c.File("ship.json", s.Args[0])}, p...)
	case "Custody:Receive":
		var r ledger.ReceiveRequest
		if err := json.Unmarshal([]byte(s.Args[0]), &r); err != nil {
			c.T.Fatal(err)
		}
		return append([]string{"receive", "--lot", r.Lot, "--readings", c.File("arrival.csv", csv(r.Readings))}, p...)
	case "Custody:RecordReadings":
		var r ledger.ReadingsRequest
		if err := json.Unmarshal([]byte(s.Args[0]), &r); err != nil {
			c.T.Fatal(err)
		}
		return append([]string{"readings", "add", "--lot", r.Lot, "--readings", c.File("logger.csv", csv(r.Readings))}, p...)
	case "Product:CommissionUnits":
		var serials []string
		if err := json.Unmarshal([]byte(s.Args[1]), &serials); err != nil {
			c.T.Fatal(err)
		}
		args := []string{"units", "commission", s.Args[0]}
		for _, sn := range serials {
			args = append(args, "--serial", sn)
		}
		return append(args, p...)
	case "Product:Recall":
		return append([]string{"recall", s.Args[0], "--reason", s.Args[1], "--class", s.Args[2]}, p...)
	}
	c.T.Fatalf("no command for %s", s.Fn)
	return nil
}
