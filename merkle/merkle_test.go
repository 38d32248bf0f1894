package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func h(s string) Hash {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		panic("bad test hash " + s)
	}
	return Hash(b)
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Reference data of the Certificate Transparency / transparency-dev RFC 6962
// implementations: their eight test leaves, the root of every prefix of
// them, and a set of inclusion proofs.
var (
	ctLeaves = [][]byte{
		hexBytes(""),
		hexBytes("00"),
		hexBytes("10"),
		hexBytes("2021"),
		hexBytes("3031"),
		hexBytes("40414243"),
		hexBytes("5051525354555657"),
		hexBytes("606162636465666768696a6b6c6d6e6f"),
	}
	ctRoots = []Hash{
		h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
		h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
		h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
		h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
		h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
		h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
		h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
	}
	// ctProofs index leaves from 0 (the reference vectors count from 1).
	ctProofs = []struct {
		index, size uint64
		proof       []Hash
	}{
		{0, 1, nil},
		{0, 8, []Hash{
			h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
			h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
		}},
		{5, 8, []Hash{
			h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
			h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
			h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
		}},
		{2, 3, []Hash{
			h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
		}},
		{1, 5, []Hash{
			h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
			h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
			h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		}},
	}
)

func TestHashes(t *testing.T) {
	// RFC 6962 hasher vectors of the CT Go implementation.
	if got, want := LeafHash([]byte("L123456")), h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"); got != want {
		t.Errorf("LeafHash = %x, want %x", got, want)
	}
	// The reference hashes 4-byte children; NodeHash takes 32-byte ones.
	if got, want := nodeHashBytes([]byte("N123"), []byte("N456")), h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"); got != want {
		t.Errorf("node hash = %x, want %x", got, want)
	}
	l, r := LeafHash([]byte("l")), LeafHash([]byte("r"))
	if got, want := NodeHash(l, r), nodeHashBytes(l[:], r[:]); got != want {
		t.Errorf("NodeHash = %x, want %x", got, want)
	}
	if got := EmptyRoot(); got != ctRoots[0] {
		t.Errorf("EmptyRoot = %x", got)
	}
}

// nodeHashBytes is NodeHash for children of any length, to check the 0x01
// prefix against reference vectors that use short children.
func nodeHashBytes(l, r []byte) Hash {
	return sha256.Sum256(slices.Concat([]byte{nodePrefix}, l, r))
}

func TestRootVectors(t *testing.T) {
	for n := 0; n <= len(ctLeaves); n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if got := Root(ctLeaves[:n]); got != ctRoots[n] {
				t.Errorf("Root of %d leaves = %x, want %x", n, got, ctRoots[n])
			}
			if got := refRoot(ctLeaves[:n]); got != ctRoots[n] {
				t.Errorf("reference root of %d leaves = %x, want %x", n, got, ctRoots[n])
			}
		})
	}
}

