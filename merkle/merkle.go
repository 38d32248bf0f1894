// Package merkle implements the Merkle hash tree of RFC 6962 (Certificate
// Transparency, section 2.1; unchanged in RFC 9162) over SHA-256, with
// inclusion proofs, and the canonical leaf order of a trustline anchor window.
//
// Leaves and interior nodes are domain-separated so that an interior node can
// never be passed off as a leaf (second-preimage resistance):
//
//	leaf hash = SHA-256(0x00 || leaf)
//	node hash = SHA-256(0x01 || left || right)
//
// A tree of n > 1 leaves splits at k, the largest power of two smaller than n;
// the root of the empty tree is SHA-256 of the empty string. Roots and proofs
// are therefore byte-for-byte those of any RFC 6962 implementation.
package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// HashSize is the size of every hash in a tree, root and proof.
const HashSize = sha256.Size

// Hash is a leaf hash, node hash or root.
type Hash = [HashSize]byte

// Domain-separation prefixes of RFC 6962 section 2.1.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

var (
	// ErrIndexOutOfRange is returned for a leaf index not below the tree size.
	ErrIndexOutOfRange = errors.New("merkle: leaf index out of range")
	// ErrProofLength is returned when a proof has the wrong number of hashes
	// for its leaf index and tree size.
	ErrProofLength = errors.New("merkle: wrong proof length")
	// ErrRootMismatch is returned when a proof leads to another root; the
	// error is a *RootMismatchError.
	ErrRootMismatch = errors.New("merkle: root mismatch")
)

// RootMismatchError tells which root a proof led to instead of the expected
// one. It matches ErrRootMismatch with errors.Is.
type RootMismatchError struct {
	Expected, Computed Hash
}

func (e *RootMismatchError) Error() string {
	return fmt.Sprintf("merkle: root mismatch: proof leads to %x, expected %x", e.Computed, e.Expected)
}

// Is makes errors.Is(err, ErrRootMismatch) true.
func (e *RootMismatchError) Is(target error) bool { return target == ErrRootMismatch }

// LeafHash is SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(leaf)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is the root of the tree of no leaves, SHA-256("").
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// Tree is a Merkle tree kept whole in memory, so that any number of
// inclusion proofs cost O(log n) each once the tree is built.
//
// It is built bottom-up: each level pairs adjacent nodes left to right, and a
// level's odd last node is carried up unchanged. That yields exactly the
// RFC 6962 tree (splitting at the largest power of two below n) without
// recursion.
type Tree struct {
	levels [][]Hash // levels[0] are the leaf hashes; the last level is the root
}

// New builds the tree of leaves, in the order given.
func New(leaves [][]byte) *Tree {
	hs := make([]Hash, len(leaves))
	for i, l := range leaves {
		hs[i] = LeafHash(l)
	}
	return NewFromHashes(hs)
}

// NewFromHashes builds the tree whose leaf hashes are given; it keeps hs.
func NewFromHashes(hs []Hash) *Tree {
	t := &Tree{levels: [][]Hash{hs}}
	for cur := hs; len(cur) > 1; {
		next := make([]Hash, (len(cur)+1)/2)
		for i := 0; i+1 < len(cur); i += 2 {
			next[i/2] = NodeHash(cur[i], cur[i+1])
		}
		if len(cur)%2 == 1 {
			next[len(next)-1] = cur[len(cur)-1]
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

// Size is the number of leaves.
func (t *Tree) Size() int { return len(t.levels[0]) }

// Root is the tree's root hash (EmptyRoot for no leaves).
func (t *Tree) Root() Hash {
	top := t.levels[len(t.levels)-1]
	if len(top) == 0 {
		return EmptyRoot()
	}
	return top[0]
}

// Proof is the inclusion proof (audit path) of leaf i, leaf side first, as in
// RFC 6962 section 2.1.1. A tree of one leaf has an empty proof.
func (t *Tree) Proof(i int) ([]Hash, error) {
	if i < 0 || i >= t.Size() {
		return nil, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, i, t.Size())
	}
	proof := make([]Hash, 0, len(t.levels)-1)
	for _, level := range t.levels[:len(t.levels)-1] {
		switch {
		case i%2 == 1:
			proof = append(proof, level[i-1])
		case i+1 < len(level):
			proof = append(proof, level[i+1])
		}
		// An even last node has no sibling: it is carried up unchanged and
		// contributes nothing to the path.
		i /= 2
	}
	return proof, nil
}

// Root is the RFC 6962 root of leaves.
func Root(leaves [][]byte) Hash { return New(leaves).Root() }

// Proof is the inclusion proof of leaves[i]. Build a Tree instead when
// proving more than one leaf of the same set.
func Proof(leaves [][]byte, i int) ([]Hash, error) { return New(leaves).Proof(i) }

// ProofLen is the number of hashes in the inclusion proof of leaf index in a
// tree of size leaves (index < size).
func ProofLen(index, size uint64) int {
	// The path has one hash per level where index's subtree has a sibling:
	// the levels below the highest bit where index and size-1 differ all
	// have one, and above it only those where the remainder still splits.
	inner := bits.Len64(index ^ (size - 1))
	border := bits.OnesCount64(index >> uint(inner))
	return inner + border
}

// Verify checks that leaf is at index in the tree of size leaves whose root
// is root, by the algorithm of RFC 9162 section 2.1.3.2. It returns nil, or
// an error matching ErrIndexOutOfRange, ErrProofLength or ErrRootMismatch.
//
// The root binds the leaf and its index, not size: a proof may verify for
// another size whose path has the same shape. Take size from the anchored
// window, never from the party presenting the proof.
func Verify(leaf []byte, index, size uint64, proof []Hash, root Hash) error {
	return VerifyHash(LeafHash(leaf), index, size, proof, root)
}

// VerifyHash is Verify for a leaf already hashed with LeafHash.
func VerifyHash(leafHash Hash, index, size uint64, proof []Hash, root Hash) error {
	got, err := RootFromProof(leafHash, index, size, proof)
	if err != nil {
		return err
	}
	if got != root {
		return &RootMismatchError{Expected: root, Computed: got}
	}
	return nil
}

// RootFromProof is the root that proof leads to from leafHash at index in a
// tree of size leaves.
func RootFromProof(leafHash Hash, index, size uint64, proof []Hash) (Hash, error) {
	if index >= size {
		return Hash{}, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, size)
	}
	if want := ProofLen(index, size); len(proof) != want {
		return Hash{}, fmt.Errorf("%w: %d hashes, want %d for index %d of %d", ErrProofLength, len(proof), want, index, size)
	}
	fn, sn := index, size-1
	r := leafHash
	for _, p := range proof {
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			// Skip the levels where this subtree is a lone right edge.
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return r, nil
}
