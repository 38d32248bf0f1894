package anchoring

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
)

// memSource is an index of blocks → event ids.
type memSource struct {
	mu     sync.Mutex
	height uint64
	events map[uint64][]string
}

func (s *memSource) Height(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.height, nil
}

func (s *memSource) EventIDs(_ context.Context, from, to uint64) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for b := from; b <= to; b++ {
		out = append(out, s.events[b]...)
	}
	return out, nil
}

// source has one event in each listed block, and height blocks.
func source(height uint64, blocks ...uint64) *memSource {
	s := &memSource{height: height, events: map[uint64][]string{}}
	for _, b := range blocks {
		s.events[b] = append(s.events[b], fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", b))
	}
	return s
}

// fakeChain is an Anchorer that keeps anchors in memory; fail makes the
// next Anchor calls fail, before or after "sending".
type fakeChain struct {
	mu        sync.Mutex
	me        common.Address
	anchors   []ethanchor.Receipt
	failSend  int // fail this many calls without sending
	failAfter int // send, then report failure, this many times
}

func (f *fakeChain) Address() common.Address { return f.me }

func (f *fakeChain) Anchor(_ context.Context, w ethanchor.Window) (ethanchor.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSend > 0 {
		f.failSend--
		return ethanchor.Receipt{}, errors.New("connection refused")
	}
	r := ethanchor.Receipt{Window: w, ChainID: big.NewInt(1337), TxHash: common.Hash{byte(len(f.anchors) + 1)}, Submitter: f.me}
	f.anchors = append(f.anchors, r)
	if f.failAfter > 0 {
		f.failAfter--
		return ethanchor.Receipt{}, errors.New("context deadline exceeded waiting for the receipt")
	}
	return r, nil
}

func (f *fakeChain) Anchors(_ context.Context, flt ethanchor.Filter) ([]ethanchor.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ethanchor.Receipt
	for _, r := range f.anchors {
		if (flt.Root == nil || *flt.Root == r.Root) && (len(flt.Submitters) == 0 || slices.Contains(flt.Submitters, r.Submitter)) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeChain) ranges() [][2]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][2]uint64
	for _, r := range f.anchors {
		out = append(out, [2]uint64{r.FromBlock, r.ToBlock})
	}
	return out
}

// clock is a settable Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestWindowPolicy(t *testing.T) {
	tests := []struct {
		name string
		src  *memSource
		opts Options
		wait time.Duration // clock moves this much between the two steps
		want [][2]uint64
	}{
		{"full windows only", source(26, 1, 5, 12, 22), Options{Blocks: 10}, 0, [][2]uint64{{0, 9}, {10, 19}}},
		{"empty ranges fold into the next", source(40, 15, 33), Options{Blocks: 10}, 0, [][2]uint64{{0, 19}, {20, 39}}},
		{"nothing recorded", source(100), Options{Blocks: 10}, 0, nil},
		{"interval anchors a partial window", source(26, 3, 22), Options{Blocks: 10, Interval: time.Minute}, 2 * time.Minute, [][2]uint64{{0, 9}, {10, 25}}},
		{"interval not yet passed", source(26, 3, 22), Options{Blocks: 10, Interval: time.Minute}, 30 * time.Second, [][2]uint64{{0, 9}}},
		{"interval disabled", source(26, 3, 22), Options{Blocks: 10, Interval: -1}, time.Hour, [][2]uint64{{0, 9}}},
		{"default N is 10", source(35, 0, 11, 21, 31), Options{}, 0, [][2]uint64{{0, 9}, {10, 19}, {20, 29}}},
		{"first block", source(30, 3, 14, 25), Options{Blocks: 10, FirstBlock: 14}, 0, [][2]uint64{{14, 19}, {20, 29}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := &fakeChain{me: common.Address{1}}
			clk := &clock{t: time.Unix(1e9, 0)}
			tc.opts.Now = clk.now
			l := New(tc.src, NewMemStore(), ch, tc.opts)
			ctx := context.Background()
			if _, err := l.Step(ctx); err != nil {
				t.Fatal(err)
			}
			clk.t = clk.t.Add(tc.wait)
			if _, err := l.Step(ctx); err != nil {
				t.Fatal(err)
			}
			if got := ch.ranges(); !slices.Equal(got, tc.want) {
				t.Errorf("anchored %v, want %v", got, tc.want)
			}
		})
	}
}

func TestContiguousAsBlocksArrive(t *testing.T) {
	src := source(0)
	ch := &fakeChain{me: common.Address{1}}
	st := NewMemStore()
	l := New(src, st, ch, Options{Blocks: 4, Interval: -1})
	for h := uint64(1); h <= 40; h++ {
		src.mu.Lock()
		src.height = h
		if h%3 == 0 {
			src.events[h-1] = []string{fmt.Sprint("id", h)}
		}
		src.mu.Unlock()
		if _, err := l.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ws, _ := st.Windows(context.Background(), 0, 0)
	next := uint64(0)
	for _, w := range ws {
		if w.FromBlock != next || (w.ToBlock+1)%4 != 0 || len(w.IDs) == 0 {
			t.Errorf("window %d..%d (%d ids) after %d", w.FromBlock, w.ToBlock, len(w.IDs), next)
		}
		next = w.ToBlock + 1
	}
	if next != 40 {
		t.Errorf("windows end at %d, want 40", next)
	}
}

func TestRestartExactlyOnce(t *testing.T) {
	tests := []struct {
		name      string
		failSend  int
		failAfter int
		wantSent  int // anchors on chain at the end
	}{
		{"send failed: sent again", 1, 0, 1},
		{"sent, answer lost: found on chain, not resent", 0, 1, 1},
		{"no failure", 0, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			src := source(10, 2, 7)
			st := NewMemStore()
			ch := &fakeChain{me: common.Address{1}, failSend: tc.failSend, failAfter: tc.failAfter}
			_, err := New(src, st, ch, Options{}).Step(ctx)
			if (err != nil) != (tc.failSend+tc.failAfter > 0) {
				t.Fatalf("first step: %v", err)
			}
			// A new process on the same store.
			if _, err := New(src, st, ch, Options{}).Step(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := New(src, st, ch, Options{}).Step(ctx); err != nil {
				t.Fatal(err)
			}
			ws, _ := st.Windows(ctx, 0, 0)
			as, _ := st.Anchors(ctx, 0)
			if len(ws) != 1 || len(as) != 1 || len(ch.anchors) != tc.wantSent {
				t.Errorf("%d windows, %d anchors stored, %d on chain; want 1, 1, %d", len(ws), len(as), len(ch.anchors), tc.wantSent)
			}
		})
	}
}

func TestProofNotAnchored(t *testing.T) {
	_, err := Proof(context.Background(), NewMemStore(), "ni:///sha-256;00?ver=CBV2.0")
	if !errors.Is(err, ErrNotAnchored) {
		t.Errorf("err = %v, want ErrNotAnchored", err)
	}
}