func TestProofVectors(t *testing.T) {
	for _, tc := range ctProofs {
		t.Run(fmt.Sprintf("%d_of_%d", tc.index, tc.size), func(t *testing.T) {
			leaves := ctLeaves[:tc.size]
			got, err := Proof(leaves, int(tc.index))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.proof) {
				t.Errorf("Proof = %x, want %x", got, tc.proof)
			}
			if err := Verify(leaves[tc.index], tc.index, tc.size, tc.proof, ctRoots[tc.size]); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// refRoot is RFC 6962's recursive definition, MTH, written out literally.
func refRoot(leaves [][]byte) Hash {
	switch n := len(leaves); n {
	case 0:
		return EmptyRoot()
	case 1:
		return LeafHash(leaves[0])
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		return NodeHash(refRoot(leaves[:k]), refRoot(leaves[k:]))
	}
}

// refPath is RFC 6962's recursive PATH(m, D[n]).
func refPath(m int, leaves [][]byte) []Hash {
	n := len(leaves)
	if n <= 1 {
		return nil
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	if m < k {
		return append(refPath(m, leaves[:k]), refRoot(leaves[k:]))
	}
	return append(refPath(m-k, leaves[k:]), refRoot(leaves[:k]))
}

func genLeaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "ni:///sha-256;%064x?ver=CBV2.0", i)
	}
	return out
}

// TestAgainstDefinition checks every tree size up to 70 and every leaf in it
// against the RFC's recursive definitions, and that Verify accepts exactly
// the right proofs.
func TestAgainstDefinition(t *testing.T) {
	all := genLeaves(70)
	for n := 1; n <= len(all); n++ {
		leaves := all[:n]
		tree := New(leaves)
		root := tree.Root()
		if want := refRoot(leaves); root != want {
			t.Fatalf("size %d: root %x, want %x", n, root, want)
		}
		for i := range n {
			p, err := tree.Proof(i)
			if err != nil {
				t.Fatal(err)
			}
			if want := refPath(i, leaves); !slices.Equal(p, want) {
				t.Fatalf("size %d leaf %d: proof %x, want %x", n, i, p, want)
			}
			if got := ProofLen(uint64(i), uint64(n)); got != len(p) {
				t.Fatalf("size %d leaf %d: ProofLen %d, proof has %d", n, i, got, len(p))
			}
			if err := Verify(leaves[i], uint64(i), uint64(n), p, root); err != nil {
				t.Fatalf("size %d leaf %d: %v", n, i, err)
			}
			// The same proof must not place the leaf anywhere else.
			if i+1 < n {
				if err := Verify(leaves[i], uint64(i+1), uint64(n), p, root); err == nil {
					t.Fatalf("size %d leaf %d verified at index %d", n, i, i+1)
				}
			}
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	leaves := ctLeaves
	root := Root(leaves)
	p5, _ := Proof(leaves, 5)
	flipped := slices.Clone(p5)
	flipped[1][7] ^= 0x20
	for _, tc := range []struct {
		name        string
		leaf        []byte
		index, size uint64
		proof       []Hash
		root        Hash
		want        error
	}{
		{"ok", leaves[5], 5, 8, p5, root, nil},
		{"index = size", leaves[5], 8, 8, p5, root, ErrIndexOutOfRange},
		{"empty tree", leaves[5], 0, 0, nil, EmptyRoot(), ErrIndexOutOfRange},
		{"short proof", leaves[5], 5, 8, p5[:2], root, ErrProofLength},
		{"long proof", leaves[5], 5, 8, append(slices.Clone(p5), root), root, ErrProofLength},
		{"wrong leaf", leaves[4], 5, 8, p5, root, ErrRootMismatch},
		{"wrong index", leaves[5], 4, 8, p5, root, ErrRootMismatch},
		{"wrong size", leaves[5], 5, 6, p5, root, ErrProofLength},
		// Size 7 has the same path shape for leaf 5 as size 8, so this proof
		// does verify: an inclusion proof binds leaf, index and root, not
		// the size. Receipts must take the size from the anchored window.
		{"same-shape size", leaves[5], 5, 7, p5, root, nil},
		{"flipped proof byte", leaves[5], 5, 8, flipped, root, ErrRootMismatch},
		{"other root", leaves[5], 5, 8, p5, ctRoots[7], ErrRootMismatch},
		// A node hash is not a leaf: domain separation.
		{"interior node as leaf", nodeBytes(p5[0], LeafHash(leaves[5])), 2, 4, []Hash{h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"), p5[2]}, root, ErrRootMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.leaf, tc.index, tc.size, tc.proof, tc.root)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			var rm *RootMismatchError
			if errors.Is(tc.want, ErrRootMismatch) && (!errors.As(err, &rm) || rm.Expected != tc.root) {
				t.Errorf("error %v is not a *RootMismatchError for the expected root", err)
			}
		})
	}
}

func nodeBytes(l, r Hash) []byte { return slices.Concat(l[:], r[:]) }

func TestProofOutOfRange(t *testing.T) {
	for _, i := range []int{-1, 8, 100} {
		if _, err := Proof(ctLeaves, i); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Proof(%d) = %v, want ErrIndexOutOfRange", i, err)
		}
	}
	if _, err := New(nil).Proof(0); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("Proof on empty tree = %v", err)
	}
}

func TestWindow(t *testing.T) {
	const (
		a = "ni:///sha-256;0aa0?ver=CBV2.0"
		b = "ni:///sha-256;0bb0?ver=CBV2.0"
		c = "ni:///sha-256;c0?ver=CBV2.0"
	)
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, []string{}},
		{"sorted", []string{a, b, c}, []string{a, b, c}},
		{"reversed", []string{c, b, a}, []string{a, b, c}},
		{"duplicates", []string{b, a, b, c, a}, []string{a, b, c}},
		// Bytewise: 'Z' (0x5a) sorts before 'a' (0x61), unlike a case-folding sort.
		{"bytewise", []string{"a", "Z", "é", "z"}, []string{"Z", "a", "z", "é"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWindow(tc.in)
			if !slices.Equal(w.IDs(), tc.want) {
				t.Fatalf("IDs = %q, want %q", w.IDs(), tc.want)
			}
			for i, id := range tc.want {
				if j, ok := w.Index(id); !ok || j != i {
					t.Errorf("Index(%q) = %d, %v; want %d", id, j, ok, i)
				}
			}
			if _, ok := w.Index("missing"); ok {
				t.Error("Index found a missing id")
			}
			if got, want := w.Tree().Root(), Root(Leaves(slices.Clone(tc.in))); got != want {
				t.Errorf("root %x, Leaves root %x", got, want)
			}
		})
	}
	// Same set, any order, any duplication: one root.
	if Root(Leaves([]string{c, a, b, a})) != Root(Leaves([]string{a, b, c})) {
		t.Error("order or duplicates changed the root")
	}
	in := []string{c, a}
	NewWindow(in)
	if in[0] != c {
		t.Error("NewWindow modified its argument")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(uint16(8), uint16(5), uint16(0), byte(1))
	f.Add(uint16(1), uint16(0), uint16(0), byte(0x80))
	f.Add(uint16(70), uint16(69), uint16(3), byte(0xff))
	leaves := genLeaves(300)
	f.Fuzz(func(t *testing.T, n, i, pos uint16, flip byte) {
		size := int(n)%len(leaves) + 1
		idx := int(i) % size
		tree := New(leaves[:size])
		root := tree.Root()
		proof, err := tree.Proof(idx)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(leaves[idx], uint64(idx), uint64(size), proof, root); err != nil {
			t.Fatalf("valid proof rejected: %v", err)
		}
		// Arbitrary index/size/proof combinations must never panic.
		_ = Verify(leaves[idx], uint64(i), uint64(n), proof, root)
		if flip == 0 {
			return
		}
		// Flip one byte of the leaf, the proof or the root: never verifies.
		leaf := slices.Clone(leaves[idx])
		proof = slices.Clone(proof)
		total := len(leaf) + len(proof)*HashSize + HashSize
		switch p := int(pos) % total; {
		case p < len(leaf):
			leaf[p] ^= flip
		case p < len(leaf)+len(proof)*HashSize:
			p -= len(leaf)
			proof[p/HashSize][p%HashSize] ^= flip
		default:
			root[p-len(leaf)-len(proof)*HashSize] ^= flip
		}
		if err := Verify(leaf, uint64(idx), uint64(size), proof, root); err == nil {
			t.Fatalf("flipped byte %d verified (size %d, index %d)", pos, size, idx)
		}
	})
}
