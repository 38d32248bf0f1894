package index

import (
	"bytes"

	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

// productCache keeps products' stored records (p), as stored and decoded,
// by GTIN. Every trace and page reads its lot's product: over an index of
// a million lots that was a point read through every level of the LSM per
// request, for a record of a few hundred bytes of which an index holds a
// handful. Its generation moves after every commit that wrote a product.
type productCache = genCache[cachedProduct]

type cachedProduct struct {
	raw []byte // as stored; never modified
	p   ledger.Product
}

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
		gen = c.generation()
		if e, ok := c.get(gtin, gen); ok {
			return e.raw, e.p, true, nil
		}
	}
	k := key(tProduct, gtin)
	raw, ok, err = r.get(k)
	if err != nil || !ok {
		return nil, p, false, err
	}
	// Decoded into a variable of its own: decoding into p made every
	// call, cache hits included, allocate p.
	var d ledger.Product
	if err := jsondec.Unmarshal(raw, &d); err != nil {
		return nil, p, false, corrupt(k, err)
	}
	if c != nil {
		raw = bytes.Clone(raw) // kept: not the reader's (its arena is reused)
		c.put(gtin, gen, cachedProduct{raw: raw, p: d})
	}
	return raw, d, true, nil
}
