package follower

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// fakeSource serves a fixed chain of blocks; each connection is cut after
// the number of blocks in cuts (one per connection; 0 or absent: never),
// connections listed in fail are refused, and with resend a connection
// starts one block before the one asked for, as a peer may.
type fakeSource struct {
	chain  []Block
	cuts   []int
	fail   map[int]bool
	resend bool

	mu     sync.Mutex
	conns  int
	starts []uint64
}

func (s *fakeSource) Blocks(ctx context.Context, start uint64) (<-chan Block, error) {
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
	if s.resend && start > 0 {
		start--
	}
	out := make(chan Block)
	go func() {
		defer close(out)
		sent := 0
		for _, b := range s.chain {
			if b.Number < start {
				continue
			}
			if sent == cut {
				return
			}
			select {
			case out <- b:
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
	return uint64(len(s.chain)), nil
}

// chain makes blocks 0..len(sizes)-1 with the given numbers of trustline
// transactions; each registers one product with a distinct GTIN, and
// every block also holds a configuration-like transaction without an event.
func chain(t *testing.T, sizes ...int) []Block {
	var out []Block
	n := 0
	for b, size := range sizes {
		blk := Block{Number: uint64(b), Txs: []Tx{{ID: fmt.Sprintf("other%d", b), Valid: true}}}
		for i := 0; i < size; i++ {
			n++
			ev := ledger.Event{Function: "Product:RegisterProduct", TxID: fmt.Sprintf("tx%d", n),
				Products: []ledger.Product{{GTIN: fmt.Sprintf("%014d", n), Name: "p"}}}
			p, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			blk.Txs = append(blk.Txs, Tx{ID: ev.TxID, Valid: true, Event: &ChaincodeEvent{Name: ledger.EventName, Payload: p}})
		}
		out = append(out, blk)
	}
	return out
}

// txAt returns the n-th trustline transaction (from 1) of a chain.
func txAt(c []Block, n int) *Tx {
	for i := range c {
		for j := range c[i].Txs {
			if c[i].Txs[j].Event != nil {
				if n--; n == 0 {
					return &c[i].Txs[j]
				}
			}
		}
	}
	panic("no such transaction")
}

func TestFollowerReconnectsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		cuts   []int
		fail   map[int]bool
		resend bool
		// spoil alters the chain; the listed products must then be absent.
		spoil   func([]Block)
		absent  []int
		skipped uint64
		invalid uint64
	}{
		{name: "no faults", sizes: []int{0, 1, 3, 0, 2}},
		{name: "cut between blocks", sizes: []int{0, 1, 3, 2}, cuts: []int{2, 0}},
		{name: "cuts and refusals", sizes: []int{2, 2, 0, 2, 2}, cuts: []int{3, 0, 1, 2}, fail: map[int]bool{1: true}},
		{name: "whole block resent on resume", sizes: []int{1, 3, 2, 2}, cuts: []int{1, 1, 1}, resend: true},
		{name: "garbage payload is skipped", sizes: []int{1, 2},
			spoil: func(c []Block) { txAt(c, 2).Event.Payload = []byte("{not json") }, absent: []int{2}, skipped: 1},
		{name: "payload the index rejects is skipped", sizes: []int{1, 2},
			spoil: func(c []Block) { txAt(c, 3).Event.Payload = []byte(`{"products":[{"gtin":""}]}`) }, absent: []int{3}, skipped: 1},
		{name: "invalid transaction is skipped", sizes: []int{2, 2},
			spoil: func(c []Block) { txAt(c, 3).Valid = false }, absent: []int{3}, invalid: 1},
		{name: "other event names and chaincodes are ignored", sizes: []int{1, 2},
			spoil: func(c []Block) { txAt(c, 1).Event.Name = "other"; txAt(c, 3).Event = nil }, absent: []int{1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{chain: chain(t, tc.sizes...), cuts: tc.cuts, fail: tc.fail, resend: tc.resend}
			total := 0
			for _, s := range tc.sizes {
				total += s
			}
			if tc.spoil != nil {
				tc.spoil(src.chain)
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
			height := uint64(len(src.chain))
			deadline := time.Now().Add(5 * time.Second)
			for idx.Checkpoint().NextBlock() != height || f.Status().Height == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("follower stuck at %+v", idx.Checkpoint())
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			absent := map[int]bool{}
			for _, n := range tc.absent {
				absent[n] = true
			}
			for n := 1; n <= total; n++ {
				_, err := idx.Product(fmt.Sprintf("%014d", n))
				if (err == nil) == absent[n] {
					t.Errorf("transaction %d: product lookup err %v", n, err)
				}
			}
			cp := idx.Checkpoint()
			wantEvents := uint64(total - len(tc.absent))
			if cp.Events != wantEvents || cp.Blocks != height {
				t.Errorf("checkpoint %+v, want %d events and %d blocks", cp, wantEvents, height)
			}
			st := f.Status()
			if st.Lag != 0 || !st.Indexed || st.IndexBlock != height-1 || st.Skipped != tc.skipped || st.Invalid != tc.invalid {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

// With StopAt, Run returns once the blocks before it are applied.
func TestFollowerStopAt(t *testing.T) {
	src := &fakeSource{chain: chain(t, 1, 0, 2, 1, 1)}
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var seen []uint64
	f := New(src, idx, &Options{StopAt: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnBlock: func(b uint64, _ int) { seen = append(seen, b) }})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Run(ctx); err != nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v)", err, ctx.Err())
	}
	if cp := idx.Checkpoint(); cp.NextBlock() != 3 || cp.Events != 3 || len(seen) != 3 {
		t.Errorf("checkpoint %+v, blocks seen %v", cp, seen)
	}
}

// unreadableOnce is a source whose first connection sends block 0 and then
// block 1 unreadable, as a damaged block arrives.
type unreadableOnce struct {
	*fakeSource
	once sync.Once
}

func (s *unreadableOnce) Blocks(ctx context.Context, start uint64) (<-chan Block, error) {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.fakeSource.Blocks(ctx, start)
	}
	out := make(chan Block, 2)
	out <- s.chain[0]
	out <- Block{Number: 1, Err: &BlockError{Number: 1, Err: errors.New("no TRANSACTIONS_FILTER metadata")}}
	close(out)
	return out, nil
}

// A block or a valid transaction that cannot be read is logged as an
// error and counted; the follower reconnects from the block and reads it
// again.
func TestFollowerReportsUnreadable(t *testing.T) {
	src := &unreadableOnce{fakeSource: &fakeSource{chain: chain(t, 1, 1, 1)}}
	src.chain[2].Txs[0].Err = errors.New("envelope: proto: cannot parse invalid wire-format data")
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var logs syncBuffer
	f := New(src, idx, &Options{MinBackoff: time.Millisecond, StopAt: 3, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Run(ctx); err != nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v)", err, ctx.Err())
	}
	if st := f.Status(); st.ParseErrors != 2 || st.Reconnects != 1 || idx.Checkpoint().Events != 3 {
		t.Errorf("status %+v, checkpoint %+v", st, idx.Checkpoint())
	}
	for _, want := range []string{
		`level=ERROR msg="cannot read a block; reconnecting from it" block=1 err="block 1: no TRANSACTIONS_FILTER metadata"`,
		`level=ERROR msg="skipping a transaction that cannot be decoded" block=2 tx=0`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

// parseBlocks ends the stream at a block it cannot read, which it sends
// with the error.
func TestParseBlocks(t *testing.T) {
	in := make(chan *common.Block, 3)
	in <- &common.Block{Header: &common.BlockHeader{Number: 4}, Data: &common.BlockData{},
		Metadata: &common.BlockMetadata{Metadata: make([][]byte, common.BlockMetadataIndex_TRANSACTIONS_FILTER+1)}}
	in <- &common.Block{Header: &common.BlockHeader{Number: 5}}
	in <- &common.Block{Header: &common.BlockHeader{Number: 6}}
	var got []Block
	for b := range parseBlocks(context.Background(), in, "trustline") {
		got = append(got, b)
	}
	var be *BlockError
	if len(got) != 2 || got[0].Number != 4 || got[0].Err != nil || got[1].Number != 5 || !errors.As(got[1].Err, &be) || be.Number != 5 {
		t.Errorf("blocks %+v", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// orderedMap keeps the input's order whatever order its workers finish
// in, and stops after the last value.
func TestOrderedMap(t *testing.T) {
	in := make(chan int)
	go func() {
		for i := range 200 {
			in <- i
		}
		close(in)
	}()
	out := orderedMap(context.Background(), in, 4, func(i int) int {
		time.Sleep(time.Duration(i%7) * 100 * time.Microsecond)
		return i
	}, func(i int) bool { return i == 150 })
	want := 0
	for got := range out {
		if got != want {
			t.Fatalf("got %d, want %d", got, want)
		}
		want++
	}
	if want != 151 {
		t.Errorf("stopped after %d values, want 151", want)
	}
}

// A follower catching up commits the blocks waiting for it together: fewer
// commits than blocks, and the same index as block by block.
func TestFollowerBatchesCatchUp(t *testing.T) {
	sizes := make([]int, 300)
	for i := range sizes {
		sizes[i] = i % 3
	}
	src := &fakeSource{chain: chain(t, sizes...)}
	digest := func(batched bool) (string, int) {
		idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		commits := 0
		defer idx.Watch(func(index.Change) { commits++ })()
		if batched {
			f := New(src, idx, &Options{StopAt: uint64(len(sizes)), Logger: slog.New(slog.DiscardHandler)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := f.Run(ctx); err != nil || ctx.Err() != nil {
				t.Fatalf("Run = %v (ctx %v)", err, ctx.Err())
			}
		} else {
			for _, b := range src.chain {
				d := (&Follower{log: slog.New(slog.DiscardHandler)}).decode(b)
				if _, err := idx.ApplyBlock(b.Number, d.txs); err != nil {
					t.Fatal(err)
				}
			}
		}
		if cp := idx.Checkpoint(); cp.NextBlock() != uint64(len(sizes)) || cp.Blocks != uint64(len(sizes)) {
			t.Fatalf("checkpoint %+v", cp)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d, commits
	}
	want, perBlock := digest(false)
	got, commits := digest(true)
	if got != want {
		t.Errorf("digest %s, block by block %s", got, want)
	}
	if commits >= perBlock {
		t.Errorf("%d commits for %d blocks", commits, perBlock)
	}
	t.Logf("%d blocks in %d commits", perBlock, commits)
}
