package index

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/trustline/trustline/ledger"
)

// productCache keeps products' stored records (p), as stored and decoded,
// by GTIN. Every trace and page reads its lot's product: over an index of
// a million lots that was a point read through every level of the LSM per
// request, for a record of a few hundred bytes of which an index holds a
// handful. Its generation moves after every commit that wrote a product
// (changed), as locationCache's does: an entry is served only in the
// generation it was read in, read before reading the index, so an entry
// that may predate a commit is never served after it.
type productCache struct {
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[string]cachedProduct
}

type cachedProduct struct {
	gen uint64
	raw []byte // as stored; never modified
	p   ledger.Product
}

// maxCachedProducts bounds the cache; it starts over when full.
const maxCachedProducts = 4096

func (c *productCache) get(gtin string, gen uint64) (cachedProduct, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[gtin]
	if !ok || e.gen != gen {
		return cachedProduct{}, false
	}
	return e, true
}

func (c *productCache) put(gtin string, e cachedProduct) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedProducts {
		c.m = map[string]cachedProduct{}
	}
	c.m[gtin] = e
}

// changed drops every entry: call it after committing a batch that wrote
// a product record (p).
func (c *productCache) changed() { c.gen.Add(1) }

// writesProducts reports whether any of txs records a product.
func writesProducts(txs []Tx) bool {
	for _, t := range txs {
		if t.Event != nil && len(t.Event.Products) > 0 {
			return true
		}
	}
	return false
}

// product returns product gtin's stored record (raw, which the caller must
// not modify) and the record decoded, through the cache; ok is false when
// the index has none (not cached: a product registered later is read).
func (r *traceReader) product(gtin string) (raw []byte, p ledger.Product, ok bool, err error) {
	c := r.prods
	var gen uint64
	if c != nil {
		gen = c.gen.Load()
		if e, ok := c.get(gtin, gen); ok {
			return e.raw, e.p, true, nil
		}
	}
	k := key(tProduct, gtin)
	raw, ok, err = r.get(k)
	if err != nil || !ok {
		return nil, p, false, err
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, p, false, corrupt(k, err)
	}
	if c != nil {
		c.put(gtin, cachedProduct{gen: gen, raw: raw, p: p})
	}
	return raw, p, true, nil
}
