package index

// The EPCIS 2.0 query interface (SimpleEventQuery, EPCIS 2.0 §8.2.7.1).
//
// A query is driven by the most selective table its parameters allow,
// then every parameter is checked on each candidate event:
//
//	EQ_eventID                                  → v (point reads)
//	MATCH_epc, _parentID, _inputEPC, _outputEPC, _anyEPC → o {epc} {eventTime} {id}
//	MATCH_epcClass, _inputEPCClass, _outputEPCClass, _anyEPCClass → c {class} {eventTime} {id}
//	EQ/WD_readPoint, EQ/WD_bizLocation, EQ_transformationID,
//	EQ_disposition, EQ_bizStep, eventType       → E {field} {value} {eventTime} {id}
//	GE/LT_recordTime, orderBy=recordTime        → R {recordTime} {id}
//	otherwise                                   → t {eventTime} {id}
//
// (in that order of preference). Every one of these tables is ordered by
// time within a value, so a page is the first matches of the values'
// ranges read as one merged stream (epcismerge.go): a page costs about
// perPage matches plus one per value, whatever the size of the index.
// WD_ expands a location into its descendants through the location
// master data (locations.go), resolved once per change of it.
//
// Page tokens are opaque and tamper-safe: the position after the page's
// last event, the events delivered so far (eventCountLimit) and a digest
// of the query, MACed with a key the index keeps (node-local, in m). A
// token of another query or another node, or an altered one, is refused.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// Tables of the query interface, written with each event (applyQueryTables).
const (
	tField  = 'E' // E {field} {value} {eventTime} {eventID} → ""
	tRecord = 'R' // R {recordTime} {eventID} → ""
)

// Fields of the E table.
const (
	fieldType           = "y"
	fieldBizStep        = "s"
	fieldDisposition    = "d"
	fieldReadPoint      = "r"
	fieldBizLocation    = "l"
	fieldTransformation = "x"
)

// cbvName reduces a CBV URI of kind (BizStep, Disp) to its bare name, as
// events and queries may spell it either way.
func cbvName(s, kind, urn string) string {
	for _, p := range []string{"https://ref.gs1.org/cbv/" + kind + "-", "urn:epcglobal:cbv:" + urn + ":"} {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}

func dispositionName(s string) string { return cbvName(s, "Disp", "disp") }

// locationID is the one spelling of a read point or business location:
// SGLN URNs through the CBV's normaliser (regular expressions), Digital
// Links by parsing alone.
func locationID(s string) string {
	if strings.HasPrefix(s, "urn:") {
		return epcis.CanonicalID(s)
	}
	return digitallink.Canonical(s)
}

// applyQueryTables indexes event f (event time key at, recorded at
// recordTime) for the query interface.
func applyQueryTables(w writer, f *epcis.Event, at, recordTime string) error {
	set := func(field, value string) error {
		if !validComponent(value) {
			return nil
		}
		return w.Set(key(tField, field, value, at, f.EventID), nil, nil)
	}
	if err := set(fieldType, f.Type); err != nil {
		return err
	}
	if err := set(fieldBizStep, bizStepName(f.BizStep)); err != nil {
		return err
	}
	if err := set(fieldDisposition, dispositionName(f.Disposition)); err != nil {
		return err
	}
	if f.ReadPoint != nil {
		if err := set(fieldReadPoint, locationID(f.ReadPoint.ID)); err != nil {
			return err
		}
	}
	if f.BizLocation != nil {
		if err := set(fieldBizLocation, locationID(f.BizLocation.ID)); err != nil {
			return err
		}
	}
	if err := set(fieldTransformation, f.TransformationID); err != nil {
		return err
	}
	if !validComponent(recordTime) {
		recordTime = at
	}
	return w.Set(key(tRecord, recordTime, f.EventID), nil, nil)
}

// cursor is a position in a table's time order: the time key and the
// event id.
type cursor struct{ at, id string }

func (c cursor) less(d cursor) bool { return c.at < d.at || c.at == d.at && c.id < d.id }

// pageToken is what a nextPageToken carries.
type pageToken struct {
	At    string `json:"a"`
	ID    string `json:"i"`
	Count int    `json:"n"` // events delivered before the next page
	Query string `json:"q"` // digest of the query
}

var pageKeyKey = []byte{tMeta, sep, 'p', 'a', 'g', 'e', 'k', 'e', 'y'}

// pageKey is the node's key for page tokens, made on first use.
func (x *Index) pageKey() ([]byte, error) {
	x.pageKeyOnce.Do(func() {
		k, ok, err := get(x.db, pageKeyKey)
		if err == nil && !ok {
			k = make([]byte, 32)
			if _, err = rand.Read(k); err == nil {
				err = x.db.Set(pageKeyKey, k, x.writeOpts())
			}
		}
		x.pageKeyVal, x.pageKeyErr = k, err
	})
	return x.pageKeyVal, x.pageKeyErr
}

// queryDigest identifies a query apart from its paging.
func queryDigest(q Query) string {
	q.PerPage, q.PageToken = 0, ""
	h := sha256.Sum256([]byte(q.Values().Encode()))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

func (x *Index) signToken(t pageToken) (string, error) {
	k, err := x.pageKey()
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(t)
	m := hmac.New(sha256.New, k)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]), nil
}

