// Package e2e holds end-to-end tests that drive the trustline binary itself,
// as a person or a script would, against a real testnet.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/hex"
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

	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

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
	c := &e2ecli.CLI{T: t, Bin: bin, Dir: n.Dir(), Tmp: tmp}

	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := c.File("lab.key", hex.EncodeToString(crypto.FromECDSA(key)))
	sc, err := demo.New(time.Now(), time.Now().UTC().Format("060102150405"), demo.KeySigner{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sc.Steps {
		args := c.Command(s, keyFile)
		out := c.Must(args...)
		t.Logf("[%2d] %s: trustline %s\n%s", i+1, s.Org, strings.Join(args[:2], " "), strings.TrimSpace(out))
	}

	// A refusal reaches the user as one line with the reason, exit 3.
	_, errOut, code := c.Run("ship", "--profile", "logistics", "--lot", sc.YogurtLot, "--to", "SupplierMSP", "--destination", "4260123453002")
	if code != cmdutil.ExitRejected {
		t.Errorf("ship by a non-custodian: exit %d, want %d\n%s", code, cmdutil.ExitRejected, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || !strings.Contains(errOut, "custodian") {
		t.Errorf("ship by a non-custodian: want one line naming the custodian rule, got:\n%s", errOut)
	}
	// A usage error shows the command's usage, exit 2.
	_, errOut, code = c.Run("ship", "--profile", "supplier", "--to", "BrandMSP")
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
		out, errOut, code := c.Run("trace", sc.Unit, "--node", nodeURL, "-o", "json")
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
	fromQR, errOut, code := c.Run("trace", c.File("qr.png", string(png)), "--node", nodeURL, "-o", "json")
	if code != 0 {
		t.Fatalf("trace from the QR image: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(fromQR, sc.Serials[0]) || !strings.Contains(fromQR, sc.YogurtLot) {
		t.Errorf("trace from the QR image is not the unit's:\n%.400s", fromQR)
	}

	// The recalled lot, as a consumer's phone and as JSON.
	out, _, code := c.Run("trace", sc.BreachedLot, "--node", nodeURL, "-o", "json")
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
