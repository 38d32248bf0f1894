package index

import (
	"hash/maphash"
	"sync"
)

// leafFilter is a Bloom filter of the leaf ids this process has given a
// position (the n table), for an index it opened empty: a member
// rebuilding from block 0. Every leaf of every transaction looks its id up
// in n to keep the first position it was recorded at; nearly every id is
// new, and the lookup that finds nothing walks the batch, the memtables
// and every level, which cost a rebuild more than any other read. The
// filter answers "certainly not there" from memory for those. It is only
// ever a shortcut: "maybe" (a false positive, or an index not opened
// empty, which has none) reads n as before, so the index written is the
// same with or without it.
//
// Hand-written because it is a few lines; Pebble's bloom package filters
// sstable blocks and has no in-memory set. It is blocked (every bit of an
// id in one 512-bit block) and its pages are allocated as they are first
// set, so an index opened empty in a test costs a few pages.
type leafFilter struct {
	mu    sync.Mutex
	seed  maphash.Seed
	pages [][]uint64
}

// 2^28 bits (32 MiB once every page is set) keep false positives near 1%
// up to some 20 million leaves (8 million events); beyond, they only make
// more lookups.
const (
	leafFilterBits   = 1 << 28
	leafFilterHashes = 7
	leafFilterPage   = 1 << 16 // bits
	leafFilterBlock  = 512     // bits
)

func newLeafFilter() *leafFilter {
	return &leafFilter{seed: maphash.MakeSeed(), pages: make([][]uint64, leafFilterBits/leafFilterPage)}
}

// block returns the page and the first word of id's block, and the bits
// of id within it (double hashing).
func (f *leafFilter) block(id string) (page, word uint64, bits [leafFilterHashes]uint16) {
	h := maphash.String(f.seed, id)
	blk := (h >> 40) % (leafFilterBits / leafFilterBlock)
	page, word = blk/(leafFilterPage/leafFilterBlock), blk%(leafFilterPage/leafFilterBlock)*(leafFilterBlock/64)
	h1, h2 := uint16(h), uint16(h>>16)|1
	for i := range bits {
		bits[i] = (h1 + uint16(i)*h2) % leafFilterBlock
	}
	return page, word, bits
}

func (f *leafFilter) add(id string) {
	page, word, bits := f.block(id)
	f.mu.Lock()
	defer f.mu.Unlock()
	pg := f.pages[page]
	if pg == nil {
		pg = make([]uint64, leafFilterPage/64)
		f.pages[page] = pg
	}
	for _, b := range bits {
		pg[word+uint64(b/64)] |= 1 << (b % 64)
	}
}

// mayHave is false only if id was never added.
func (f *leafFilter) mayHave(id string) bool {
	page, word, bits := f.block(id)
	f.mu.Lock()
	defer f.mu.Unlock()
	pg := f.pages[page]
	if pg == nil {
		return false
	}
	for _, b := range bits {
		if pg[word+uint64(b/64)]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
