package index

import "sync"

// keySet is a set of strings kept in memory beside the index, which an
// apply asks before it reads the index for what is rare: claims about a
// product (Index.claimed, claims.go), recalls of a lot (Index.recalls,
// recallset.go). An element is added as its key is written, before the
// batch commits, and never removed: an element wrongly in the set costs
// reads, never a missed update.
type keySet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (s *keySet) add(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	s.m[k] = struct{}{}
}

// has reports whether k may be set.
func (s *keySet) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

// empty reports whether the set has no element.
func (s *keySet) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m) == 0
}

// load replaces the set with the elements elem makes of the keys with the
// prefixes (split into their parts), where it makes one.
func (s *keySet) load(r reader, elem func(parts []string) (string, bool), prefixes ...[]byte) error {
	m := map[string]struct{}{}
	for _, p := range prefixes {
		err := scan(r, p, nil, func(k, _ []byte) (bool, error) {
			if e, ok := elem(split(k)); ok {
				m[e] = struct{}{}
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