func (x *Index) parseToken(s string, q Query) (pageToken, error) {
	bad := &QueryError{Param: nodeapi.ParamPageToken, Reason: "not a token this node issued for this query"}
	k, err := x.pageKey()
	if err != nil {
		return pageToken{}, err
	}
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return pageToken{}, bad
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return pageToken{}, bad
	}
	m := hmac.New(sha256.New, k)
	m.Write(b)
	if !hmac.Equal(m.Sum(nil)[:16], mac) {
		return pageToken{}, bad
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.Query != queryDigest(q) || !validComponent(t.At) || !validComponent(t.ID) {
		return pageToken{}, bad
	}
	return t, nil
}

// source is one table range a query reads candidates from: keys are
// prefix, a time key, sep and an event id.
type source struct {
	prefix []byte
	ids    []string // EQ_eventID: the events themselves, no table
}

// plan is how a query is answered.
type plan struct {
	sources []source
	record  bool // the sources are keyed by record time
	lo, hi  string
	desc    bool
	f       *matcher
}

func (x *Index) plan(q Query) (*plan, error) {
	f, err := x.newMatcher(q)
	if err != nil {
		return nil, err
	}
	p := &plan{f: f, desc: q.OrderBy != "" && q.OrderDirection != nodeapi.OrderAsc}
	record := q.OrderBy == nodeapi.OrderRecordTime || !q.GERecordTime.IsZero() || !q.LTRecordTime.IsZero()
	if record {
		p.record = true
		p.sources = []source{{prefix: []byte{tRecord, sep}}}
		if !q.GERecordTime.IsZero() {
			p.lo = ledger.FormatTime(q.GERecordTime)
		}
		if !q.LTRecordTime.IsZero() {
			p.hi = ledger.FormatTime(q.LTRecordTime)
		}
		return p, nil
	}
	if !q.GETime.IsZero() {
		p.lo = ledger.FormatTime(q.GETime)
	}
	if !q.LTTime.IsZero() {
		p.hi = ledger.FormatTime(q.LTTime)
	}
	values := func(table byte, vs []string, norm func(string) string) []source {
		var out []source
		seen := map[string]bool{}
		for _, v := range vs {
			v = norm(v)
			if seen[v] {
				continue
			}
			seen[v] = true
			if validComponent(v) {
				out = append(out, source{prefix: prefix(table, v)})
			}
		}
		return out
	}
	fields := func(field string, vs []string) []source {
		var out []source
		for v := range vs {
			if validComponent(vs[v]) {
				out = append(out, source{prefix: prefix(tField, field, vs[v])})
			}
		}
		return out
	}
	epcs := func(lists ...[]string) []string {
		for _, l := range lists {
			if len(l) > 0 {
				return l
			}
		}
		return nil
	}
	switch {
	case len(q.EventID) > 0:
		p.sources = []source{{ids: q.EventID}}
	case len(epcs(q.MatchAnyEPC, q.MatchEPC, q.MatchParentID, q.MatchInputEPC, q.MatchOutputEPC)) > 0:
		p.sources = values(tEPC, epcs(q.MatchAnyEPC, q.MatchEPC, q.MatchParentID, q.MatchInputEPC, q.MatchOutputEPC), digitallink.Canonical)
	case len(epcs(q.MatchAnyEPCClass, q.MatchEPCClass, q.MatchInputEPCClass, q.MatchOutputEPCClass)) > 0:
		p.sources = values(tClass, epcs(q.MatchAnyEPCClass, q.MatchEPCClass, q.MatchInputEPCClass, q.MatchOutputEPCClass), digitallink.Canonical)
	case f.readPoint != nil:
		p.sources = fields(fieldReadPoint, keys(f.readPoint))
	case f.bizLocation != nil:
		p.sources = fields(fieldBizLocation, keys(f.bizLocation))
	case f.transformation != nil:
		p.sources = fields(fieldTransformation, keys(f.transformation))
	case f.disposition != nil:
		p.sources = fields(fieldDisposition, keys(f.disposition))
	case f.bizStep != nil:
		p.sources = fields(fieldBizStep, keys(f.bizStep))
	case f.eventType != nil:
		p.sources = fields(fieldType, keys(f.eventType))
	default:
		p.sources = []source{{prefix: []byte{tTime, sep}}}
	}
	return p, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hit is a matching event at its cursor.
type hit struct {
	c   cursor
	raw json.RawMessage
}

// scan collects up to n matching events of s after the cursor (nil: from
// the start), in the plan's direction.
func (x *Index) scanSource(p *plan, s source, after *cursor, n int, fn func(hit) bool) error {
	if s.ids != nil {
		var hits []hit
		for _, id := range s.ids {
			raw, err := x.Event(id)
			if err != nil {
				continue
			}
			e, ok, err := p.f.match(raw)
			if err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			at, err := eventTimeKey(e.EventTime)
			if err != nil {
				continue
			}
			c := cursor{at, id}
			if p.lo != "" && at < p.lo || p.hi != "" && at >= p.hi {
				continue
			}
			if after != nil && (p.desc && !c.less(*after) || !p.desc && !after.less(c)) {
				continue
			}
			hits = append(hits, hit{c, raw})
		}
		sort.Slice(hits, func(i, j int) bool { return hits[i].c.less(hits[j].c) != p.desc })
		for _, h := range hits {
			if !fn(h) {
				break
			}
		}
		return nil
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
		return err
	}
	defer it.Close()
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
	pr := x.newReader()
	defer pr.close()
	for ; ok; ok = step(it, p.desc) {
		k := it.Key()[len(s.prefix):]
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			continue
		}
		c := cursor{at: string(k[:i]), id: string(k[i+1:])}
		raw, found, err := pr.get(key(tEvent, c.id))
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("index: entry %q names no event", it.Key())
		}
		_, match, err := p.f.match(raw)
		if err != nil {
			return err
		}
		if match && !fn(hit{c, raw}) {
			break
		}
	}
	return it.Error()
}

