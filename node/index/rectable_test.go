package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestRecTable checks the record table against a map of what was set,
// under random sets of keys written again and again: it returns a key's
// last value or nothing (never an older value), it stays within its size,
// it holds every key while it has room, and its chunks stay at least half
// live once cleaned.
func TestRecTable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		max        int64
		keys, sets int
		maxVal     int
	}{
		{"roomy", 64 * minRecChunk, 500, 20_000, 400},
		{"tight", 4 * minRecChunk, 2_000, 20_000, 400},
		{"big values", 8 * minRecChunk, 100, 5_000, minRecChunk / 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := newRecTable(tc.max)
			if tab == nil || tab.chunk != minRecChunk {
				t.Fatalf("newRecTable(%d): %+v", tc.max, tab)
			}
			rng := rand.New(rand.NewPCG(1, uint64(tc.max)))
			want := map[string][]byte{}
			fits := int64(0) // the bytes of live entries, were all held
			for i := range tc.sets {
				k := []byte(fmt.Sprintf("T\x00%08d", rng.IntN(tc.keys)))
				v := bytes.Repeat([]byte{byte(i)}, 1+rng.IntN(tc.maxVal))
				held := tab.set(k, v)
				if old, ok := want[string(k)]; ok {
					fits -= int64(len(k) + len(old) + 4)
				}
				want[string(k)] = v
				fits += int64(len(k) + len(v) + 4)
				if !held && fits < tc.max/4 && len(v) <= tab.chunk/4-len(k)-4 {
					t.Fatalf("set %d: %q (%d bytes) not held with %d of %d bytes live", i, k, len(v), fits, tc.max)
				}
				if got, ok := tab.get(k, bytes.Clone); ok != held || (ok && !bytes.Equal(got, v)) {
					t.Fatalf("set %d: get(%q) = %d bytes, %v after set gave %v", i, k, len(got), ok, held)
				}
				if _, b := tab.size(); b > tc.max {
					t.Fatalf("set %d: %d bytes held, more than %d", i, b, tc.max)
				}
			}
			held := 0
			for k, v := range want {
				got, ok := tab.get([]byte(k), bytes.Clone)
				if ok && !bytes.Equal(got, v) {
					t.Fatalf("%q: an older value (%d bytes, want %d)", k, len(got), len(v))
				}
				if ok {
					held++
				}
			}
			if n, _ := tab.size(); n != held {
				t.Fatalf("size: %d records, %d found", n, held)
			}
			for c, b := range tab.chunks {
				if b != nil && c != tab.tail && tab.live[c] < tab.chunk/2 {
					t.Fatalf("chunk %d: %d of %d bytes live", c, tab.live[c], tab.chunk)
				}
			}
			t.Logf("%d of %d keys held in %d chunks", held, len(want), len(tab.chunks)-len(tab.free))
		})
	}
}

// TestRecTableEdges: a table too small for a chunk is none, a value too
// big for a chunk is not held (and an older one is dropped), a key whose
// slot holds another key's entry (a hash collision) is not found, and a
// released table holds nothing until set again.
func TestRecTableEdges(t *testing.T) {
	if tab := newRecTable(minRecChunk - 1); tab != nil {
		t.Fatalf("a table smaller than a chunk: %+v", tab)
	}
	var none *recTable
	if _, ok := none.get([]byte("k"), bytes.Clone); ok {
		t.Fatal("nil table holds a key")
	}
	none.setAll(appendEntry(nil, []byte("k"), []byte("v"))) // no table: nothing to do
	tab := newRecTable(16 * minRecChunk)
	k := []byte("T\x00lot")
	if !tab.set(k, []byte("small")) {
		t.Fatal("small value not held")
	}
	if tab.fits(k, make([]byte, tab.chunk/2)) || !tab.fits(k, []byte("small")) {
		t.Fatal("fits: wrong about a value of half a chunk or a small one")
	}
	if tab.set(k, make([]byte, tab.chunk/2)) {
		t.Fatal("a value of half a chunk held")
	}
	if v, ok := tab.get(k, bytes.Clone); ok {
		t.Fatalf("after a value too big: still %q", v)
	}
	// A collision: k2's slot made to point at k's entry.
	if !tab.set(k, []byte("v1")) {
		t.Fatal("not held")
	}
	k2 := []byte("T\x00other")
	tab.slots[maphash.Bytes(tab.seed, k2)] = tab.slots[maphash.Bytes(tab.seed, k)]
	if v, ok := tab.get(k2, bytes.Clone); ok {
		t.Fatalf("collision: got %q for another key", v)
	}
	if tab.has(k2) {
		t.Fatal("collision: has")
	}
	// setAll holds entries in order: the last value of a key wins.
	var b []byte
	b = appendEntry(b, k, []byte("a"))
	b = appendEntry(b, k, []byte("b"))
	tab.setAll(b)
	if v, ok := tab.get(k, bytes.Clone); !ok || string(v) != "b" {
		t.Fatalf("setAll: %q %v", v, ok)
	}
	// Released (the index closed): nothing held, and it can hold again.
	tab.release()
	if v, ok := tab.get(k, bytes.Clone); ok {
		t.Fatalf("released: %q", v)
	}
	if n, b := tab.size(); n != 0 || b != 0 {
		t.Fatalf("released: %d records, %d bytes", n, b)
	}
	if !tab.set(k, []byte("c")) {
		t.Fatal("not held after release")
	}
	if v, ok := tab.get(k, bytes.Clone); !ok || string(v) != "c" {
		t.Fatalf("after release: %q %v", v, ok)
	}
}

