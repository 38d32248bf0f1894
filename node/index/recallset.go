package index

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// recallSet is the set of lots with a recall of their own or a recall
// flag (the r and x tables), kept in memory so that applying a lot made
// from others does not look up each input's recalls in the index: almost
// no input is recalled, and each look-up (a point read and a prefix scan
// through the batch and every level) was about a tenth of a catching-up
// member's apply. A lot is added as such a key is written, before the
// batch commits, and never removed: a lot wrongly in the set costs reads,
// never a missed flag.
type recallSet struct {
	mu sync.Mutex
	m  map[string]struct{} // gtin NUL lot
}

func recallSetKey(gtin, lot string) string { return gtin + "\x00" + lot }

func (s *recallSet) add(gtin, lot string) {
	s.mu.Lock()
	s.m[recallSetKey(gtin, lot)] = struct{}{}
	s.mu.Unlock()
}

// has reports whether the lot may have a recall or a recall flag.
func (s *recallSet) has(gtin, lot string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[recallSetKey(gtin, lot)]
	return ok
}

// load fills the set from the index's recalls and recall flags.
func (s *recallSet) load(r reader) error {
	m := map[string]struct{}{}
	for _, t := range []byte{tRecall, tRecalledBy} {
		err := scan(r, []byte{t, sep}, nil, func(k, _ []byte) (bool, error) {
			if parts := split(k); len(parts) >= 2 {
				m[recallSetKey(parts[0], parts[1])] = struct{}{}
			}
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
	return nil
}

// Set is the writer's Set, noting the lot of a recall or recall flag in
// the recall set.
func (w claimsWriter) Set(k, v []byte, o *pebble.WriteOptions) error {
	if w.recalls != nil && len(k) > 0 && (k[0] == tRecall || k[0] == tRecalledBy) {
		if parts := split(k); len(parts) >= 2 {
			w.recalls.add(parts[0], parts[1])
		}
	}
	return w.writer.Set(k, v, o)
}

// mayBeRecalled is false only if the lot has neither a recall nor a
// recall flag. Without a recall set it is true.
func mayBeRecalled(r reader, gtin, lot string) bool {
	cw, ok := r.(claimsWriter)
	if !ok || cw.recalls == nil {
		return true
	}
	return cw.recalls.has(gtin, lot)
}
