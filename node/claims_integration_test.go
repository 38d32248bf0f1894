package node_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
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

	p, err := n.Profile(testnet.Brand, false)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := node.Open(node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p}, &node.Options{
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
			return
		case <-time.After(10 * time.Second):
			t.Fatal("no red badge within 10 s of the breach")
		}
	}
}
