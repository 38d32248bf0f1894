package index

import (
	"sync"
	"sync/atomic"
)

// genCache keeps values computed from the index by key, each valid in the
// generation it was computed in. The generation moves after every commit
// that may change the values (changed); a reader loads it before reading
// the index (generation) and stores what it read under it (put), so an
// entry that may predate a commit is never served after it. It is bounded
// and starts over when full.
type genCache[V any] struct {
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[string]genEntry[V]
}

type genEntry[V any] struct {
	gen uint64
	v   V
}

// maxCached bounds each cache.
const maxCached = 4096

// generation is the generation to read the index in and put under.
func (c *genCache[V]) generation() uint64 { return c.gen.Load() }

func (c *genCache[V]) get(k string, gen uint64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.gen != gen {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *genCache[V]) put(k string, gen uint64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]genEntry[V]{}
	}
	c.m[k] = genEntry[V]{gen, v}
}

// changed invalidates every entry: call it after committing a batch that
// may change the values, by whatever path.
func (c *genCache[V]) changed() { c.gen.Add(1) }
