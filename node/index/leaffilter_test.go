package index

import (
	"fmt"
	"testing"
)

// The filter never forgets an id, and says "maybe" for few it never saw.
func TestLeafFilter(t *testing.T) {
	f := newLeafFilter()
	const n = 200_000
	for i := range n {
		f.add(fmt.Sprintf("ni:///sha-256;%064d?ver=CBV2.0", i))
	}
	for i := range n {
		if !f.mayHave(fmt.Sprintf("ni:///sha-256;%064d?ver=CBV2.0", i)) {
			t.Fatalf("id %d added, not found", i)
		}
	}
	fp := 0
	for i := n; i < 2*n; i++ {
		if f.mayHave(fmt.Sprintf("ni:///sha-256;%064d?ver=CBV2.0", i)) {
			fp++
		}
	}
	if fp > n/100 {
		t.Errorf("%d false positives in %d", fp, n)
	}
}
