package index

// A query with several sources (the descendants of a WD_ location, a
// MATCH_ list, several EQ_ values) reads them as one stream: each source
// is an iterator positioned on its next match, and a heap hands out the
// earliest (latest, descending) head. A page of n events therefore reads
// n+1 matches plus one per source, instead of n+1 per source merged and
// sorted afterwards (WD_bizLocation of a site with ten docks read and
// decoded eleven times the events it returned).

import (
	"bytes"
	"container/heap"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// stream is one source's matching events in the plan's order.
type stream struct {
	p    *plan
	s    source
	it   *pebble.Iterator // nil for an ids source
	hits []hit            // ids source: its matches in order
	head hit
}

// open positions a stream on its first match after the cursor (nil: from
// the start); it reports false when there is none.
func (x *Index) openStream(p *plan, s source, after *cursor, pr *traceReader) (*stream, bool, error) {
	st := &stream{p: p, s: s}
	if s.ids != nil {
		err := x.scanSource(p, s, after, 0, func(h hit) bool { st.hits = append(st.hits, h); return true })
		if err != nil || len(st.hits) == 0 {
			return nil, false, err
		}
		st.head, st.hits = st.hits[0], st.hits[1:]
		return st, true, nil
	}
	lower, upper := s.prefix, upperBound(s.prefix)
	if p.lo != "" {
		lower = append(append([]byte(nil), s.prefix...), p.lo...)
	}
	if p.hi != "" {
		upper = append(append([]byte(nil), s.prefix...), p.hi...)
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, false, err
	}
	st.it = it
	var ok bool
	switch {
	case after == nil && !p.desc:
		ok = it.First()
	case after == nil:
		ok = it.Last()
	default:
		k := append(append(append(append([]byte(nil), s.prefix...), after.at...), sep), after.id...)
		if p.desc {
			ok = it.SeekLT(k)
		} else {
			ok = it.SeekGE(k)
			if ok && bytes.Equal(it.Key(), k) {
				ok = it.Next()
			}
		}
	}
	found, err := st.seek(ok, pr)
	if err != nil || !found {
		it.Close()
		return nil, false, err
	}
	return st, true, nil
}

// seek moves from the iterator's position (ok: it has one) to the first
// match, the stream's new head.
func (st *stream) seek(ok bool, pr *traceReader) (bool, error) {
	it := st.it
	for ; ok; ok = step(it, st.p.desc) {
		k := it.Key()[len(st.s.prefix):]
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			continue
		}
		c := cursor{at: string(k[:i]), id: string(k[i+1:])}
		raw, found, err := pr.get(key(tEvent, c.id))
		if err != nil {
			return false, err
		}
		if !found {
			return false, fmt.Errorf("index: entry %q names no event", it.Key())
		}
		_, match, err := st.p.f.match(raw)
		if err != nil {
			return false, err
		}
		if match {
			st.head = hit{c, raw}
			return true, nil
		}
	}
	return false, it.Error()
}

// next moves the stream to its next match; false when it has no more.
func (st *stream) next(pr *traceReader) (bool, error) {
	if st.it == nil {
		if len(st.hits) == 0 {
			return false, nil
		}
		st.head, st.hits = st.hits[0], st.hits[1:]
		return true, nil
	}
	return st.seek(step(st.it, st.p.desc), pr)
}

func (st *stream) close() {
	if st.it != nil {
		st.it.Close()
	}
}

// streams is a heap of streams by head, in the plan's order.
type streams struct {
	s    []*stream
	desc bool
}

func (h *streams) Len() int { return len(h.s) }
func (h *streams) Less(i, j int) bool {
	return h.s[i].head.c.less(h.s[j].head.c) != h.desc
}
func (h *streams) Swap(i, j int) { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *streams) Push(v any)    { h.s = append(h.s, v.(*stream)) }
func (h *streams) Pop() any {
	v := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return v
}

// merged calls fn with the matching events of every source of p after the
// cursor, in the plan's order, each event once, until fn returns false.
func (x *Index) merged(p *plan, after *cursor, fn func(hit) bool) error {
	pr := x.newReader()
	defer pr.close()
	h := &streams{desc: p.desc}
	defer func() {
		for _, st := range h.s {
			st.close()
		}
	}()
	for _, s := range p.sources {
		st, ok, err := x.openStream(p, s, after, pr)
		if err != nil {
			return err
		}
		if ok {
			h.s = append(h.s, st)
		}
	}
	heap.Init(h)
	// An event in several sources (an EPC list matched by several EPCs)
	// comes out of each.
	seen := map[string]bool{}
	for h.Len() > 0 {
		st := h.s[0]
		if id := st.head.c.id; !seen[id] {
			seen[id] = true
			if !fn(st.head) {
				return nil
			}
		}
		ok, err := st.next(pr)
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			st.close()
			heap.Pop(h)
		}
	}
	return nil
}