// TestRecTableConcurrent reads while the writer sets and cleans (for the
// race detector): every value read is one that was set for its key.
func TestRecTableConcurrent(t *testing.T) {
	tab := newRecTable(4 * minRecChunk)
	const keys = 300
	val := func(k, i int) []byte {
		return []byte(fmt.Sprintf("%04d:%06d:%s", k, i, bytes.Repeat([]byte("x"), (k*7+i)%300)))
	}
	key := func(k int) []byte { return []byte(fmt.Sprintf("T\x00%04d", k)) }
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(2, 3))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := rng.IntN(keys)
				if v, ok := tab.get(key(k), bytes.Clone); ok && !bytes.HasPrefix(v, fmt.Appendf(nil, "%04d:", k)) {
					t.Errorf("key %d: read %q", k, v)
					return
				}
			}
		})
	}
	for i := range 30_000 {
		k := i * 7919 % keys
		tab.set(key(k), val(k, i))
	}
	close(stop)
	wg.Wait()
}

// sameTable checks that x's record table holds every trace record of the
// index, as stored.
func sameTable(t *testing.T, x *Index) {
	t.Helper()
	n := 0
	err := scan(x.db, []byte{tTraceRec}, nil, func(k, v []byte) (bool, error) {
		n++
		if got, ok := x.tab.get(k, bytes.Clone); !ok || !bytes.Equal(got, v) {
			t.Fatalf("record %q: the table holds %v %x, the index %x", k, ok, got, v)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := x.tab.size(); held != n {
		t.Fatalf("the table holds %d records, the index %d", held, n)
	}
}

// TestRecTableWarm: an index opened again holds no record in memory
// until Warm reads them all (two at a time, so that it goes on from where
// each batch stopped); applies then keep the table current, and a
// cancelled Warm stops.
func TestRecTableWarm(t *testing.T) {
	defer func(n int) { warmBatch = n }(warmBatch)
	warmBatch = 2
	fs := vfs.NewMem()
	seq := loadSeq(t, "supply.json")
	x := openMem(t, fs)
	applyAll(t, x, seq[:len(seq)/2])
	sameTable(t, x) // applies fill it
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x = openMem(t, fs)
	defer x.Close()
	if n, _ := x.tab.size(); n != 0 {
		t.Fatalf("opened again: %d records held", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Warm(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	st, err := x.Warm(context.Background(), nil)
	if n, _ := x.tab.size(); err != nil || st.Full || st.Records <= int64(warmBatch) || st.Records != int64(n) {
		t.Fatalf("Warm: %+v, %v; %d records held", st, err, n)
	}
	sameTable(t, x)
	applyAll(t, x, seq[len(seq)/2:])
	sameTable(t, x)
	sameTraces(t, x)
	if again, err := x.Warm(context.Background(), nil); err != nil || again.Records < st.Records {
		t.Fatalf("Warm again: %+v, %v", again, err)
	}
	sameTable(t, x)
	cs := x.CacheStats()
	if cs.Records == 0 || cs.RecordBytes == 0 || cs.RecordCapacity != defaultCacheSize/4*3 || cs.Capacity != defaultCacheSize/4 {
		t.Fatalf("CacheStats: %+v", cs)
	}
}
