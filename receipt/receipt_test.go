package receipt

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/merkle"
)

// testEvent is a distinct EPCIS ObjectEvent, commissioning a unit of lot L1
// (the fixtures' subject), with its CBV 2.0 id in eventID.
func testEvent(t testing.TB, i int) (json.RawMessage, string) {
	t.Helper()
	ev := map[string]any{
		"@context":            []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
		"type":                "ObjectEvent",
		"eventTime":           fmt.Sprintf("2025-06-02T%02d:%02d:00.000Z", i/60%24, i%60),
		"eventTimeZoneOffset": "+00:00",
		"action":              "ADD",
		"bizStep":             "commissioning",
		"disposition":         "active",
		"epcList":             []string{fmt.Sprintf("https://id.gs1.org/01/09506000134352/10/L1/21/S%d", i)},
	}
	raw, _ := json.Marshal(ev)
	id, err := epcis.HashEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	ev["eventID"] = id
	raw, _ = json.Marshal(ev)
	return raw, id
}

// chain is an in-process chain with the Anchor contract deployed and a
// few funded keys; it mines continuously.
type chain struct {
	b        ethanchor.Backend
	contract common.Address
	keys     []*ecdsa.PrivateKey
}

var fast = ethanchor.Options{Backoff: time.Millisecond, PollInterval: 5 * time.Millisecond}

