package follower

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// fakeSource serves a fixed chain of events; each connection is cut after
// the number of events in cuts (one per connection; 0 or absent: never),
// and connections listed in fail are refused.
type fakeSource struct {
	chain []Event
	cuts  []int
	fail  map[int]bool

	mu     sync.Mutex
	conns  int
	starts []uint64
}

func (s *fakeSource) Events(ctx context.Context, start uint64) (<-chan Event, error) {
	s.mu.Lock()
	n := s.conns
	s.conns++
	s.starts = append(s.starts, start)
	s.mu.Unlock()
	if s.fail[n] {
		return nil, errors.New("connection refused")
	}
	cut := -1
	if n < len(s.cuts) && s.cuts[n] > 0 {
		cut = s.cuts[n]
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		sent := 0
		for _, ev := range s.chain {
			if ev.Block < start {
				continue
			}
			if sent == cut {
				return
			}
			select {
			case out <- ev:
				sent++
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done() // a live stream stays open
	}()
	return out, nil
}

func (s *fakeSource) Height(context.Context) (uint64, error) {
	return s.chain[len(s.chain)-1].Block + 1, nil
}

// chain makes events in blocks of the given sizes, starting at block 1;
// each event registers one product with a distinct GTIN.
func chain(t *testing.T, sizes ...int) []Event {
	var out []Event
	n := 0
	for b, size := range sizes {
		for i := 0; i < size; i++ {
			n++
			ev := ledger.Event{Function: "Product:RegisterProduct", TxID: fmt.Sprintf("tx%d", n),
				Products: []ledger.Product{{GTIN: fmt.Sprintf("%014d", n), Name: "p"}}}
			b2, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, Event{Block: uint64(b + 1), TxID: ev.TxID, EventName: ledger.EventName, Payload: b2})
		}
	}
	return out
}

func TestFollowerReconnectsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		cuts  []int
		fail  map[int]bool
	}{
		{"no faults", []int{1, 3, 2}, nil, nil},
		{"cut mid-block", []int{1, 3, 2}, []int{2, 0}, nil},
		{"cuts and refusals", []int{2, 2, 2, 2}, []int{3, 0, 1, 2}, map[int]bool{1: true}},
		{"garbage payload is skipped", []int{1, 2}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{chain: chain(t, tc.sizes...), cuts: tc.cuts, fail: tc.fail}
			want := len(src.chain)
			if tc.name == "garbage payload is skipped" {
				src.chain[1].Payload = []byte("{not json")
				want--
			}
			idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
			if err != nil {
				t.Fatal(err)
			}
			defer idx.Close()
			f := New(src, idx, &Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
				HeightInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- f.Run(ctx) }()
			last := src.chain[len(src.chain)-1]
			deadline := time.Now().Add(5 * time.Second)
			for idx.Checkpoint().TxID != last.TxID || f.Status().Height == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("follower stuck at %+v", idx.Checkpoint())
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if cp := idx.Checkpoint(); cp.Applied != uint64(len(src.chain)) {
				t.Errorf("applied %d transactions, want %d", cp.Applied, len(src.chain))
			}
			for i, ev := range src.chain {
				_, err := idx.Product(fmt.Sprintf("%014d", i+1))
				if (err == nil) != (i != 1 || want == len(src.chain)) {
					t.Errorf("event %d (%s): product lookup err %v", i, ev.TxID, err)
				}
			}
			st := f.Status()
			if st.Lag != 0 || !st.Indexed || st.IndexBlock != last.Block {
				t.Errorf("status = %+v", st)
			}
			if want == len(src.chain)-1 && st.Skipped != 1 {
				t.Errorf("skipped = %d, want 1", st.Skipped)
			}
		})
	}
}