func step(it *pebble.Iterator, desc bool) bool {
	if desc {
		return it.Prev()
	}
	return it.Next()
}

// Page is one page of query results.
type Page struct {
	Events []json.RawMessage
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// Events answers an EPCIS query: a page of the matching events in the
// order asked (ascending event time when none is).
func (x *Index) Events(q Query) (Page, error) {
	per := q.PerPage
	switch {
	case per == 0:
		per = DefaultPerPage
	case per < 0 || per > MaxPerPage:
		return Page{}, &QueryError{Param: nodeapi.ParamPerPage, Reason: fmt.Sprintf("must be 1 to %d", MaxPerPage)}
	}
	p, err := x.plan(q)
	if err != nil {
		return Page{}, err
	}
	var after *cursor
	delivered := 0
	if q.PageToken != "" {
		t, err := x.parseToken(q.PageToken, q)
		if err != nil {
			return Page{}, err
		}
		after, delivered = &cursor{t.At, t.ID}, t.Count
	} else if q.MaxEventCount > 0 {
		n := 0
		for _, s := range p.sources {
			if err := x.scanSource(p, s, nil, 0, func(hit) bool { n++; return n <= q.MaxEventCount }); err != nil {
				return Page{}, err
			}
		}
		if n > q.MaxEventCount {
			return Page{}, &QueryError{Param: nodeapi.ParamMaxEventCount, Exception: nodeapi.QueryTooLargeException,
				Reason: fmt.Sprintf("the query matches more than %d events", q.MaxEventCount)}
		}
	}
	limit := per
	if q.EventCountLimit > 0 {
		limit = min(per, q.EventCountLimit-delivered)
	}
	page := Page{Events: []json.RawMessage{}}
	if limit <= 0 {
		return page, nil
	}
	// The first limit+1 matches of the sources merged: the extra one says
	// whether there is a next page (epcismerge.go).
	var hits []hit
	err = x.merged(p, after, func(h hit) bool {
		hits = append(hits, h)
		return len(hits) <= limit
	})
	if err != nil {
		return Page{}, err
	}
	for i, h := range hits {
		if i == limit {
			if q.EventCountLimit == 0 || delivered+limit < q.EventCountLimit {
				last := hits[i-1].c
				tok, err := x.signToken(pageToken{At: last.at, ID: last.id, Count: delivered + limit, Query: queryDigest(q)})
				if err != nil {
					return Page{}, err
				}
				page.NextPageToken = tok
			}
			break
		}
		page.Events = append(page.Events, h.raw)
	}
	return page, nil
}

// Match reports whether the stored event raw answers q, as Events would
// (without paging, counts or order): for subscriptions, which check each
// new event.
func (x *Index) Match(q Query, raw json.RawMessage) (bool, error) {
	f, err := x.newMatcher(q)
	if err != nil {
		return false, err
	}
	e, ok, err := f.match(raw)
	if err != nil || !ok {
		return false, err
	}
	at, err := eventTimeKey(e.EventTime)
	if err != nil {
		return false, nil
	}
	if !q.GETime.IsZero() && at < ledger.FormatTime(q.GETime) || !q.LTTime.IsZero() && at >= ledger.FormatTime(q.LTTime) {
		return false, nil
	}
	return true, nil
}

// matcher checks every parameter of a query on an event.
type matcher struct {
	eventType, action, bizStep, disposition, readPoint, bizLocation, transformation, eventID map[string]bool
	epc, parent, input, output, anyEPC                                                       map[string]bool
	class, inputClass, outputClass, anyClass                                                 map[string]bool
	lo, hi                                                                                   string // event time bounds when the plan is keyed by record time
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

func same(s string) string { return s }

func (x *Index) newMatcher(q Query) (*matcher, error) {
	canon := digitallink.Canonical
	f := &matcher{
		eventType: set(q.EventType, same), action: set(q.Action, same),
		bizStep: set(q.BizStep, bizStepName), disposition: set(q.Disposition, dispositionName),
		transformation: set(q.TransformationID, same), eventID: set(q.EventID, same),
		epc: set(q.MatchEPC, canon), parent: set(q.MatchParentID, canon), input: set(q.MatchInputEPC, canon),
		output: set(q.MatchOutputEPC, canon), anyEPC: set(q.MatchAnyEPC, canon),
		class: set(q.MatchEPCClass, canon), inputClass: set(q.MatchInputEPCClass, canon),
		outputClass: set(q.MatchOutputEPCClass, canon), anyClass: set(q.MatchAnyEPCClass, canon),
	}
	var err error
	if f.readPoint, err = x.locations(q.ReadPoint, q.WDReadPoint); err != nil {
		return nil, err
	}
	if f.bizLocation, err = x.locations(q.BizLocation, q.WDBizLocation); err != nil {
		return nil, err
	}
	if q.OrderBy == nodeapi.OrderRecordTime || !q.GERecordTime.IsZero() || !q.LTRecordTime.IsZero() {
		if !q.GETime.IsZero() {
			f.lo = ledger.FormatTime(q.GETime)
		}
		if !q.LTTime.IsZero() {
			f.hi = ledger.FormatTime(q.LTTime)
		}
	}
	return f, nil
}

// locations is the set of locations EQ_ and WD_ parameters name: the EQ_
// ones and the WD_ ones with their descendants; nil when both are empty.
func (x *Index) locations(eq, wd []string) (map[string]bool, error) {
	if len(eq) == 0 && len(wd) == 0 {
		return nil, nil
	}
	m := map[string]bool{}
	for _, l := range eq {
		m[locationID(l)] = true
	}
	for _, l := range wd {
		ds, err := x.LocationDescendants(l)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			m[d] = true
		}
	}
	return m, nil
}

func anyIn(ids []string, m map[string]bool) bool {
	for _, id := range ids {
		if m[id] {
			return true
		}
	}
	return false
}

func canonAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = digitallink.Canonical(v)
	}
	return out
}

