package api

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
)

// badgeServer indexes the supply testdata up to (not including) the
// recall, plus a cold-chain claim on the juice; it returns the rest.
func badgeServer(t *testing.T) (*Server, *index.Index, []indextest.Step) {
	t.Helper()
	seq := indextest.SupplySteps(t)
	idx := indextest.Empty(t)
	claim := ledger.Claim{ID: "claim-1", Subject: "https://id.gs1.org/01/" + gtinB, GTIN: gtinB, Kind: ledger.ClaimColdChain,
		Wording: "Cold chain all the way", Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}}
	indextest.Apply(t, idx, seq[:8]...)
	indextest.Apply(t, idx, indextest.Step{Block: 8, Tx: 5, Event: ledger.Event{
		Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "c1", Timestamp: "2025-06-07T00:00:00.000000000Z", Claims: []ledger.Claim{claim}}})
	return New(idx, &Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), idx, seq[8:]
}

const juiceLot = "/01/" + gtinB + "/10/J1"

func TestBadge(t *testing.T) {
	s, _, _ := badgeServer(t)
	for _, tc := range []struct {
		name, path string
		code       int
		ctype      string
		want       []string
	}{
		{"json", "/badge" + juiceLot + ".json", 200, "application/json", []string{`"status":"pending"`, `"lot":"https://id.gs1.org/01/09506000134369/10/J1"`,
			`"evaluatedAt":"2025-06-07T00:00:00.000000000Z"`, `"link":"https://node.example` + juiceLot + `"`, `"claim":"claim-1"`}},
		{"one claim", "/badge" + juiceLot + ".json?claim=claim-1", 200, "application/json", []string{`"claim":"claim-1"`, `"wording":"Cold chain all the way"`, `#claim-claim-1"`}},
		{"svg", "/badge" + juiceLot + ".svg?claim=claim-1", 200, "image/svg+xml", []string{`role="img"`, `aria-label="Cold chain all the way: … pending.`, `fill="#6e7781"`, `<title>`}},
		{"unit path", "/badge" + juiceLot + "/21/X1.json", 200, "application/json", []string{`"status":"pending"`}},
		{"unknown claim", "/badge" + juiceLot + ".json?claim=nope", 404, "application/problem+json", []string{"active claim nope"}},
		{"unknown lot", "/badge/01/" + gtinB + "/10/NOPE.svg", 404, "application/problem+json", []string{"not found"}},
		{"product path", "/badge/01/" + gtinB + ".svg", 400, "application/problem+json", []string{"does not name a lot"}},
		{"no format", "/badge" + juiceLot, 400, "application/problem+json", []string{".svg, .json or /stream"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			body := rec.Body.String()
			if rec.Code != tc.code || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.ctype) {
				t.Fatalf("%s: %d %s\n%s", tc.path, rec.Code, rec.Header().Get("Content-Type"), body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: body lacks %q:\n%s", tc.path, w, body)
				}
			}
		})
	}
}

// The stream sends the badge on connect and again as soon as a recall of
// an input lot is applied: the overlay turns red.
func TestBadgeStream(t *testing.T) {
	s, idx, rest := badgeServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/badge" + juiceLot + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan Badge, 4)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var b Badge
				if json.Unmarshal([]byte(data), &b) == nil {
					events <- b
				}
			}
		}
		close(events)
	}()
	first := <-events
	if first.Status != claims.Pending || first.Recalled {
		t.Fatalf("first badge = %+v", first)
	}
	recall := rest[0]
	t0 := time.Now()
	if _, err := idx.Apply(index.Position{Block: recall.Block, Tx: recall.Tx, TxID: recall.Event.TxID}, &recall.Event); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-events:
		lat := time.Since(t0)
		if b.Status != claims.Fails || !b.Recalled || b.EvaluatedAt != "2025-06-09T00:00:00.000000000Z" {
			t.Fatalf("badge after recall = %+v", b)
		}
		t.Logf("stream delivered the recall %v after Apply", lat)
		if lat > time.Second {
			t.Errorf("stream took %v", lat)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no badge event within 3 s of the recall")
	}
	// Shutdown ends open streams.
	s.CloseStreams()
	for range events {
	}
}

// Streams are woken by the index's apply path, not by polling: the hub
// holds no ticker or timer, and a subscriber of a lot is woken by the time
// Apply returns, while a subscriber of an unaffected lot is not.
func TestBadgeStreamNotifiedWithoutPolling(t *testing.T) {
	typ := reflect.TypeOf(badgeHub{})
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type {
		case reflect.TypeOf(&time.Ticker{}), reflect.TypeOf(&time.Timer{}), reflect.TypeOf(time.Duration(0)):
			t.Errorf("badgeHub.%s is a %s: the hub must not poll", f.Name, f.Type)
		}
	}

	s, idx, rest := badgeServer(t)
	build := func() ([]byte, error) { return []byte("event: badge\n\n"), nil }
	juice := s.badges.subscribe(feedKey{gtin: gtinB, lot: "J1"}, build)
	defer juice.close()
	sibling := s.badges.subscribe(feedKey{gtin: gtinA, lot: "L2"}, build)
	defer sibling.close()
	recall := rest[0] // of L1, an input of J1
	if _, err := idx.Apply(index.Position{Block: recall.Block, Tx: recall.Tx, TxID: recall.Event.TxID}, &recall.Event); err != nil {
		t.Fatal(err)
	}
	select {
	case <-juice.C:
	default:
		t.Fatal("J1's subscriber was not woken by the time Apply returned")
	}
	select {
	case <-sibling.C:
		t.Error("L2's subscriber was woken by the recall of another lot")
	default:
	}
	// The watch ends with the last subscriber: nothing is collected then.
	juice.close()
	sibling.close()
	if s.badges.stop != nil || len(s.badges.feeds) != 0 {
		t.Errorf("hub still watching with no subscriber: %d lots", len(s.badges.feeds))
	}
}
