package merkle

import (
	"fmt"
	"strings"
)

// Map is a verifiable map of string keys to string values: an RFC 6962
// tree whose leaf i is MapLeaf(key, value) of the key first set i-th.
// trustline anchors one per window (ledger.StateLeaf): each lot's latest
// record as of the window's last block, so that a receipt proves offline
// that the lot record it shows is the latest.
//
// Why not a sparse Merkle tree or a sorted-key tree: keys take a slot in
// the order they are first set, which every member replaying the ledger
// in block order assigns alike, so setting a value or adding a key
// rehashes only its path, O(log n), and the tree only grows at its right
// edge, like a log; a sorted tree rehashes everything right of an
// inserted key, and a sparse tree (256 levels) makes proofs eight times
// longer. Its proofs are plain RFC 6962 inclusion proofs, which the
// receipt verifier and the consumer page already check. What it cannot
// prove is absence: trustline needs none, since a lot a receipt shows has
// a record, and so a slot. transparency-dev/merkle, the maintained RFC
// 6962 library, has logs and compact ranges but no updatable map.
type Map struct {
	slots  map[string]int
	keys   []string
	values []string
	levels [][]Hash // levels[0] are the leaf hashes (see Tree)
}

// MapLeaf is the leaf of key set to value: "{key} {value}". Keys hold no
// space (MapUpdate.Set refuses one), so the leaf names exactly one pair.
func MapLeaf(key, value string) []byte { return []byte(key + " " + value) }

// NewMap returns an empty map.
func NewMap() *Map { return &Map{slots: map[string]int{}, levels: [][]Hash{nil}} }

// Len is the number of keys.
func (m *Map) Len() int { return len(m.keys) }

// Root is the map's root (EmptyRoot when empty).
func (m *Map) Root() Hash { return (&Tree{levels: m.levels}).Root() }

// Get is key's value and slot.
func (m *Map) Get(key string) (value string, slot int, ok bool) {
	i, ok := m.slots[key]
	if !ok {
		return "", 0, false
	}
	return m.values[i], i, true
}

// MapProof proves that a map of Size keys with some root maps Key to Value:
// Verify(MapLeaf(Key, Value), Index, Size, Path, root).
type MapProof struct {
	Key, Value string
	Index      uint64
	Size       uint64
	Path       []Hash
}

// Verify checks the proof against root.
func (p MapProof) Verify(root Hash) error {
	return Verify(MapLeaf(p.Key, p.Value), p.Index, p.Size, p.Path, root)
}

// Proof is the proof of key's value; ok is false when the map has no key.
func (m *Map) Proof(key string) (MapProof, bool) {
	i, ok := m.slots[key]
	if !ok {
		return MapProof{}, false
	}
	path, err := (&Tree{levels: m.levels}).Proof(i)
	if err != nil { // cannot happen: i < Len
		panic(err)
	}
	return MapProof{Key: key, Value: m.values[i], Index: uint64(i), Size: uint64(len(m.keys)), Path: path}, true
}

// MapUpdate is a set of changes to a Map, whose root it computes without
// changing the map until Apply: a window's state root is computed before
// the window is saved, and kept only once it is.
type MapUpdate struct {
	m      *Map
	sets   map[string]string
	newKey []string // keys not in m, in the order first set
}

// Update starts an update of m. m must not change until the update is
// applied or dropped.
func (m *Map) Update() *MapUpdate { return &MapUpdate{m: m, sets: map[string]string{}} }

// Set sets key to value.
func (u *MapUpdate) Set(key, value string) error {
	if key == "" || strings.ContainsRune(key, ' ') {
		return fmt.Errorf("merkle: map key %q is empty or holds a space", key)
	}
	if _, ok := u.m.slots[key]; !ok {
		if _, seen := u.sets[key]; !seen {
			u.newKey = append(u.newKey, key)
		}
	}
	u.sets[key] = value
	return nil
}

// Len is the number of keys of the updated map.
func (u *MapUpdate) Len() int { return len(u.m.keys) + len(u.newKey) }

// dirty are the updated map's changed nodes by level, in the levels'
// layout of Tree: only the paths of the keys set are recomputed.
func (u *MapUpdate) dirty() []map[int]Hash {
	m := u.m
	n := u.Len()
	d := []map[int]Hash{{}}
	for j, k := range u.newKey {
		d[0][len(m.keys)+j] = LeafHash(MapLeaf(k, u.sets[k]))
	}
	for k, v := range u.sets {
		if i, ok := m.slots[k]; ok && m.values[i] != v {
			d[0][i] = LeafHash(MapLeaf(k, v))
		}
	}
	node := func(l, i int) Hash {
		if h, ok := d[l][i]; ok {
			return h
		}
		return m.levels[l][i]
	}
	for l, size := 0, n; size > 1; l, size = l+1, (size+1)/2 {
		up := map[int]Hash{}
		for i := range d[l] {
			j := i / 2
			if _, done := up[j]; done {
				continue
			}
			if 2*j+1 < size {
				up[j] = NodeHash(node(l, 2*j), node(l, 2*j+1))
			} else {
				up[j] = node(l, 2*j)
			}
		}
		d = append(d, up)
	}
	return d
}

// Root is the updated map's root.
func (u *MapUpdate) Root() Hash {
	n := u.Len()
	if n == 0 {
		return EmptyRoot()
	}
	d := u.dirty()
	top := d[len(d)-1]
	if h, ok := top[0]; ok {
		return h
	}
	return u.m.Root() // nothing changed
}

// Apply applies u to its map.
func (m *Map) Apply(u *MapUpdate) {
	if u.m != m {
		panic("merkle: update of another map")
	}
	d := u.dirty()
	for _, k := range u.newKey {
		m.slots[k] = len(m.keys)
		m.keys = append(m.keys, k)
		m.values = append(m.values, "")
	}
	for k, v := range u.sets {
		m.values[m.slots[k]] = v
	}
	for l, size := 0, len(m.keys); ; l, size = l+1, (size+1)/2 {
		if l == len(m.levels) {
			m.levels = append(m.levels, nil)
		}
		for len(m.levels[l]) < size {
			m.levels[l] = append(m.levels[l], Hash{})
		}
		if l < len(d) {
			for i, h := range d[l] {
				m.levels[l][i] = h
			}
		}
		if size <= 1 {
			m.levels = m.levels[:l+1]
			break
		}
	}
}
