package index

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// Query is the EPCIS 2.0 SimpleEventQuery subset a node answers (package
// nodeapi, the API's wire types).
type Query = nodeapi.Query

// Page sizes.
const (
	DefaultPerPage = nodeapi.DefaultPerPage
	MaxPerPage     = nodeapi.MaxPerPage
)

// Page is one page of query results, in event-time order.
type Page struct {
	Events []json.RawMessage
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// QueryError is a query the index cannot answer as asked: the caller's
// mistake.
type QueryError = nodeapi.QueryError

// cursor is a position in event-time order.
type cursor struct{ at, id string }

func (c cursor) less(d cursor) bool { return c.at < d.at || c.at == d.at && c.id < d.id }

func (c cursor) token() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.at + "\x00" + c.id))
}

func parseToken(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "\x00"); ok && validComponent(at) && validComponent(id) {
			return cursor{at, id}, nil
		}
	}
	return cursor{}, &QueryError{Param: "nextPageToken", Reason: "not a token this node issued"}
}

// bizStepName reduces a CBV business step URI to its bare name.
func bizStepName(s string) string {
	for _, p := range []string{"https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:"} {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}

// Events answers an EPCIS query.
func (x *Index) Events(q Query) (Page, error) {
	per := q.PerPage
	switch {
	case per == 0:
		per = DefaultPerPage
	case per < 0 || per > MaxPerPage:
		return Page{}, &QueryError{Param: "perPage", Reason: fmt.Sprintf("must be 1 to %d", MaxPerPage)}
	}
	var after *cursor
	if q.PageToken != "" {
		c, err := parseToken(q.PageToken)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	lo, hi := "", ""
	if !q.GETime.IsZero() {
		lo = ledger.FormatTime(q.GETime)
	}
	if !q.LTTime.IsZero() {
		hi = ledger.FormatTime(q.LTTime)
	}
	f := newFilter(q)

	// Drive the scan from the most selective table the query allows, then
	// check every filter on each candidate.
	type source struct {
		table byte
		value string
	}
	var sources []source
	switch {
	case len(q.MatchAnyEPC) > 0:
		for _, v := range q.MatchAnyEPC {
			sources = append(sources, source{tEPC, digitallink.Canonical(v)})
		}
	case len(q.MatchEPC) > 0:
		for _, v := range q.MatchEPC {
			sources = append(sources, source{tEPC, digitallink.Canonical(v)})
		}
	case len(q.MatchEPCClass) > 0:
		for _, v := range q.MatchEPCClass {
			sources = append(sources, source{tClass, digitallink.Canonical(v)})
		}
	default:
		sources = append(sources, source{table: tTime})
	}
	found := map[cursor]json.RawMessage{}
	for _, s := range sources {
		var p []byte
		if s.table == tTime {
			p = []byte{tTime, sep}
		} else {
			if !validComponent(s.value) {
				continue
			}
			p = prefix(s.table, s.value)
		}
		start := append(append([]byte(nil), p...), lo...)
		if after != nil && after.at >= lo {
			start = append(append(append([]byte(nil), p...), after.at...), sep)
			start = append(start, after.id...)
		}
		n := 0
		err := scan(x.db, p, start, func(k, _ []byte) (bool, error) {
			parts := split(k)
			c := cursor{at: parts[len(parts)-2], id: parts[len(parts)-1]}
			if hi != "" && c.at >= hi {
				return false, nil
			}
			if c.at < lo || after != nil && !after.less(c) {
				return true, nil
			}
			if _, dup := found[c]; dup {
				return true, nil
			}
			raw, err := x.Event(c.id)
			if err != nil {
				return false, fmt.Errorf("index: entry %q: %w", k, err)
			}
			ok, err := f.match(raw)
			if err != nil || !ok {
				return true, err
			}
			found[c] = raw
			n++
			return n <= per, nil
		})
		if err != nil {
			return Page{}, err
		}
	}
	cs := make([]cursor, 0, len(found))
	for c := range found {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].less(cs[j]) })
	page := Page{Events: []json.RawMessage{}}
	for i, c := range cs {
		if i == per {
			page.NextPageToken = cs[i-1].token()
			break
		}
		page.Events = append(page.Events, found[c])
	}
	return page, nil
}

type filter struct {
	epc, anyEPC, class, bizStep map[string]bool
}

func set(vs []string, norm func(string) string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, v := range vs {
		m[norm(v)] = true
	}
	return m
}

func newFilter(q Query) filter {
	return filter{
		epc:     set(q.MatchEPC, digitallink.Canonical),
		anyEPC:  set(q.MatchAnyEPC, digitallink.Canonical),
		class:   set(q.MatchEPCClass, digitallink.Canonical),
		bizStep: set(q.BizStep, bizStepName),
	}
}

func anyIn(ids []string, m map[string]bool) bool {
	for _, id := range ids {
		if m[id] {
			return true
		}
	}
	return false
}

func (f filter) match(raw json.RawMessage) (bool, error) {
	var e epcis.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return false, err
	}
	if f.bizStep != nil && !f.bizStep[bizStepName(e.BizStep)] {
		return false, nil
	}
	// MATCH_epc looks at the EPC lists, MATCH_anyEPC at the parentID too.
	var epcs, anyEPCs, classes []string
	for _, id := range e.Identifiers() {
		switch id.Role {
		case epcis.RoleEPC:
			epcs = append(epcs, id.ID)
			anyEPCs = append(anyEPCs, id.ID)
		case epcis.RoleParent:
			anyEPCs = append(anyEPCs, id.ID)
		case epcis.RoleClass:
			classes = append(classes, id.ID)
		}
	}
	if f.epc != nil && !anyIn(epcs, f.epc) {
		return false, nil
	}
	if f.anyEPC != nil && !anyIn(anyEPCs, f.anyEPC) {
		return false, nil
	}
	if f.class != nil && !anyIn(classes, f.class) {
		return false, nil
	}
	return true, nil
}
