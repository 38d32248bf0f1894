package index

import (
	"strconv"
	"testing"
)

func TestGenCache(t *testing.T) {
	var c genCache[int]
	gen := c.generation()
	if _, ok := c.get("a", gen); ok {
		t.Fatal("empty cache served an entry")
	}
	c.put("a", gen, 1)
	if v, ok := c.get("a", gen); !ok || v != 1 {
		t.Fatalf("get after put: %d %v", v, ok)
	}
	// A commit between the read and the put: the entry, read in the old
	// generation, is never served in the new one.
	c.changed()
	if _, ok := c.get("a", c.generation()); ok {
		t.Error("an entry of the old generation served after changed")
	}
	c.put("b", gen, 2) // read before the commit, put after it
	if _, ok := c.get("b", c.generation()); ok {
		t.Error("an entry read before changed served after it")
	}
	// Bounded: full, it starts over.
	gen = c.generation()
	for i := range maxCached + 1 {
		c.put(strconv.Itoa(i), gen, i)
	}
	if len(c.m) > maxCached {
		t.Errorf("%d entries, bound %d", len(c.m), maxCached)
	}
	if v, ok := c.get(strconv.Itoa(maxCached), gen); !ok || v != maxCached {
		t.Errorf("the newest entry: %d %v", v, ok)
	}
}
