package verifycmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// freePort is a loopback port free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeReceipt anchors a window of three events on a simulated chain served
// over HTTP and writes a receipt of two of them.
func writeReceipt(t *testing.T) (path, rpcURL string) {
	t.Helper()
	port := freePort(t)
	// Served over HTTP, so that the command dials a URL as it would geth's.
	sim := anchortest.New(t, anchortest.Options{HTTPPort: port})
	sim.AutoMine(t)
	key, b := sim.Keys[0], sim.Client()

	tctx, tcancel := context.WithTimeout(context.Background(), time.Minute)
	defer tcancel()
	contract, err := ethanchor.Deploy(tctx, b, key)
	if err != nil {
		t.Fatal(err)
	}
	var evs [][]byte
	var ids []string
	for i := range 3 {
		ev := fmt.Appendf(nil, `{"type":"ObjectEvent","eventTime":"2025-06-02T00:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["https://id.gs1.org/01/09506000134352/10/L1/21/V%d"]}`, i)
		id, err := epcis.HashEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		evs, ids = append(evs, ev), append(ids, id)
	}
	mw := merkle.NewWindow(ids)
	tree := mw.Tree()
	w := ethanchor.Window{Channel: "trustline", FromBlock: 0, ToBlock: 9, Root: tree.Root()}
	a, err := ethanchor.NewAnchorer(tctx, b, contract, key, ethanchor.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := a.Anchor(tctx, w)
	if err != nil {
		t.Fatal(err)
	}
	var entries []receipt.Entry
	for i := range 2 {
		idx, _ := mw.Index(ids[i])
		p, _ := tree.Proof(idx)
		entries = append(entries, receipt.Entry{Event: evs[i], EventID: ids[i], TxID: fmt.Sprint("tx", i), Block: 3,
			Proof: receipt.Proof{Window: w, Size: 3, LeafIndex: uint64(idx), Path: p, Anchors: []ethanchor.Receipt{ar}}})
	}
	r, err := receipt.Build(receipt.Subject{DigitalLink: "https://id.gs1.org/01/09506000134352/10/L1"}, entries, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.Marshal()
	path = filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf("http://127.0.0.1:%d", port)
}

// tamper rewrites the receipt at path with f applied.
func tamper(t *testing.T, path string, f func(r *receipt.Receipt)) string {
	t.Helper()
	data, _ := os.ReadFile(path)
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	f(r)
	data, _ = r.Marshal()
	out := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerify(t *testing.T) {
	good, url := writeReceipt(t)
	badEvent := tamper(t, good, func(r *receipt.Receipt) {
		r.Events[1].Event = json.RawMessage(strings.Replace(string(r.Events[1].Event), "V1", "V7", 1))
	})
	badPath := tamper(t, good, func(r *receipt.Receipt) { r.Events[0].Path[0][0] ^= 1 })
	badAnchor := tamper(t, good, func(r *receipt.Receipt) { r.Windows[0].Anchors[0].TxHash[0] ^= 1 })
	otherLot := tamper(t, good, func(r *receipt.Receipt) { r.Subject.DigitalLink = "https://id.gs1.org/01/09506000134352/10/L2" })
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	os.WriteFile(garbage, []byte("{\"version\": 1, "), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"offline", []string{"verify", good}, 0, []string{"✓ ni:///sha-256;", "all 2 events verified", "not checked on chain"}, ""},
		{"online", []string{"verify", good, "--eth-rpc", url}, 0, []string{"confirmed on chain", "anchors checked on chain 1337"}, ""},
		{"event flipped", []string{"verify", badEvent, "--eth-rpc", url}, 3, []string{"✗", "event: receipt: event id does not match", "1 of 2 events FAILED"}, "FAILED"},
		{"path flipped", []string{"verify", badPath}, 3, []string{"✗", "path: merkle: root mismatch"}, ""},
		{"subject changed to another lot", []string{"verify", otherLot}, 3, []string{"✗ not bound to the subject", "names neither the subject lot https://id.gs1.org/01/09506000134352/10/L2"}, "NOT bound to the subject"},
		{"limits stated", []string{"verify", good}, 0, []string{"not proven by a version 2 receipt:", "that no event of the lot was left out"}, ""},
		{"anchor flipped offline passes", []string{"verify", badAnchor}, 0, []string{"not checked on chain"}, ""},
		{"anchor flipped online", []string{"verify", badAnchor, "--eth-rpc", url}, 3, []string{"anchor 0: anchor: not found", "2 of 2 events FAILED"}, ""},
		{"json", []string{"verify", badPath, "-o", "json"}, 3, []string{`"ok": false`, `"part": "path"`}, ""},
		{"unreachable rpc", []string{"verify", good, "--eth-rpc", "http://127.0.0.1:1", "--timeout", "20s"}, 4, nil, "unreachable"},
		{"unreadable", []string{"verify", garbage}, 2, nil, "not a valid receipt"},
		{"missing file", []string{"verify", filepath.Join(t.TempDir(), "none.json")}, 2, nil, "no such file"},
		{"no argument", []string{"verify"}, 2, nil, "verify takes one receipt file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, "", tc.args...)
			if r.Code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, tc.code, r.Stdout, r.Stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.Stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.Stdout)
				}
			}
			if !strings.Contains(r.Stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", r.Stderr, tc.stderr)
			}
		})
	}
}

// A receipt with claims (testdata, kept verifying by the receipt package's
// tests): verify re-evaluates them offline; a verdict turned green is a
// mismatch, exit 3.
func TestVerifyClaimsReceipt(t *testing.T) {
	path := filepath.Join("testdata", "claims-receipt.json")
	r := clitest.Run(t, "", "verify", path)
	if r.Code != 0 || !strings.Contains(r.Stdout, "✓ holds   Lab tested (lab_tested)") || !strings.Contains(r.Stdout, "all 2 claim verdicts re-evaluated to the node's") {
		t.Fatalf("verify: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["claims"].([]any)[1].(map[string]any)["status"] = "fails"
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(tampered, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r = clitest.Run(t, "", "verify", tampered)
	if r.Code != 3 || !strings.Contains(r.Stdout, "✗ fails   Lab tested") || !strings.Contains(r.Stdout, "the node says fails, the evidence says holds") ||
		!strings.Contains(r.Stderr, "1 of 2 claim verdicts could NOT be confirmed") {
		t.Fatalf("tampered: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = clitest.Run(t, "", "verify", path, "-o", "json")
	var rep struct {
		OK     bool `json:"ok"`
		Claims []struct {
			Status     string `json:"status"`
			Recomputed struct {
				Reason string `json:"reason"`
			} `json:"recomputed"`
		} `json:"claims"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || r.Code != 0 || !rep.OK || len(rep.Claims) != 2 || rep.Claims[0].Recomputed.Reason == "" {
		t.Fatalf("-o json: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
}
