package nodeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query is the EPCIS 2.0 SimpleEventQuery a node answers (EPCIS 2.0 §8.2.7.1),
// as the REST binding's URL parameters or a named query's JSON. Different
// parameters are ANDed; the values of one parameter are ORed; empty fields
// do not restrict. Identifiers (EPCs, classes, locations) match in any GS1
// spelling: Digital Links on any domain, or EPC URNs.
type Query struct {
	EventType    []string  // eventType
	GETime       time.Time // GE_eventTime; zero means unbounded
	LTTime       time.Time // LT_eventTime; zero means unbounded
	GERecordTime time.Time // GE_recordTime: when the ledger recorded the event
	LTRecordTime time.Time // LT_recordTime

	Action           []string // EQ_action
	BizStep          []string // EQ_bizStep: bare CBV names or full URIs
	Disposition      []string // EQ_disposition: bare CBV names or full URIs
	ReadPoint        []string // EQ_readPoint
	WDReadPoint      []string // WD_readPoint: the locations or their descendants (location master data)
	BizLocation      []string // EQ_bizLocation
	WDBizLocation    []string // WD_bizLocation
	TransformationID []string // EQ_transformationID
	EventID          []string // EQ_eventID

	MatchEPC            []string // MATCH_epc: epcList and childEPCs
	MatchParentID       []string // MATCH_parentID
	MatchInputEPC       []string // MATCH_inputEPC
	MatchOutputEPC      []string // MATCH_outputEPC
	MatchAnyEPC         []string // MATCH_anyEPC: all of the above
	MatchEPCClass       []string // MATCH_epcClass: quantityList and childQuantityList
	MatchInputEPCClass  []string // MATCH_inputEPCClass
	MatchOutputEPCClass []string // MATCH_outputEPCClass
	MatchAnyEPCClass    []string // MATCH_anyEPCClass

	// OrderBy is OrderEventTime, OrderRecordTime or "" (unspecified: the
	// node answers in ascending event time).
	OrderBy string
	// OrderDirection is ASC or DESC; "" is DESC when OrderBy is set, as
	// the standard says.
	OrderDirection string
	// EventCountLimit keeps the first N events in the order asked (it
	// needs OrderBy); 0 means no limit.
	EventCountLimit int
	// MaxEventCount makes a query that matches more events an error
	// (QueryTooLargeException); 0 means no limit.
	MaxEventCount int

	// PerPage is the page size; 0 means DefaultPerPage, more than
	// MaxPerPage is an error.
	PerPage int
	// PageToken continues from a previous page's NextPageToken.
	PageToken string
}

// Page sizes.
const (
	DefaultPerPage = 30
	MaxPerPage     = 1000
)

// Orders and directions.
const (
	OrderEventTime  = "eventTime"
	OrderRecordTime = "recordTime"
	OrderAsc        = "ASC"
	OrderDesc       = "DESC"
)

// The standard's query exceptions (EPCIS 2.0 §8.2.7) a QueryError names.
const (
	// QueryParameterException: a parameter the query cannot have.
	QueryParameterException = "QueryParameterException"
	// QueryTooLargeException: more events than maxEventCount allows.
	QueryTooLargeException = "QueryTooLargeException"
	// QueryTooComplexException: a query the node will not compute.
	QueryTooComplexException = "QueryTooComplexException"
)

// QueryError is a query a node cannot answer as asked: the caller's
// mistake.
type QueryError struct {
	Param  string
	Reason string
	// Exception is the standard's exception; "" means
	// QueryParameterException.
	Exception string
}

func (e *QueryError) Error() string { return fmt.Sprintf("query parameter %s: %s", e.Param, e.Reason) }

// Kind is the standard's exception the error is.
func (e *QueryError) Kind() string {
	if e.Exception == "" {
		return QueryParameterException
	}
	return e.Exception
}

// The URL parameters of a Query.
const (
	ParamEventType           = "eventType"
	ParamGETime              = "GE_eventTime"
	ParamLTTime              = "LT_eventTime"
	ParamGERecordTime        = "GE_recordTime"
	ParamLTRecordTime        = "LT_recordTime"
	ParamAction              = "EQ_action"
	ParamBizStep             = "EQ_bizStep"
	ParamDisposition         = "EQ_disposition"
	ParamReadPoint           = "EQ_readPoint"
	ParamWDReadPoint         = "WD_readPoint"
	ParamBizLocation         = "EQ_bizLocation"
	ParamWDBizLocation       = "WD_bizLocation"
	ParamTransformationID    = "EQ_transformationID"
	ParamEventID             = "EQ_eventID"
	ParamMatchEPC            = "MATCH_epc"
	ParamMatchParentID       = "MATCH_parentID"
	ParamMatchInputEPC       = "MATCH_inputEPC"
	ParamMatchOutputEPC      = "MATCH_outputEPC"
	ParamMatchAnyEPC         = "MATCH_anyEPC"
	ParamMatchEPCClass       = "MATCH_epcClass"
	ParamMatchInputEPCClass  = "MATCH_inputEPCClass"
	ParamMatchOutputEPCClass = "MATCH_outputEPCClass"
	ParamMatchAnyEPCClass    = "MATCH_anyEPCClass"
	ParamOrderBy             = "orderBy"
	ParamOrderDirection      = "orderDirection"
	ParamEventCountLimit     = "eventCountLimit"
	ParamMaxEventCount       = "maxEventCount"
	ParamPerPage             = "perPage"
	ParamPageToken           = "nextPageToken"
)