func classes(qs ...[]epcis.QuantityElement) []string {
	var out []string
	for _, l := range qs {
		for _, q := range l {
			out = append(out, digitallink.Canonical(q.EPCClass))
		}
	}
	return out
}

func (f *matcher) match(raw json.RawMessage) (*epcis.Event, bool, error) {
	var e epcis.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, false, err
	}
	in := func(m map[string]bool, v string) bool { return m == nil || m[v] }
	if !in(f.eventType, e.Type) || !in(f.action, e.Action) || !in(f.bizStep, bizStepName(e.BizStep)) ||
		!in(f.disposition, dispositionName(e.Disposition)) || !in(f.transformation, e.TransformationID) ||
		!in(f.eventID, e.EventID) {
		return &e, false, nil
	}
	if f.readPoint != nil && (e.ReadPoint == nil || !f.readPoint[locationID(e.ReadPoint.ID)]) {
		return &e, false, nil
	}
	if f.bizLocation != nil && (e.BizLocation == nil || !f.bizLocation[locationID(e.BizLocation.ID)]) {
		return &e, false, nil
	}
	if f.lo != "" || f.hi != "" {
		at, err := eventTimeKey(e.EventTime)
		if err != nil || f.lo != "" && at < f.lo || f.hi != "" && at >= f.hi {
			return &e, false, nil
		}
	}
	// MATCH_epc: epcList and childEPCs; MATCH_anyEPC: every EPC and the
	// parentID (EPCIS 2.0 §8.2.7.1).
	epcs := canonAll(append(append([]string(nil), e.EPCList...), e.ChildEPCs...))
	inputs, outputs := canonAll(e.InputEPCList), canonAll(e.OutputEPCList)
	var parent []string
	if e.ParentID != "" {
		parent = []string{digitallink.Canonical(e.ParentID)}
	}
	for _, c := range []struct {
		m   map[string]bool
		ids [][]string
	}{
		{f.epc, [][]string{epcs}}, {f.parent, [][]string{parent}}, {f.input, [][]string{inputs}},
		{f.output, [][]string{outputs}}, {f.anyEPC, [][]string{epcs, parent, inputs, outputs}},
		{f.class, [][]string{classes(e.QuantityList, e.ChildQuantityList)}},
		{f.inputClass, [][]string{classes(e.InputQuantityList)}},
		{f.outputClass, [][]string{classes(e.OutputQuantityList)}},
		{f.anyClass, [][]string{classes(e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList)}},
	} {
		if c.m == nil {
			continue
		}
		found := false
		for _, ids := range c.ids {
			found = found || anyIn(ids, c.m)
		}
		if !found {
			return &e, false, nil
		}
	}
	return &e, true, nil
}

