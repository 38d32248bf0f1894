package index

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// The record table holds lots' trace records (tracerec.go) in memory, as
// stored, for the readers that serve traces and pages. A consumer's scan
// of a lot no other scan asked for recently reads one record: through
// Pebble that was a point read of 7-12 µs of a cold trace JSON's 22 (the
// memtable, then each level's table: bloom filter, index and data block
// looked up in the block cache), through the table a map lookup. Its
// entries hold no pointers, so the collector does not scan a million of
// them at every cycle: a Go map of the records as []byte values made the
// point reads cheaper and the collector dearer by as much
// (BenchmarkColdCall).
//
// Entries are appended to fixed-size chunks (key and value, each after
// its length) and a map from the key's hash to its entry's position finds
// them; a key whose entry holds another key (a hash collision) is read
// from Pebble. A record written again is appended again and its old entry
// dies; a chunk whose entries are mostly dead has its live ones moved to
// the last chunk and is freed, so the chunks are at least half live.
//
// The table holds a record only as committed: the apply that writes
// records (flushTraceRecs) gives their new values to the table after its
// commit and before anyone is told of it (the watchers, which drop the
// render cache's pages), under the index's apply lock, as does Warm. A
// key the table does not hold is read from Pebble, so the table may hold
// any subset: it takes records until its chunks reach its size (three
// quarters of Options.CacheSize), and Warm fills it when a node starts.
// Chunks are mapped outside the Go heap (rectable_unix.go): in the heap,
// a table of 316 MiB let the heap grow to twice its live size between
// collections (1.1 GB resident against 0.5 GB without the table, for 1M
// lots). Readers copy a value out under the table's read lock; a chunk is
// freed under its write lock.
type recTable struct {
	seed  maphash.Seed
	chunk int   // a chunk's size
	max   int64 // the chunks' bytes it may hold

	mu     sync.RWMutex
	slots  map[uint64]uint64 // key's hash → chunk<<32 | offset
	chunks [][]byte          // nil: freed

	// The writer's own state (under the index's apply lock).
	fill, live []int // bytes appended to and live in each chunk
	free       []int // freed chunks' numbers
	tail       int   // the chunk appended to; -1: none
	held       int64 // the chunks' bytes; written under mu too
}

const (
	// maxRecChunk is a chunk's size in a table of 256 MiB or more; a
	// smaller table has 64 chunks, of at least minRecChunk.
	maxRecChunk = 4 << 20
	minRecChunk = 64 << 10
)

// newRecTable returns a table of at most max bytes, nil when too small to
// hold a chunk.
func newRecTable(max int64) *recTable {
	c := int(min(max/64, maxRecChunk))
	if c < minRecChunk {
		c = minRecChunk
	}
	if max < int64(c) {
		return nil
	}
	return &recTable{seed: maphash.MakeSeed(), chunk: c, max: max, slots: map[uint64]uint64{}, tail: -1}
}

// entry decodes the entry at the start of b.
func entry(b []byte) (k, v []byte, size int) {
	kl, n := binary.Uvarint(b)
	k = b[n : n+int(kl)]
	size = n + int(kl)
	vl, n := binary.Uvarint(b[size:])
	v = b[size+n : size+n+int(vl) : size+n+int(vl)]
	return k, v, size + n + int(vl)
}

// get returns keep's copy of the value held for k; ok is false when it
// holds none (the index may still have one).
func (t *recTable) get(k []byte, keep func(v []byte) []byte) (v []byte, ok bool) {
	if t == nil {
		return nil, false
	}
	h := maphash.Bytes(t.seed, k)
	t.mu.RLock()
	defer t.mu.RUnlock() // a chunk is freed under the write lock
	p, ok := t.slots[h]
	if !ok {
		return nil, false
	}
	ek, v, _ := entry(t.chunks[p>>32][uint32(p):])
	if !bytes.Equal(ek, k) {
		return nil, false
	}
	return keep(v), true
}

// has reports whether the table holds k (the writer only).
func (t *recTable) has(k []byte) bool {
	p, ok := t.slots[maphash.Bytes(t.seed, k)]
	if !ok {
		return false
	}
	ek, _, _ := entry(t.chunks[p>>32][uint32(p):])
	return bytes.Equal(ek, k)
}

