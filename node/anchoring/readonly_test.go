package anchoring

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
)

// reader is the chain as a node without a key sees it: it reads every
// member's anchors and must never be asked to send one.
type reader struct {
	*fakeChain
	t *testing.T
}

func (reader) Address() common.Address { return common.Address{} }

func (r reader) Anchor(context.Context, ethanchor.Window) (ethanchor.Receipt, error) {
	r.t.Errorf("a read-only loop asked to send an anchor")
	return ethanchor.Receipt{}, errors.New("read-only")
}

func windowRanges(t *testing.T, st *MemStore) [][2]uint64 {
	t.Helper()
	ws, err := st.Windows(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]uint64
	for _, w := range ws {
		out = append(out, [2]uint64{w.FromBlock, w.ToBlock})
	}
	return out
}

// A keyed member whose interval cuts partial windows (ending at its head,
// not on an aligned boundary) and a keyless node follow the same blocks as
// they arrive: after each of its steps the keyless node holds exactly the
// windows the keyed member anchored, with the same roots and the keyed
// member's anchor, and it never sends one. (It used to cut the aligned
// windows itself and wait forever for an anchor of a window the keyed
// member had cut in two.)
func TestReadOnlyFollowsPartialWindows(t *testing.T) {
	ctx := context.Background()
	src := source(0)
	keyed := &fakeChain{me: common.Address{1}}
	clk := &clock{t: time.Unix(1e9, 0)}
	member := New(src, NewMemStore(), keyed, Options{Blocks: 4, Interval: time.Minute, Now: clk.now})
	st := NewMemStore()
	keyless := New(src, st, reader{keyed, t}, Options{Blocks: 4, ReadOnly: true})
	for h := uint64(1); h <= 40; h++ {
		src.mu.Lock()
		src.height = h
		if h%3 != 0 {
			src.events[h-1] = []string{fmt.Sprint("id", h), fmt.Sprint("id", h, "b")}
		}
		src.mu.Unlock()
		// The keyless node looks before and after the member anchors.
		if _, err := keyless.Step(ctx); err != nil {
			t.Fatalf("height %d: keyless step: %v", h, err)
		}
		if _, err := member.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if h%5 == 0 {
			clk.t = clk.t.Add(2 * time.Minute) // T runs out: a partial window
			if _, err := member.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := keyless.Step(ctx); err != nil {
			t.Fatalf("height %d: keyless step: %v", h, err)
		}
		if got, want := windowRanges(t, st), keyed.ranges(); !slices.Equal(got, want) {
			t.Fatalf("height %d: keyless windows %v, the member anchored %v", h, got, want)
		}
	}
	ws, _ := st.Windows(ctx, 0, 0)
	partial := 0
	for i, r := range keyed.anchors {
		if (r.ToBlock+1)%4 != 0 {
			partial++
		}
		if ws[i].Window != r.Window {
			t.Errorf("the member anchored %+v, the keyless node's window is %+v", r.Window, ws[i].Window)
		}
		as, _ := st.Anchors(ctx, r.FromBlock)
		if len(as) != 1 || as[0].TxHash != r.TxHash || as[0].Submitter != keyed.me {
			t.Errorf("window %d..%d: keyless node recorded %+v, want the member's anchor %s", r.FromBlock, r.ToBlock, as, r.TxHash)
		}
	}
	if partial == 0 || len(keyed.anchors) < 8 {
		t.Errorf("%d windows anchored, %d partial: the test exercises nothing", len(keyed.anchors), partial)
	}
}

// Members may anchor different windows from the same block: the keyless
// node adopts the shortest whose block range and root its index gives,
// with every anchor of it, and adopts nothing no member anchored or no
// member's root agrees with.
func TestReadOnlyAdopts(t *testing.T) {
	src := source(16, 1, 2, 5, 13) // blocks 8..11 hold nothing
	src.events[2] = append(src.events[2], "ni:///sha-256;02b?ver=CBV2.0")
	root := func(from, to uint64) ethanchor.Window {
		ids, _ := src.EventIDs(context.Background(), from, to)
		return makeWindow("trustline", from, to, ids).Window
	}
	a, b, c := common.Address{0xa}, common.Address{0xb}, common.Address{0xc}
	anchorOf := func(w ethanchor.Window, by common.Address) ethanchor.Receipt {
		return ethanchor.Receipt{Window: w, ChainID: big.NewInt(1337), TxHash: common.Hash{by[0], byte(w.FromBlock), byte(w.ToBlock)}, Submitter: by}
	}
	wrongRoot := root(0, 1) // blocks 0..3 hold block 2's leaves too
	wrongRoot.ToBlock = 3
	tests := []struct {
		name     string
		anchors  []ethanchor.Receipt
		want     [][2]uint64
		anchors0 []common.Address // recorded submitters of the first window
	}{
		{"none anchored", nil, nil, nil},
		{"aligned", []ethanchor.Receipt{anchorOf(root(0, 3), a), anchorOf(root(0, 3), b), anchorOf(root(4, 7), a)}, [][2]uint64{{0, 3}, {4, 7}}, []common.Address{a, b}},
		{"partial preferred", []ethanchor.Receipt{anchorOf(root(0, 3), b), anchorOf(root(0, 1), a), anchorOf(root(0, 1), c), anchorOf(root(2, 3), a)}, [][2]uint64{{0, 1}, {2, 3}}, []common.Address{a, c}},
		{"partial ending on an empty block", []ethanchor.Receipt{anchorOf(root(0, 3), a), anchorOf(root(4, 6), a)}, [][2]uint64{{0, 3}, {4, 6}}, []common.Address{a}},
		{"empty range folded", []ethanchor.Receipt{anchorOf(root(0, 3), a), anchorOf(root(4, 7), a), anchorOf(root(8, 15), a)}, [][2]uint64{{0, 3}, {4, 7}, {8, 15}}, []common.Address{a}},
		{"root this index does not give", []ethanchor.Receipt{anchorOf(wrongRoot, a)}, nil, nil},
		{"window past its aligned boundary", []ethanchor.Receipt{anchorOf(root(0, 3), a), anchorOf(root(4, 11), a)}, [][2]uint64{{0, 3}}, []common.Address{a}},
		{"another window's anchor", []ethanchor.Receipt{anchorOf(root(1, 3), a)}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := NewMemStore()
			l := New(src, st, reader{&fakeChain{anchors: tc.anchors}, t}, Options{Blocks: 4, ReadOnly: true})
			for range 2 {
				if _, err := l.Step(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := windowRanges(t, st); !slices.Equal(got, tc.want) {
				t.Errorf("windows %v, want %v", got, tc.want)
			}
			as, _ := st.Anchors(ctx, 0)
			var by []common.Address
			for _, r := range as {
				by = append(by, r.Submitter)
			}
			slices.SortFunc(by, func(x, y common.Address) int { return x.Cmp(y) })
			if !slices.Equal(by, tc.anchors0) {
				t.Errorf("first window's anchors by %v, want %v", by, tc.anchors0)
			}
		})
	}
}

// A keyless node that stopped between saving a window and recording its
// anchors records them on its next step; a saved window no member anchored
// (an index written before keyless nodes adopted windows) is reported.
func TestReadOnlyRestart(t *testing.T) {
	ctx := context.Background()
	src := source(8, 1, 5)
	ids, _ := src.EventIDs(ctx, 0, 3)
	w := makeWindow("trustline", 0, 3, ids)
	member := &fakeChain{anchors: []ethanchor.Receipt{{Window: w.Window, ChainID: big.NewInt(1337), TxHash: common.Hash{1}, Submitter: common.Address{1}}}}

	st := NewMemStore()
	if err := st.SaveWindow(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := New(src, st, reader{member, t}, Options{Blocks: 4, ReadOnly: true}).Step(ctx)
	if err != nil || len(got) != 1 || got[0].TxHash != (common.Hash{1}) {
		t.Fatalf("Step = %+v, %v; want the member's anchor recorded", got, err)
	}
	if as, _ := st.Anchors(ctx, 0); len(as) != 1 {
		t.Errorf("%d anchors recorded, want 1", len(as))
	}

	st = NewMemStore()
	aligned := w // the aligned window, where the member anchored 0..3
	aligned.ToBlock = 7
	if err := st.SaveWindow(ctx, aligned); err != nil {
		t.Fatal(err)
	}
	if _, err := New(src, st, reader{member, t}, Options{Blocks: 4, ReadOnly: true}).Step(ctx); !errors.Is(err, ErrNoMemberAnchor) {
		t.Errorf("Step on a window no member anchored: %v, want ErrNoMemberAnchor", err)
	}
}
