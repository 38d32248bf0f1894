package api

import (
	"strconv"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index/indextest"
)

// TestRenderCacheAdmission: an entry is kept from its key's second miss,
// not its first, and a key's misses are forgotten after 2×admitWindow
// other keys missed.
func TestRenderCacheAdmission(t *testing.T) {
	c := newRenderCache(indextest.Empty(t), 64<<20)
	now := time.Now()
	request := func(key string) (hit bool) {
		if c.get(key, now, 0) != nil {
			return true
		}
		c.put(c.begin(), &rendered{key: key, body: []byte("body of " + key)})
		return false
	}
	if request("a") || request("a") {
		t.Fatal("a hit on the first or second request")
	}
	if !request("a") {
		t.Fatal("not kept from the second request")
	}
	if request("b"); c.admits("b") {
		t.Fatal("b: admitted after its first miss")
	}
	if request("b"); !c.admits("b") {
		t.Fatal("b: not admitted after its second miss")
	}
	request("c") // c missed once
	for i := range 2 * admitWindow {
		request("other " + strconv.Itoa(i)) // each once: none kept
	}
	if n := c.lru.Len(); n != 2 { // a and b
		t.Fatalf("%d entries kept, want 2 (a and b)", n)
	}
	if request("c") || request("c") || !request("c") {
		t.Fatal("c: its first miss was not forgotten after 2×admitWindow other keys")
	}
	if len(c.missed[0]) > admitWindow || len(c.missed[1]) > admitWindow {
		t.Fatalf("miss counts of %d and %d keys: more than admitWindow", len(c.missed[0]), len(c.missed[1]))
	}
}