// Vocabulary lists the distinct values of an EPCIS vocabulary the indexed
// events use, in order, up to n after after (""): the REST binding's
// /eventTypes, /bizSteps, /dispositions, /readPoints, /bizLocations and
// /epcs. It reports whether there are more.
func (x *Index) Vocabulary(kind Vocab, after string, n int) ([]string, bool, error) {
	var p []byte
	switch kind {
	case VocabEPC:
		p = []byte{tEPC, sep}
	default:
		p = []byte{tField, sep, byte(kind), sep}
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	var out []string
	ok := it.First()
	if after != "" {
		ok = it.SeekGE(append(append(append([]byte(nil), p...), after...), sep+1))
	}
	for ok {
		k := it.Key()[len(p):]
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			ok = it.Next()
			continue
		}
		v := string(k[:i])
		if len(out) == n {
			return out, true, nil
		}
		out = append(out, v)
		ok = it.SeekGE(append(append(append([]byte(nil), p...), v...), sep+1))
	}
	return out, false, it.Error()
}

// Vocab is a vocabulary Vocabulary lists.
type Vocab byte

// Vocabularies.
const (
	VocabEventType   Vocab = 'y'
	VocabBizStep     Vocab = 's'
	VocabDisposition Vocab = 'd'
	VocabReadPoint   Vocab = 'r'
	VocabBizLocation Vocab = 'l'
	VocabEPC         Vocab = 'o'
)
