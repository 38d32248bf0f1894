package anchoring

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

// stateSource is a memSource whose blocks also write lot records: block b
// writes a record of lot b%3 (its id names the block), and that record is
// one of the block's leaves, as in the index.
type stateSource struct {
	*memSource
	lots map[uint64][]LotRecord
}

func lotSource(height uint64, blocks ...uint64) *stateSource {
	s := &stateSource{memSource: source(height, blocks...), lots: map[uint64][]LotRecord{}}
	for _, b := range blocks {
		r := LotRecord{Block: b, Lot: fmt.Sprintf("https://id.gs1.org/01/09506000134352/10/L%d", b%3), RecordID: fmt.Sprintf("ni:///sha-256;%064x?type=tl:lot", b)}
		s.lots[b] = append(s.lots[b], r)
		s.events[b] = append(s.events[b], r.RecordID)
	}
	return s
}

func (s *stateSource) LotRecords(_ context.Context, from, to uint64) ([]LotRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LotRecord
	for b := from; b <= to; b++ {
		out = append(out, s.lots[b]...)
	}
	return out, nil
}

// latest is each lot's latest record as of block to.
func (s *stateSource) latest(to uint64) map[string]string {
	m := map[string]string{}
	for b := uint64(0); b <= to; b++ {
		for _, r := range s.lots[b] {
			m[r.Lot] = r.RecordID
		}
	}
	return m
}

// TestStateLeaf: from Options.StatelessBefore on, every window commits to
// every lot's latest record as of its last block (ledger.StateLeaf), kept
// incrementally; StateProof proves each lot's against the newest window
// and its anchored root; a keyless node adopts the same windows (the same
// roots: co-attestation) and a restarted loop finds its state again.
func TestStateLeaf(t *testing.T) {
	ctx := context.Background()
	src := lotSource(30, 1, 2, 5, 13, 14, 22, 27)
	chain := &fakeChain{}
	st := NewMemStore()
	l := New(src, st, chain, Options{Blocks: 10, Interval: -1, StatelessBefore: 10})
	if _, err := l.StateProof(ctx, nil); err == nil {
		t.Fatal("a state proof before any window")
	}
	if _, err := l.Step(ctx); err != nil {
		t.Fatal(err)
	}
	ws, _ := st.Windows(ctx, 0, 0)
	if len(ws) != 3 {
		t.Fatalf("%d windows, want 3", len(ws))
	}
	for _, w := range ws {
		leaf, ok := stateLeaf(w)
		if ok != (w.FromBlock >= 10) {
			t.Fatalf("window %d..%d: state leaf %q, want one from block 10 on", w.FromBlock, w.ToBlock, leaf)
		}
		if !ok {
			continue
		}
		m := merkle.NewMap()
		u := m.Update()
		for b := uint64(0); b <= w.ToBlock; b++ {
			for _, r := range src.lots[b] {
				_ = u.Set(r.Lot, r.RecordID)
			}
		}
		m.Apply(u)
		if want := ledger.StateLeaf(m.Root(), uint64(m.Len())); leaf != want {
			t.Errorf("window %d..%d: state leaf %s, want %s (every lot since block 0)", w.FromBlock, w.ToBlock, leaf, want)
		}
	}
	check := func(l *Loop) {
		t.Helper()
		lots := []string{"https://id.gs1.org/01/09506000134352/10/L0", "https://id.gs1.org/01/09506000134352/10/L1", "https://id.gs1.org/01/09506000134352/10/L2"}
		e, err := l.StateProof(ctx, lots)
		if err != nil {
			t.Fatal(err)
		}
		if e.Proof.Window.FromBlock != 20 || len(e.Proof.Anchors) == 0 || len(e.Lots) != 3 {
			t.Fatalf("state proof of window %d..%d with %d anchors and %d lots, want 20..29, anchored, 3 lots", e.Proof.Window.FromBlock, e.Proof.Window.ToBlock, len(e.Proof.Anchors), len(e.Lots))
		}
		if err := merkle.Verify([]byte(e.Proof.Leaf), e.Proof.LeafIndex, e.Proof.Size, e.Proof.Path, e.Proof.Window.Root); err != nil {
			t.Fatalf("state leaf not in its window: %v", err)
		}
		want := src.latest(29)
		for _, p := range e.Lots {
			if err := p.Verify(e.Root); err != nil || p.Value != want[p.Key] {
				t.Errorf("lot %s: record %s (%v), want %s", p.Key, p.Value, err, want[p.Key])
			}
		}
	}
	check(l)
	check(New(src, st, chain, Options{Blocks: 10, Interval: -1, StatelessBefore: 10})) // restarted
	restarted := New(src, st, chain, Options{Blocks: 10, Interval: -1, StatelessBefore: 10})
	if _, err := restarted.Step(ctx); err != nil {
		t.Fatal(err)
	}
	check(restarted)

	ro := NewMemStore()
	keyless := New(src, ro, reader{chain, t}, Options{Blocks: 10, ReadOnly: true, StatelessBefore: 10})
	if _, err := keyless.Step(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := ro.Windows(ctx, 0, 0)
	if !slices.EqualFunc(got, ws, func(a, b Window) bool { return a.Window == b.Window }) {
		t.Fatalf("keyless node's windows %v, want the member's %v", got, ws)
	}
	check(keyless)
}