// set holds v as k's committed value, or holds none for k when it is full
// (false). The writer only, under the index's apply lock.
func (t *recTable) set(k, v []byte) bool {
	h := maphash.Bytes(t.seed, k)
	old, had := t.slots[h]
	p, ok := t.alloc(entrySize(k, v))
	if !ok {
		if had {
			t.mu.Lock()
			delete(t.slots, h)
			t.mu.Unlock()
			t.kill(old)
		}
		return false
	}
	_ = appendEntry(t.chunks[p>>32][uint32(p):uint32(p)], k, v)
	t.mu.Lock()
	t.slots[h] = p
	t.mu.Unlock()
	if had {
		t.kill(old)
	}
	return true
}

// fits reports whether an entry of k and v is small enough to be held
// (a huge lot's record is read from Pebble).
func (t *recTable) fits(k, v []byte) bool { return entrySize(k, v) <= t.maxEntry() }

// maxEntry is the largest entry the table holds: a quarter of a chunk.
func (t *recTable) maxEntry() int { return t.chunk / 4 }

// entrySize is the size of k and v's entry (appendEntry).
func entrySize(k, v []byte) int {
	return uvarintLen(len(k)) + len(k) + uvarintLen(len(v)) + len(v)
}

// alloc reserves size bytes in the last chunk, or in a new one.
func (t *recTable) alloc(size int) (uint64, bool) {
	if size > t.maxEntry() {
		return 0, false // a huge lot's record: read from Pebble
	}
	if t.tail < 0 || t.fill[t.tail]+size > t.chunk {
		if t.held+int64(t.chunk) > t.max {
			return 0, false
		}
		b := newChunk(t.chunk) // rectable_unix.go
		t.mu.Lock()
		if n := len(t.free); n > 0 {
			t.tail, t.free = t.free[n-1], t.free[:n-1]
			t.chunks[t.tail] = b
		} else {
			t.tail = len(t.chunks)
			t.chunks = append(t.chunks, b)
			t.fill, t.live = append(t.fill, 0), append(t.live, 0)
		}
		t.held += int64(t.chunk)
		t.mu.Unlock()
		t.fill[t.tail], t.live[t.tail] = 0, 0
	}
	p := uint64(t.tail)<<32 | uint64(t.fill[t.tail])
	t.fill[t.tail] += size
	t.live[t.tail] += size
	return p, true
}

// kill notes that the entry at p is no longer held; a chunk left less
// than half live is cleaned.
func (t *recTable) kill(p uint64) {
	c := int(p >> 32)
	_, _, size := entry(t.chunks[c][uint32(p):])
	t.live[c] -= size
	if c != t.tail && t.live[c] < t.chunk/2 {
		t.clean(c)
	}
}

// clean moves chunk c's live entries to the last chunk (dropping those
// that no longer fit) and frees it.
func (t *recTable) clean(c int) {
	type move struct {
		h, p uint64
		drop bool
	}
	var moves []move
	b := t.chunks[c]
	for off := 0; off < t.fill[c]; {
		k, _, size := entry(b[off:])
		h := maphash.Bytes(t.seed, k)
		if t.slots[h] == uint64(c)<<32|uint64(off) {
			p, ok := t.alloc(size)
			if ok {
				_ = append(t.chunks[p>>32][uint32(p):uint32(p)], b[off:off+size]...)
			}
			moves = append(moves, move{h, p, !ok})
		}
		off += size
	}
	t.mu.Lock()
	for _, m := range moves {
		if m.drop {
			delete(t.slots, m.h)
		} else {
			t.slots[m.h] = m.p
		}
	}
	freeChunk(t.chunks[c])
	t.chunks[c] = nil
	t.held -= int64(t.chunk)
	t.mu.Unlock()
	t.fill[c], t.live[c] = 0, 0
	t.free = append(t.free, c)
}

// release frees every chunk: the index is closed.
func (t *recTable) release() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, b := range t.chunks {
		if b != nil {
			freeChunk(b)
			t.chunks[c] = nil
		}
	}
	clear(t.slots)
	t.held = 0
	t.free, t.tail = t.free[:0], -1
	for c := range t.chunks {
		t.free = append(t.free, c)
	}
}

// size returns the entries held and the chunks' bytes.
func (t *recTable) size() (records int, bytes int64) {
	if t == nil {
		return 0, 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.slots), t.held
}

// setAll holds the entries of b (as a chunk holds them: written by
// appendEntry), in order.
func (t *recTable) setAll(b []byte) {
	if t == nil {
		return
	}
	for len(b) > 0 {
		k, v, size := entry(b)
		t.set(k, v)
		b = b[size:]
	}
}

// appendEntry appends k and v to b as a chunk holds them.
func appendEntry(b, k, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// uvarintLen is the length of n's uvarint.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}