// lists are the list parameters and their fields.
var lists = []struct {
	name  string
	field func(*Query) *[]string
}{
	{ParamEventType, func(q *Query) *[]string { return &q.EventType }},
	{ParamAction, func(q *Query) *[]string { return &q.Action }},
	{ParamBizStep, func(q *Query) *[]string { return &q.BizStep }},
	{ParamDisposition, func(q *Query) *[]string { return &q.Disposition }},
	{ParamReadPoint, func(q *Query) *[]string { return &q.ReadPoint }},
	{ParamWDReadPoint, func(q *Query) *[]string { return &q.WDReadPoint }},
	{ParamBizLocation, func(q *Query) *[]string { return &q.BizLocation }},
	{ParamWDBizLocation, func(q *Query) *[]string { return &q.WDBizLocation }},
	{ParamTransformationID, func(q *Query) *[]string { return &q.TransformationID }},
	{ParamEventID, func(q *Query) *[]string { return &q.EventID }},
	{ParamMatchEPC, func(q *Query) *[]string { return &q.MatchEPC }},
	{ParamMatchParentID, func(q *Query) *[]string { return &q.MatchParentID }},
	{ParamMatchInputEPC, func(q *Query) *[]string { return &q.MatchInputEPC }},
	{ParamMatchOutputEPC, func(q *Query) *[]string { return &q.MatchOutputEPC }},
	{ParamMatchAnyEPC, func(q *Query) *[]string { return &q.MatchAnyEPC }},
	{ParamMatchEPCClass, func(q *Query) *[]string { return &q.MatchEPCClass }},
	{ParamMatchInputEPCClass, func(q *Query) *[]string { return &q.MatchInputEPCClass }},
	{ParamMatchOutputEPCClass, func(q *Query) *[]string { return &q.MatchOutputEPCClass }},
	{ParamMatchAnyEPCClass, func(q *Query) *[]string { return &q.MatchAnyEPCClass }},
}

// times are the time parameters and their fields.
var times = []struct {
	name  string
	field func(*Query) *time.Time
}{
	{ParamGETime, func(q *Query) *time.Time { return &q.GETime }},
	{ParamLTTime, func(q *Query) *time.Time { return &q.LTTime }},
	{ParamGERecordTime, func(q *Query) *time.Time { return &q.GERecordTime }},
	{ParamLTRecordTime, func(q *Query) *time.Time { return &q.LTRecordTime }},
}

// ints are the integer parameters, with their bounds.
var ints = []struct {
	name     string
	field    func(*Query) *int
	min, max int
}{
	{ParamEventCountLimit, func(q *Query) *int { return &q.EventCountLimit }, 1, 1 << 30},
	{ParamMaxEventCount, func(q *Query) *int { return &q.MaxEventCount }, 1, 1 << 30},
	{ParamPerPage, func(q *Query) *int { return &q.PerPage }, 1, MaxPerPage},
}

// Params are the URL parameters a node answers, in the order it lists them.
func Params() []string {
	var out []string
	out = append(out, lists[0].name)
	for _, t := range times {
		out = append(out, t.name)
	}
	for _, l := range lists[1:] {
		out = append(out, l.name)
	}
	out = append(out, ParamOrderBy, ParamOrderDirection)
	for _, i := range ints {
		out = append(out, i.name)
	}
	return append(out, ParamPageToken)
}

// unsupported are prefixes of the standard's parameters this node does not
// answer: a query naming them is refused rather than answered as if they
// were not there.
var unsupported = []string{"EQ_persistentDisposition", "EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity",
	"LE_quantity", "EXISTS_", "GE_errorDeclarationTime", "LT_errorDeclarationTime", "EQ_errorReason",
	"EQ_correctiveEventID", "GE_startTime", "LT_startTime", "GE_endTime", "LT_endTime", "EQ_type", "EQ_deviceID",
	"EQ_dataProcessingMethod", "EQ_microorganism", "EQ_chemicalSubstance", "EQ_bizRules", "EQ_stringValue",
	"EQ_hexBinaryValue", "EQ_uriValue", "EQ_booleanValue", "EQ_INNER_", "EQ_ILMD_", "EQ_SOURCE_", "EQ_DESTINATION_",
	"EQ_bizTransaction_", "HASATTR_", "EQATTR_", "EQ_value", "GT_", "GE_", "LT_", "LE_", "EQ_", "MATCH_"}

