package index

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A split batch commits what was set in either of its halves, in key
// order, the later of two sets of one key winning, and its reused buffer
// carries nothing from one commit into the next.
func TestSplitBatchCommit(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	for round := range 3 {
		b := newSplitBatch(x.db, 0, &x.writeBuf)
		want := map[string]string{}
		set := func(k, v string) {
			if err := b.Set([]byte(k), []byte(v), nil); err != nil {
				t.Fatal(err)
			}
			want[k] = v
		}
		for i := range 50 {
			// Descending keys, in a write-only table (t) and an indexed one (l).
			set(fmt.Sprintf("t\x00%03d", 99-i), fmt.Sprintf("r%d t %d", round, i))
			set(fmt.Sprintf("l\x00%03d", 99-i), fmt.Sprintf("r%d l %d", round, i))
		}
		set("t\x00050", fmt.Sprintf("r%d t again", round)) // set twice: the later wins
		set("l\x00050", fmt.Sprintf("r%d l again", round))
		if v, ok, err := get(b, []byte("l\x00050")); err != nil || !ok || string(v) != want["l\x00050"] {
			t.Fatalf("round %d: the indexed half reads %q, %v, %v", round, v, ok, err)
		}
		if err := b.commit(x.db, pebble.Sync); err != nil {
			t.Fatal(err)
		}
		b.Close()
		for k, v := range want {
			got, ok, err := get(x.db, []byte(k))
			if err != nil || !ok || string(got) != v {
				t.Fatalf("round %d: %q = %q, %v, %v; want %q", round, k, got, ok, err, v)
			}
		}
	}
}
