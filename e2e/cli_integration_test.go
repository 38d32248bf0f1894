// Package e2e holds end-to-end tests that drive the trustline binary itself,
// as a person or a script would, against a real testnet.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// cli runs the trustline binary with the network's state directory.
type cli struct {
	t   *testing.T
	bin string
	dir string // testnet state directory
	tmp string // scratch files
	n   int
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	// Nothing of the caller's trustline settings or config file leaks in.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRUSTLINE_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TRUSTLINE_TESTNET_DIR="+c.dir, "XDG_CONFIG_HOME="+filepath.Join(c.tmp, "config"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("running trustline %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errOut.String(), code
}

// must runs a command that must succeed. The next command may act as
// another organisation, endorsed on its peer: the binary itself waits
// until every member's peer has the block it wrote (a timeout would show
// as a warning on stderr).
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("trustline %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	if strings.Contains(errOut, "warning:") {
		c.t.Logf("trustline %s: %s", strings.Join(args, " "), errOut)
	}
	return out
}

// file writes content to a new scratch file and returns its path.
func (c *cli) file(name, content string) string {
	c.t.Helper()
	c.n++
	p := filepath.Join(c.tmp, fmt.Sprintf("%02d-%s", c.n, name))
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
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

// command translates one step of the demo story into the command a person
// of that organisation would type.
func (c *cli) command(s demo.Step, labKeyFile string) []string {
	c.t.Helper()
	p := []string{"--profile", s.Org}
	switch s.Fn {
	case "Product:RegisterProduct":
		return append([]string{"product", "register", "-f", c.file("product.json", s.Args[0])}, p...)
	case "Claim:RegisterClaim":
		return append([]string{"claim", "add", "-f", c.file("claim.json", s.Args[0])}, p...)
	case "Lab:RegisterLabSigner":
		return append([]string{"lab", "register-signer", s.Args[0], "--name", s.Args[1], "--accreditation", s.Args[2]}, p...)
	case "Batch:CreateBatch":
		return append([]string{"batch", "create", "-f", c.file("batch.json", s.Args[0])}, p...)
	case "Batch:Transform":
		return append([]string{"batch", "transform", "-f", c.file("transform.json", s.Args[0])}, p...)
	case "Lab:SubmitInspection":
		// The lab signs the report with its own key through the CLI,
		// rather than submitting the story's signature.
		signed := c.must("lab", "sign", c.file("report.json", s.Args[0]), "--key-file", labKeyFile)
		return append([]string{"lab", "submit", c.file("signed.json", signed)}, p...)
	case "Custody:Ship":
		return append([]string{"ship", "-f", c.file("ship.json", s.Args[0])}, p...)
	case "Custody:Receive":
		var r ledger.ReceiveRequest
		if err := json.Unmarshal([]byte(s.Args[0]), &r); err != nil {
			c.t.Fatal(err)
		}
		return append([]string{"receive", "--lot", r.Lot, "--readings", c.file("arrival.csv", csv(r.Readings))}, p...)
	case "Custody:RecordReadings":
		var r ledger.ReadingsRequest
		if err := json.Unmarshal([]byte(s.Args[0]), &r); err != nil {
			c.t.Fatal(err)
		}
		return append([]string{"readings", "add", "--lot", r.Lot, "--readings", c.file("logger.csv", csv(r.Readings))}, p...)
	case "Product:CommissionUnits":
		var serials []string
		if err := json.Unmarshal([]byte(s.Args[1]), &serials); err != nil {
			c.t.Fatal(err)
		}
		args := []string{"units", "commission", s.Args[0]}
		for _, sn := range serials {
			args = append(args, "--serial", sn)
		}
		return append(args, p...)
	case "Product:Recall":
		return append([]string{"recall", s.Args[0], "--reason", s.Args[1], "--class", s.Args[2]}, p...)
	}
	c.t.Fatalf("no command for %s", s.Fn)
	return nil
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The whole demo story through the CLI binary as the four organisations,
// then the consumer's view from a node, including the QR image it serves.
func TestIntegrationCLIBinaryScenario(t *testing.T) {
	n := testkit.Network(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "trustline")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/trustline/trustline/cmd/trustline").CombinedOutput(); err != nil {
		t.Fatalf("building trustline: %v\n%s", err, b)
	}
	c := &cli{t: t, bin: bin, dir: n.Dir(), tmp: tmp}

	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := c.file("lab.key", hex.EncodeToString(crypto.FromECDSA(key)))
	sc, err := demo.New(time.Now(), time.Now().UTC().Format("060102150405"), demo.KeySigner{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sc.Steps {
		args := c.command(s, keyFile)
		out := c.must(args...)
		t.Logf("[%2d] %s: trustline %s\n%s", i+1, s.Org, strings.Join(args[:2], " "), strings.TrimSpace(out))
	}

	// A refusal reaches the user as one line with the reason, exit 3.
	_, errOut, code := c.run("ship", "--profile", "logistics", "--lot", sc.YogurtLot, "--to", "SupplierMSP", "--destination", "4260123453002")
	if code != cmdutil.ExitRejected {
		t.Errorf("ship by a non-custodian: exit %d, want %d\n%s", code, cmdutil.ExitRejected, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || !strings.Contains(errOut, "custodian") {
		t.Errorf("ship by a non-custodian: want one line naming the custodian rule, got:\n%s", errOut)
	}
	// A usage error shows the command's usage, exit 2.
	_, errOut, code = c.run("ship", "--profile", "supplier", "--to", "BrandMSP")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "Usage:") {
		t.Errorf("ship without a lot: exit %d, want %d with usage\n%s", code, cmdutil.ExitUsage, errOut)
	}

	// The brand's node, started through the binary.
	port := freePort(t)
	nodeURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	node := exec.CommandContext(ctx, bin, "node", "start", "--testnet-org", "brand", "--testnet-dir", n.Dir(),
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--base-url", nodeURL, "--data-dir", filepath.Join(tmp, "node"))
	nodeLog, _ := os.Create(filepath.Join(tmp, "node.log"))
	node.Stdout, node.Stderr = nodeLog, nodeLog
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = node.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { node.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
		}
		nodeLog.Close()
	})

	// The unit's trace from the node, once it has indexed the story.
	var trace string
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, errOut, code := c.run("trace", sc.Unit, "--node", nodeURL, "-o", "json")
		if code == 0 && strings.Contains(out, sc.Serials[0]) && strings.Contains(out, "receiving") {
			trace = out
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(tmp, "node.log"))
			t.Fatalf("no trace of %s from the node: exit %d\n%s%s\nnode log:\n%s", sc.Unit, code, out, errOut, log)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for _, want := range []string{sc.YogurtLot, sc.RawMilkLot, "commissioning", "shipping", "receiving"} {
		if !strings.Contains(trace, want) {
			t.Errorf("unit trace lacks %q", want)
		}
	}

	// The QR image the node serves decodes to the same trace.
	resp, err := http.Get(nodeURL + "/qr" + strings.TrimPrefix(sc.Unit, "https://id.gs1.org") + ".png")
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	fromQR, errOut, code := c.run("trace", c.file("qr.png", string(png)), "--node", nodeURL, "-o", "json")
	if code != 0 {
		t.Fatalf("trace from the QR image: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(fromQR, sc.Serials[0]) || !strings.Contains(fromQR, sc.YogurtLot) {
		t.Errorf("trace from the QR image is not the unit's:\n%.400s", fromQR)
	}

	// The recalled lot, as a consumer's phone and as JSON.
	out, _, code := c.run("trace", sc.BreachedLot, "--node", nodeURL, "-o", "json")
	if code != 0 || !strings.Contains(out, "recalled") {
		t.Errorf("lot B trace: exit %d, want it recalled:\n%.600s", code, out)
	}
	req, _ := http.NewRequest(http.MethodGet, nodeURL+strings.TrimPrefix(sc.Unit, "https://id.gs1.org"), nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Organic Greek yogurt 500 g", "Signature verified", "Bavarian Food Lab"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("consumer page lacks %q", want)
		}
	}
}