// Values is the query as URL parameters; ParseQuery reads them back.
func (q Query) Values() url.Values {
	v := url.Values{}
	for _, l := range lists {
		if vs := *l.field(&q); len(vs) > 0 {
			v.Set(l.name, strings.Join(vs, "|"))
		}
	}
	for _, t := range times {
		if at := *t.field(&q); !at.IsZero() {
			v.Set(t.name, at.UTC().Format(time.RFC3339Nano))
		}
	}
	if q.OrderBy != "" {
		v.Set(ParamOrderBy, q.OrderBy)
	}
	if q.OrderDirection != "" {
		v.Set(ParamOrderDirection, q.OrderDirection)
	}
	for _, i := range ints {
		if n := *i.field(&q); n != 0 {
			v.Set(i.name, strconv.Itoa(n))
		}
	}
	if q.PageToken != "" {
		v.Set(ParamPageToken, q.PageToken)
	}
	return v
}

// ParseQuery reads a Query from URL parameters. An unknown parameter, one
// of the standard's this node does not answer, a time that is not RFC 3339,
// a number out of range or a combination the standard forbids is a
// *QueryError. The values of a list parameter are separated by '|' or
// repeated.
func ParseQuery(v url.Values) (Query, error) {
	known := map[string]bool{ParamOrderBy: true, ParamOrderDirection: true, ParamPageToken: true}
	for _, l := range lists {
		known[l.name] = true
	}
	for _, t := range times {
		known[t.name] = true
	}
	for _, i := range ints {
		known[i.name] = true
	}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad one, the same each time
	for _, name := range names {
		if known[name] {
			continue
		}
		for _, p := range unsupported {
			if strings.HasPrefix(name, p) {
				return Query{}, &QueryError{Param: name, Reason: "this node does not answer this parameter of the standard"}
			}
		}
		return Query{}, &QueryError{Param: strconv.Quote(name),
			Reason: "unknown; this node answers " + strings.Join(Params(), ", ")}
	}
	var q Query
	for _, l := range lists {
		*l.field(&q) = list(v, l.name)
	}
	for _, t := range times {
		if s := v.Get(t.name); s != "" {
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Query{}, &QueryError{Param: t.name, Reason: fmt.Sprintf("%q is not an RFC 3339 time", s)}
			}
			*t.field(&q) = at
		}
	}
	for _, i := range ints {
		if s := v.Get(i.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < i.min || n > i.max {
				return Query{}, &QueryError{Param: i.name, Reason: fmt.Sprintf("%q is not a number from %d to %d", s, i.min, i.max)}
			}
			*i.field(&q) = n
		}
	}
	q.OrderBy, q.OrderDirection, q.PageToken = v.Get(ParamOrderBy), v.Get(ParamOrderDirection), v.Get(ParamPageToken)
	switch q.OrderBy {
	case "", OrderEventTime, OrderRecordTime:
	default:
		return Query{}, &QueryError{Param: ParamOrderBy, Reason: fmt.Sprintf("%q: this node orders by %s or %s", q.OrderBy, OrderEventTime, OrderRecordTime)}
	}
	switch q.OrderDirection {
	case "", OrderAsc, OrderDesc:
	default:
		return Query{}, &QueryError{Param: ParamOrderDirection, Reason: fmt.Sprintf("%q is not ASC or DESC", q.OrderDirection)}
	}
	if q.EventCountLimit != 0 && q.MaxEventCount != 0 {
		return Query{}, &QueryError{Param: ParamEventCountLimit, Reason: "eventCountLimit and maxEventCount are mutually exclusive"}
	}
	if q.EventCountLimit != 0 && q.OrderBy == "" {
		return Query{}, &QueryError{Param: ParamEventCountLimit, Reason: "eventCountLimit needs orderBy"}
	}
	return q, nil
}

// list splits a list parameter's values on '|', dropping empty ones.
func list(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, "|") {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// ParseQueryJSON reads a Query from the JSON form of the REST binding's
// named queries ({"EQ_bizStep": ["shipping"], "GE_eventTime": "…",
// "eventCountLimit": 5}), with the same rules as ParseQuery. A page token
// has no place in a query's definition.
func ParseQueryJSON(b []byte) (Query, error) {
	v, err := QueryJSONValues(b)
	if err != nil {
		return Query{}, err
	}
	return ParseQuery(v)
}

// QueryJSONValues is the JSON form of a query as URL parameters.
func QueryJSONValues(b []byte) (url.Values, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &QueryError{Param: "query", Reason: "not a JSON object of query parameters"}
	}
	v := url.Values{}
	for name, raw := range m {
		if name == ParamPageToken || name == ParamPerPage {
			return nil, &QueryError{Param: name, Reason: "paging is asked for when reading a query's events, not in its definition"}
		}
		var x any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&x); err != nil {
			return nil, &QueryError{Param: name, Reason: "not JSON"}
		}
		var vals []any
		if a, ok := x.([]any); ok {
			vals = a
		} else {
			vals = []any{x}
		}
		for _, e := range vals {
			switch e := e.(type) {
			case string:
				v.Add(name, e)
			case json.Number:
				v.Add(name, e.String())
			case bool:
				v.Add(name, strconv.FormatBool(e))
			default:
				return nil, &QueryError{Param: name, Reason: "values are strings, numbers or lists of them"}
			}
		}
	}
	return v, nil
}
