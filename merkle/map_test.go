package merkle

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestMap: after any sequence of updates the map's root and proofs are
// those of the RFC 6962 tree of its leaves in slot order, and an update's
// root is known before it is applied.
func TestMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewMap()
	if m.Root() != EmptyRoot() {
		t.Fatal("empty map's root is not the empty root")
	}
	var keys, values []string
	for round := range 60 {
		u := m.Update()
		for range rng.IntN(5) {
			var k string
			if len(keys) > 0 && rng.IntN(2) == 0 {
				k = keys[rng.IntN(len(keys))]
			} else {
				k = fmt.Sprintf("lot-%d-%d", round, rng.IntN(1000))
			}
			v := fmt.Sprintf("record-%d", rng.IntN(1000))
			if err := u.Set(k, v); err != nil {
				t.Fatal(err)
			}
			i := -1
			for j, kk := range keys {
				if kk == k {
					i = j
				}
			}
			if i < 0 {
				keys, values = append(keys, k), append(values, v)
			} else {
				values[i] = v
			}
		}
		leaves := make([][]byte, len(keys))
		for i := range keys {
			leaves[i] = MapLeaf(keys[i], values[i])
		}
		want := Root(leaves)
		if got := u.Root(); got != want {
			t.Fatalf("round %d: update's root %x, want %x", round, got, want)
		}
		m.Apply(u)
		if m.Root() != want || m.Len() != len(keys) {
			t.Fatalf("round %d: applied root %x (len %d), want %x (len %d)", round, m.Root(), m.Len(), want, len(keys))
		}
		for i, k := range keys {
			p, ok := m.Proof(k)
			if !ok || p.Index != uint64(i) || p.Value != values[i] {
				t.Fatalf("round %d: proof of %s: %+v %v", round, k, p, ok)
			}
			if err := p.Verify(want); err != nil {
				t.Fatalf("round %d: proof of %s: %v", round, k, err)
			}
		}
	}
	if err := m.Update().Set("a b", "x"); err == nil {
		t.Error("a key with a space was accepted")
	}
}

// BenchmarkMapUpdate: one window's update of a map of 1M lots, 100 of
// them changed (10 new).
func BenchmarkMapUpdate(b *testing.B) {
	m := NewMap()
	u := m.Update()
	for i := range 1_000_000 {
		_ = u.Set(fmt.Sprintf("https://id.gs1.org/01/09506000134352/10/L%d", i), "ni:///sha-256;00?type=tl:lot")
	}
	m.Apply(u)
	b.ResetTimer()
	for i := range b.N {
		u := m.Update()
		for j := range 100 {
			k := fmt.Sprintf("https://id.gs1.org/01/09506000134352/10/L%d", (i*7919+j*104729)%1_000_000)
			if j < 10 {
				k = fmt.Sprintf("new-%d-%d", i, j)
			}
			_ = u.Set(k, fmt.Sprintf("ni:///sha-256;%d?type=tl:lot", i))
		}
		_ = u.Root()
		m.Apply(u)
	}
}
