package merkle

import (
	"fmt"
	"testing"
)

var benchSizes = []int{1_000, 10_000, 100_000}

func BenchmarkRoot(b *testing.B) {
	for _, n := range benchSizes {
		leaves := genLeaves(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Root(leaves)
			}
		})
	}
}

// BenchmarkProof is one proof of a built tree: what a receipt costs once the
// window's tree is in memory.
func BenchmarkProof(b *testing.B) {
	for _, n := range benchSizes {
		tree := New(genLeaves(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := tree.Proof(i % n); err != nil {
					b.Fatal(err)
				}
				i += 7919
			}
		})
	}
}

// BenchmarkProofFromLeaves is the one-shot Proof(leaves, i): build and prove.
func BenchmarkProofFromLeaves(b *testing.B) {
	for _, n := range benchSizes {
		leaves := genLeaves(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Proof(leaves, n/3); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify is the verify time per event of a receipt.
func BenchmarkVerify(b *testing.B) {
	for _, n := range benchSizes {
		leaves := genLeaves(n)
		tree := New(leaves)
		root := tree.Root()
		i := n / 3
		proof, _ := tree.Proof(i)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if err := Verify(leaves[i], uint64(i), uint64(n), proof, root); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
