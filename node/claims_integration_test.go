package node_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// In the demo story the brand's claims hold for the healthy lot A; on lot
// B the cold-chain claim fails, and a badge stream subscribed before the
// breach turns red within a second of the commit.
func TestIntegrationClaimsDemo(t *testing.T) {
	n := testkit.Network(t)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("C%d", time.Now().UnixNano()%1e8)
	sc, err := demo.New(time.Now(), run, demo.KeySigner{Key: (*ecdsa.PrivateKey)(key)})
	if err != nil {
		t.Fatal(err)
	}
	cut := len(sc.Steps) - 3 // ship lot B, receive it with the breach, recall it
	submit := func(s demo.Step) {
		if len(s.IfMissing) > 0 {
			res, err := testkit.Contract(t, s.Org).EvaluateTransaction(s.IfMissing[0], s.IfMissing[1:]...)
			if err == nil && (s.DoneWhen == "" || strings.Contains(string(res), s.DoneWhen)) {
				return
			}
		}
		testkit.Submit(t, s.Org, s.Fn, s.Args...)
	}
	for _, s := range sc.Steps[:cut] {
		submit(s)
	}
	// The story registers the brand's four claims before the batch exists,
	// so they are evaluated as it unfolds.

	p, err := n.ClientConfig(testnet.Brand, false)
	if err != nil {
		t.Fatal(err)
	}
	// The node anchors every block, so that its receipts carry the claims.
	actx, acancel := context.WithTimeout(context.Background(), time.Minute)
	defer acancel()
	anc, err := demo.SetupAnchoring(actx, n)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Anchoring: &node.AnchoringConfig{
		Enabled: true, RPCURL: anc.RPCURL, Contract: anc.Contract, DeployBlock: anc.DeployBlock,
		KeyFile: anc.KeyFiles[testnet.Brand], Blocks: 2, Interval: "1s",
	}}
	nd, err := node.Open(t.Context(), cfg, &node.Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Follower: &follower.Options{HeightInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	base := "http://" + nd.Addr().String()
	path := func(lot string) string { return strings.TrimPrefix(lot, "https://id.gs1.org") }
	badge := func(lot string) api.Badge {
		resp, err := http.Get(base + "/badge" + path(lot) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b api.Badge
		if resp.StatusCode != http.StatusOK {
			return b // not indexed yet
		}
		if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(badge(sc.YogurtLot).Claims) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("node did not index the claims: %+v", badge(sc.YogurtLot))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a := badge(sc.YogurtLot); a.Status != claims.Holds {
		t.Errorf("lot A badge = %s %q", a.Status, a.Reason)
		for _, c := range a.Claims {
			t.Logf("  %s %s: %s", c.Status, c.Wording, c.Reason)
		}
	}

	resp, err := http.Get(base + "/badge" + path(sc.BreachedLot) + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan api.Badge, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var b api.Badge
				if json.Unmarshal([]byte(data), &b) == nil {
					events <- b
				}
			}
		}
		close(events)
	}()
	if first := <-events; first.Status == claims.Fails {
		t.Fatalf("lot B fails before its breach: %+v", first)
	}
	submit(sc.Steps[cut]) // ship lot B
	submitted := time.Now()
	submit(sc.Steps[cut+1]) // receive it: the 9.4 °C reading
	committed := time.Now()
	for {
		select {
		case b := <-events:
			if b.Status != claims.Fails {
				continue
			}
			lat := time.Since(committed)
			t.Logf("badge stream turned red %v after the breach was committed on every peer (%v after it was submitted, endorsement and ordering included)", lat, time.Since(submitted))
			if lat > time.Second {
				t.Errorf("stream latency %v, want under 1 s", lat)
			}
			fails := 0
			for _, c := range b.Claims {
				t.Logf("  lot B %s %s: %s", c.Status, c.Wording, c.Reason)
				if c.Status == claims.Fails {
					fails++
					if c.Kind != ledger.ClaimColdChain || !strings.Contains(c.Reason, "reading of 9.4 °C") {
						t.Errorf("failing claim %+v", c)
					}
				} else if c.Status != claims.Holds {
					t.Errorf("claim %s on lot B is %s: %s", c.Wording, c.Status, c.Reason)
				}
			}
			if fails != 1 {
				t.Errorf("%d claims fail on lot B, want 1", fails)
			}
			checkClaimReceipt(t, base, path(sc.BreachedLot), anc.RPCURL)
			return
		case <-time.After(10 * time.Second):
			t.Fatal("no red badge within 10 s of the breach")
		}
	}
}

// checkClaimReceipt fetches lot B's receipt once everything is anchored:
// it carries the four claims, their evidence (the raw-milk lot's events
// and records included) and verifies offline and on chain, each claim
// re-evaluating to the node's verdict; tampering with the verdict, the
// breach reading or the evidence is caught.
func checkClaimReceipt(t *testing.T, base, lotPath, rpcURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var data []byte
	t0 := time.Now()
	for {
		resp, err := http.Get(base + lotPath + "?format=receipt")
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusConflict || ctx.Err() != nil {
			t.Fatalf("GET receipt: %d %s", resp.StatusCode, data)
		}
		time.Sleep(500 * time.Millisecond)
	}
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	upstream := 0
	for _, e := range r.Events {
		if e.Upstream {
			upstream++
		}
	}
	t.Logf("lot B receipt after %v: %d events (%d of ingredient lots), %d records, %d claims, %d windows, %d bytes",
		time.Since(t0).Round(time.Millisecond), len(r.Events), upstream, len(r.Records), len(r.Claims), len(r.Windows), len(data))
	if len(r.Claims) != 4 || upstream == 0 {
		t.Fatalf("receipt has %d claims and %d upstream events, want 4 and some", len(r.Claims), upstream)
	}
	rc, err := rpc.DialContext(ctx, rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	online := receipt.Options{Backend: ethclient.NewClient(rc), Anchor: ethanchor.Options{PollInterval: 200 * time.Millisecond}}
	for _, opts := range []receipt.Options{{}, online} {
		rep := mustVerify(ctx, t, r, opts, "receipt")
		for _, c := range rep.Claims {
			if want := claims.Holds; c.Kind == ledger.ClaimColdChain {
				want = claims.Fails
				if c.Status != want || c.Recomputed == nil || !strings.Contains(c.Recomputed.Reason, "9.4 °C") {
					t.Errorf("cold chain re-evaluated: %+v", c.Recomputed)
				}
			} else if c.Status != want {
				t.Errorf("claim %s re-evaluated %s", c.Wording, c.Status)
			}
		}
	}
	coldChain := slices.IndexFunc(r.Claims, func(c claims.Result) bool { return c.Kind == ledger.ClaimColdChain })
	// The event with a reading of 9.4, not any "9.4": an event time such as
	// 16:22:49.469 contains one too.
	breach := slices.IndexFunc(r.Events, func(e receipt.Event) bool { return breachValue.Match(e.Event) })
	upLot := slices.IndexFunc(r.Records, func(rec receipt.Record) bool {
		return rec.Type == ledger.RecordLot && !strings.Contains(string(rec.Record), `"id":"`+r.Subject.Lots[0]+`"`)
	})
	if breach < 0 || upLot < 0 {
		t.Fatalf("no breach event (%d) or upstream lot record (%d) in the receipt", breach, upLot)
	}
	for _, tc := range []struct {
		name   string
		tamper func(r *receipt.Receipt)
		want   error
	}{
		{"verdict turned green", func(r *receipt.Receipt) { r.Claims[coldChain].Status = claims.Holds }, receipt.ErrClaimMismatch},
		{"breach reading lowered", func(r *receipt.Receipt) {
			// The reading's value, not the first "9.4" of the event: an
			// event time with seconds such as 19.4 would match that.
			lowered := breachValue.ReplaceAllString(string(r.Events[breach].Event), "${1}4.9")
			if lowered == string(r.Events[breach].Event) {
				t.Errorf("no reading of 9.4 in the breach event %s", r.Events[breach].Event)
			}
			r.Events[breach].Event = json.RawMessage(lowered)
		}, receipt.ErrClaimMismatch},
		{"ingredient lot dropped", func(r *receipt.Receipt) { r.Records = slices.Delete(r.Records, upLot, upLot+1) }, receipt.ErrClaimEvidence},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := receipt.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(tr)
			rep, err := receipt.Verify(ctx, tr, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range rep.Claims {
				for _, f := range c.Failures {
					found = found || errors.Is(f, tc.want)
				}
			}
			if rep.OK() || !found {
				t.Errorf("tampered receipt: OK=%v, claims %+v; want a claim failure %v", rep.OK(), rep.Claims, tc.want)
			}
		})
	}
}

// breachValue finds the breach's reading of 9.4 °C in an event's JSON.
var breachValue = regexp.MustCompile(`("value":\s*)9\.4\b`)
