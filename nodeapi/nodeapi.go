// Package nodeapi is the wire format of a member node's HTTP API: the JSON
// a node serves (a Trace, an RFC 9457 Problem) and the EPCIS query it
// answers (a Query, as URL parameters). The node's index, API and web views
// (node/index, node/api, node/web) and the node's client (client/nodeclient)
// share these types, so a field cannot drift between server and client.
//
// It is a leaf: it imports only ledger and the standard library, so a
// client or verifier can use it without any node code.
package nodeapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trustline/trustline/ledger"
)

// Trace is everything a node knows about a lot, or a unit and its lot: its
// answer for a lot or unit Digital Link.
type Trace struct {
	// ID is the canonical Digital Link asked about.
	ID         string            `json:"id"`
	Unit       *ledger.Unit      `json:"unit,omitempty"`
	Product    *ledger.Product   `json:"product,omitempty"`
	Lot        ledger.LotSummary `json:"lot"`
	Events     []json.RawMessage `json:"events"`
	Upstream   ledger.Trace      `json:"upstream"`
	Downstream ledger.Trace      `json:"downstream"`
	Recall     *ledger.Recall    `json:"recall,omitempty"`
	Shipment   *ledger.Shipment  `json:"shipment,omitempty"`
	// DaysToExpiry is the whole days from the answer's time to the lot's
	// expiry, while it has not expired (the node adds it to its answer).
	DaysToExpiry *int `json:"daysToExpiry,omitempty"`
}

// Problem is an RFC 9457 problem detail, as a node answers a request it
// cannot serve (Content-Type application/problem+json). It is an error, so
// a client can return the node's answer as is.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Segment names the part of a Digital Link at fault.
	Segment string `json:"segment,omitempty"`
}

// ProblemTypePrefix prefixes the type URIs of the API's problems.
const ProblemTypePrefix = "urn:trustline:problem:"

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("node: %s (%d): %s", p.Title, p.Status, p.Detail)
	}
	return fmt.Sprintf("node: %s (%d)", p.Title, p.Status)
}

// Query is the EPCIS 2.0 SimpleEventQuery subset a node answers. Different
// parameters are ANDed; the values of one parameter are ORed; empty fields
// do not restrict.
type Query struct {
	MatchEPC      []string  // MATCH_epc: epcList, childEPCs, input/outputEPCList
	MatchAnyEPC   []string  // MATCH_anyEPC: those and parentID
	MatchEPCClass []string  // MATCH_epcClass: quantity lists' epcClass
	BizStep       []string  // EQ_bizStep: bare CBV names or full URIs
	GETime        time.Time // GE_eventTime; zero means unbounded
	LTTime        time.Time // LT_eventTime; zero means unbounded
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

// QueryError is a query a node cannot answer as asked: the caller's
// mistake.
type QueryError struct {
	Param  string
	Reason string
}

func (e *QueryError) Error() string { return fmt.Sprintf("query parameter %s: %s", e.Param, e.Reason) }

// The URL parameters of a Query, in the order a node lists them.
const (
	ParamMatchEPC      = "MATCH_epc"
	ParamMatchAnyEPC   = "MATCH_anyEPC"
	ParamMatchEPCClass = "MATCH_epcClass"
	ParamBizStep       = "EQ_bizStep"
	ParamGETime        = "GE_eventTime"
	ParamLTTime        = "LT_eventTime"
	ParamPerPage       = "perPage"
	ParamPageToken     = "nextPageToken"
)

var params = []string{ParamMatchEPC, ParamMatchAnyEPC, ParamMatchEPCClass, ParamBizStep,
	ParamGETime, ParamLTTime, ParamPerPage, ParamPageToken}

// Values is the query as URL parameters; ParseQuery reads them back.
func (q Query) Values() url.Values {
	v := url.Values{}
	add := func(k string, vs []string) {
		if len(vs) > 0 {
			v.Set(k, strings.Join(vs, "|"))
		}
	}
	add(ParamMatchEPC, q.MatchEPC)
	add(ParamMatchAnyEPC, q.MatchAnyEPC)
	add(ParamMatchEPCClass, q.MatchEPCClass)
	add(ParamBizStep, q.BizStep)
	if !q.GETime.IsZero() {
		v.Set(ParamGETime, q.GETime.UTC().Format(time.RFC3339Nano))
	}
	if !q.LTTime.IsZero() {
		v.Set(ParamLTTime, q.LTTime.UTC().Format(time.RFC3339Nano))
	}
	if q.PerPage > 0 {
		v.Set(ParamPerPage, strconv.Itoa(q.PerPage))
	}
	if q.PageToken != "" {
		v.Set(ParamPageToken, q.PageToken)
	}
	return v
}

// ParseQuery reads a Query from URL parameters. An unknown parameter, a
// time that is not RFC 3339 or a page size out of range is a *QueryError.
// The values of a list parameter are separated by '|' or repeated.
func ParseQuery(v url.Values) (Query, error) {
	for name := range v {
		known := false
		for _, p := range params {
			known = known || p == name
		}
		if !known {
			return Query{}, &QueryError{Param: strconv.Quote(name),
				Reason: "unknown; this node supports " + strings.Join(params[:len(params)-2], ", ") + ", " + ParamPerPage + " and " + ParamPageToken}
		}
	}
	q := Query{
		MatchEPC: list(v, ParamMatchEPC), MatchAnyEPC: list(v, ParamMatchAnyEPC),
		MatchEPCClass: list(v, ParamMatchEPCClass), BizStep: list(v, ParamBizStep),
		PageToken: v.Get(ParamPageToken),
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{ParamGETime, &q.GETime}, {ParamLTTime, &q.LTTime}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Query{}, &QueryError{Param: p.name, Reason: fmt.Sprintf("%q is not an RFC 3339 time", s)}
			}
			*p.dst = t
		}
	}
	if s := v.Get(ParamPerPage); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPerPage {
			return Query{}, &QueryError{Param: ParamPerPage, Reason: fmt.Sprintf("%q is not a number from 1 to %d", s, MaxPerPage)}
		}
		q.PerPage = n
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