func newChain(t testing.TB, members int) *chain {
	t.Helper()
	sim := anchortest.New(t, anchortest.Options{Keys: members})
	sim.AutoMine(t)
	c := &chain{b: sim.Client(), keys: sim.Keys}
	var err error
	if c.contract, err = ethanchor.Deploy(ctxT(t), c.b, c.keys[0]); err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// anchorWindow anchors w once per member key.
func (c *chain) anchorWindow(t testing.TB, w ethanchor.Window) []ethanchor.Receipt {
	t.Helper()
	var out []ethanchor.Receipt
	for _, k := range c.keys {
		a, err := ethanchor.NewAnchorer(ctxT(t), c.b, c.contract, k, fast)
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.Anchor(ctxT(t), w)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// fixture builds a receipt of events spread over windows of windowSize
// leaves (the other leaves are ids of events not in the receipt), each
// window anchored by every member of c, or unanchored when c is nil.
func fixture(t testing.TB, c *chain, events, perWindow, windowSize int) *Receipt {
	t.Helper()
	var entries []Entry
	for w := 0; w*perWindow < events; w++ {
		n := min(perWindow, events-w*perWindow)
		raws := make([]json.RawMessage, n)
		ids := make([]string, 0, windowSize)
		for i := range n {
			var id string
			raws[i], id = testEvent(t, w*perWindow+i)
			ids = append(ids, id)
		}
		for j := n; j < windowSize; j++ {
			// Random-looking ids, so the trace's events land anywhere in the tree.
			ids = append(ids, fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", sha256.Sum256(fmt.Appendf(nil, "%d/%d", w, j))))
		}
		mw := merkle.NewWindow(ids)
		tree := mw.Tree()
		from := uint64(10 * w)
		aw := ethanchor.Window{Channel: "trustline", FromBlock: from, ToBlock: from + 9, Root: tree.Root()}
		var anchors []ethanchor.Receipt
		if c != nil {
			anchors = c.anchorWindow(t, aw)
		}
		for i := range n {
			idx, _ := mw.Index(ids[i])
			path, err := tree.Proof(idx)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, Entry{
				Event: raws[i], EventID: ids[i], TxID: fmt.Sprintf("tx%d", w*perWindow+i), Block: from + uint64(i%10),
				Proof: Proof{Window: aw, Size: uint64(mw.Len()), LeafIndex: uint64(idx), Path: path, Anchors: anchors},
			})
		}
	}
	r, err := Build(Subject{DigitalLink: "https://id.gs1.org/01/09506000134352/10/L1"}, entries, time.Unix(1750000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// roundTrip marshals and parses r, as a receipt read from a file is.
func roundTrip(t testing.TB, r *Receipt) *Receipt {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	return got
}

func flipHex(h *common.Hash)     { h[7] ^= 0x01 }
func flipAddr(a *common.Address) { a[3] ^= 0x01 }
func flipString(s string) string { b := []byte(s); b[len(b)/2] ^= 0x01; return string(b) }
func parts(v Verdict) []Part     { return partsOf(v.Failures) }
func partsOf(fs []*PartError) (ps []Part) {
	for _, f := range fs {
		if !slices.Contains(ps, f.Part) {
			ps = append(ps, f.Part)
		}
	}
	slices.Sort(ps)
	return ps
}

// tamperCases flip one part of event 1 (window 0, anchor 0 of 2) of a
// receipt; want are the parts that must fail offline and online.
var tamperCases = []struct {
	name            string
	tamper          func(r *Receipt)
	offline, online []Part
	window          bool // the tamper touches window 0, so events 0 and 1 fail
}{
	{"untouched", func(*Receipt) {}, nil, nil, false},
	{"event content byte", func(r *Receipt) {
		ev := r.Events[1].Event
		i := indexOf(ev, `/S1"`)
		ev[i+2] ^= 0x02 // S1 -> S3
	}, []Part{PartEvent}, []Part{PartEvent}, false},
	{"event eventID member", func(r *Receipt) {
		ev := r.Events[1].Event
		i := indexOf(ev, `sha-256;`)
		ev[i+10] ^= 0x01
	}, []Part{PartEvent}, []Part{PartEvent}, false},
	{"eventId", func(r *Receipt) { r.Events[1].EventID = flipString(r.Events[1].EventID) }, []Part{PartEvent, PartPath}, []Part{PartEvent, PartPath}, false},
	{"block outside window", func(r *Receipt) { r.Events[1].Block += 100 }, []Part{PartEvent}, []Part{PartEvent}, false},
	{"path hash", func(r *Receipt) { flipHex(&r.Events[1].Path[0]) }, []Part{PartPath}, []Part{PartPath}, false},
	{"path hash dropped", func(r *Receipt) { r.Events[1].Path = r.Events[1].Path[1:] }, []Part{PartPath}, []Part{PartPath}, false},
	{"leaf index", func(r *Receipt) { r.Events[1].LeafIndex ^= 1 }, []Part{PartPath}, []Part{PartPath}, false},
	{"window size", func(r *Receipt) { r.Windows[0].Size *= 2 }, []Part{PartPath}, []Part{PartPath}, true},
	{"window index", func(r *Receipt) { r.Events[1].Window = 7 }, []Part{PartPath}, []Part{PartPath}, false},
	{"window root", func(r *Receipt) { flipHex(&r.Windows[0].Root) }, []Part{PartPath}, []Part{PartAnchor, PartPath}, true},
	{"window channel", func(r *Receipt) { r.Windows[0].Channel = flipString(r.Windows[0].Channel) }, nil, []Part{PartAnchor}, true},
	{"window toBlock", func(r *Receipt) { r.Windows[0].ToBlock++ }, nil, []Part{PartAnchor}, true},
	{"anchor tx hash", func(r *Receipt) { flipHex(&r.Windows[0].Anchors[0].TxHash) }, nil, []Part{PartAnchor}, true},
	{"anchor block hash", func(r *Receipt) { flipHex(&r.Windows[0].Anchors[0].BlockHash) }, nil, []Part{PartAnchor}, true},
	{"anchor block number", func(r *Receipt) { r.Windows[0].Anchors[0].BlockNumber ^= 1 }, nil, []Part{PartAnchor}, true},
	{"anchor log index", func(r *Receipt) { r.Windows[0].Anchors[0].LogIndex ^= 1 }, nil, []Part{PartAnchor}, true},
	{"anchor submitter", func(r *Receipt) { flipAddr(&r.Windows[0].Anchors[0].Submitter) }, nil, []Part{PartAnchor}, true},
	{"anchor contract", func(r *Receipt) { flipAddr(&r.Windows[0].Anchors[0].Contract) }, nil, []Part{PartAnchor}, true},
	{"anchor chain id", func(r *Receipt) { r.Windows[0].Anchors[0].ChainID ^= 1 }, nil, []Part{PartAnchor}, true},
	{"anchors removed", func(r *Receipt) { r.Windows[0].Anchors = nil }, []Part{PartAnchor}, []Part{PartAnchor}, true},
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	panic("no " + s + " in " + string(b))
}

func TestVerifyTamper(t *testing.T) {
	c := newChain(t, 2)
	good := fixture(t, c, 4, 2, 5)
	for _, online := range []bool{false, true} {
		for _, tc := range tamperCases {
			t.Run(fmt.Sprintf("%s/online=%v", tc.name, online), func(t *testing.T) {
				r := roundTrip(t, good)
				tc.tamper(r)
				r = roundTrip(t, r)
				opts := Options{}
				want := tc.offline
				if online {
					opts = Options{Backend: c.b, Anchor: fast}
					want = tc.online
				}
				rep, err := Verify(ctxT(t), r, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range rep.Verdicts {
					w := want
					if i >= 2 || (i == 0 && !tc.window) {
						w = nil // untouched
					}
					if got := parts(v); !slices.Equal(got, w) {
						t.Errorf("event %d: failing parts %v, want %v; failures %v", i, got, w, v.Failures)
					}
					if v.OnChain != (online && v.Anchors > 0) {
						t.Errorf("event %d: OnChain %v online=%v", i, v.OnChain, online)
					}
				}
				if rep.OK() != (len(want) == 0) {
					t.Errorf("OK() = %v with failures wanted %v", rep.OK(), want)
				}
			})
		}
	}
}

func TestPartErrorsAreTyped(t *testing.T) {
	r := fixture(t, nil, 2, 2, 4)
	flipHex(&r.Events[0].Path[0])
	r.Events[1].Event[indexOf(r.Events[1].Event, `/S1"`)+2] ^= 0x02
	rep, err := Verify(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pe *PartError
	if f := rep.Verdicts[0].Failures; len(f) != 2 || !errors.As(error(f[0]), &pe) || pe.Part != PartPath || !errors.Is(f[0], merkle.ErrRootMismatch) {
		t.Errorf("event 0 failures %v, want a path root mismatch then no anchor", f)
	}
	if f := rep.Verdicts[1].Failures; len(f) == 0 || !errors.Is(f[0], ErrEventID) {
		t.Errorf("event 1 failures %v, want ErrEventID", f)
	}
}

func TestVerifyUnreachable(t *testing.T) {
	c := newChain(t, 1)
	r := fixture(t, c, 1, 1, 1)
	_, err := Verify(ctxT(t), r, Options{Backend: downBackend{c.b}})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

type downBackend struct{ ethanchor.Backend }

func (downBackend) ChainID(context.Context) (*big.Int, error) {
	return nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
}

func TestParse(t *testing.T) {
	good, _ := fixture(t, nil, 1, 1, 1).Marshal()
	for _, tc := range []struct {
		name string
		doc  string
		want error
	}{
		{"not json", "{", ErrFormat},
		{"no version", `{"events":[]}`, ErrFormat},
		{"version 6", `{"version":6}`, ErrVersion},
		{"version 3 with a state", `{"version":3,"state":{}}`, ErrFormat},
		{"version 2 with bound leaves", `{"version":2,"windows":[{"leaves":"bound"}]}`, ErrFormat},
		{"unknown leaf format", `{"version":3,"windows":[{"leaves":"other"}]}`, ErrFormat},
		{"version 1 without records", `{"version":1,"records":[]}`, ErrFormat},
		{"unknown member", `{"version":1,"evnts":[]}`, ErrFormat},
		{"trailing data", string(good) + "{}", ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.doc)); !errors.Is(err, tc.want) {
				t.Errorf("Parse: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Parse(good); err != nil {
		t.Errorf("Parse(good): %v", err)
	}
}

// TestEveryEventByte flips each byte of an event in turn: the receipt then
// either no longer parses or fails verification, except where the flip
// leaves an event CBV 2.0 hashes the same: the @context (only its prefix
// declarations count), "type", the resolver part of a GS1 Digital Link
// (any resolver names the same identifier) and the case of a time's T and Z.
func TestEveryEventByte(t *testing.T) {
	r := fixture(t, nil, 1, 1, 1)
	r.Windows[0].Anchors = []Anchor{{ChainID: 1}} // offline: anchors not checked, but required
	b, _ := r.Marshal()
	start := indexOf(b, `"event":{`) + len(`"event":`)
	end := indexOf(b, `,"eventId"`)
	span := func(s string) [2]int { i := start + indexOf(b[start:], s); return [2]int{i, i + len(s)} }
	equivalent := [][2]int{
		span(`"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]`),
		span(`"type":"ObjectEvent"`),
		span(`https://id.gs1.org`),
	}
	caseOnly := []int{indexOf(b, `T00:00:00.000Z`), indexOf(b, `T00:00:00.000Z`) + len(`T00:00:00.000`)}
	var survived []int
	for i := start; i < end; i++ {
		for _, bit := range []byte{0x01, 0x20} {
			m := slices.Clone(b)
			m[i] ^= bit
			pr, err := Parse(m)
			if err != nil {
				continue
			}
			rep, err := Verify(context.Background(), pr, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				continue
			}
			ok := bit == 0x20 && slices.Contains(caseOnly, i)
			for _, sp := range equivalent {
				ok = ok || (i >= sp[0] && i < sp[1])
			}
			if !ok {
				survived = append(survived, i)
			}
		}
	}
	for _, i := range survived {
		t.Errorf("flipping byte %d (%q in %s) went unnoticed", i, b[i], b[max(start, i-20):min(end, i+20)])
	}
}

// TestCheckEventCBVVersions: an event id is recomputed with the hash
// version it names, so CBV 2.0 ids recorded before CBV 2.1 keep verifying.
func TestCheckEventCBVVersions(t *testing.T) {
	raw, _ := testEvent(t, 1)
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	delete(ev, "eventID")
	// Sensor data: CBV 2.1 names the sensorElementList wrapper, so the two
	// versions' digests differ.
	ev["sensorElementList"] = []any{map[string]any{"sensorReport": []any{map[string]any{"type": "Temperature", "value": 3.5, "uom": "CEL"}}}}
	bare, _ := json.Marshal(ev)
	for _, v := range []epcis.CBV{epcis.CBV20, epcis.CBV21} {
		id, err := epcis.HashEventAs(v, bare)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkEvent(Event{Event: bare, EventID: id}); err != nil {
			t.Errorf("%s id: %v", v, err)
		}
	}
	id, _ := epcis.HashEventAs(epcis.CBV21, bare)
	for _, bad := range []string{id[:len(id)-len("2.1")] + "2.0", id[:len(id)-len("2.1")] + "9.9"} {
		if err := checkEvent(Event{Event: bare, EventID: bad}); !errors.Is(err, ErrEventID) {
			t.Errorf("id %s: %v, want ErrEventID", bad, err)
		}
	}
}
