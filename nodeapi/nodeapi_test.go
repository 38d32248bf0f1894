package nodeapi_test

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/trustline/trustline/nodeapi"
)

// A Query survives its URL form: what a client sends is what a node reads.
func TestQueryRoundTrip(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 500, time.UTC)
	for _, q := range []nodeapi.Query{
		{},
		{MatchEPC: []string{"a", "b"}, MatchAnyEPC: []string{"c"}, MatchEPCClass: []string{"https://id.gs1.org/01/09506000134352/10/L1"}, BizStep: []string{"shipping"}},
		{GETime: at, LTTime: at.Add(time.Hour), PerPage: nodeapi.MaxPerPage, PageToken: "YWJj"},
	} {
		got, err := nodeapi.ParseQuery(q.Values())
		if err != nil || !reflect.DeepEqual(got, q) {
			t.Errorf("ParseQuery(%v) = %+v, %v; want %+v", q.Values(), got, err, q)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		name, query, param string
	}{
		{"unknown parameter", "sort=x", `"sort"`},
		{"standard parameter not answered", "EQ_quantity=5", "EQ_quantity"},
		{"bad order", "orderBy=quantity", "orderBy"},
		{"bad direction", "orderBy=eventTime&orderDirection=UP", "orderDirection"},
		{"limit without order", "eventCountLimit=3", "eventCountLimit"},
		{"limit and max", "orderBy=eventTime&eventCountLimit=3&maxEventCount=4", "eventCountLimit"},
		{"bad time", "GE_eventTime=yesterday", "GE_eventTime"},
		{"page too large", "perPage=1001", "perPage"},
		{"page zero", "perPage=0", "perPage"},
		{"page not a number", "perPage=x", "perPage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			_, err = nodeapi.ParseQuery(v)
			var qe *nodeapi.QueryError
			if !errors.As(err, &qe) || qe.Param != tc.param {
				t.Fatalf("ParseQuery(%s) err = %v, want a *QueryError on %s", tc.query, err, tc.param)
			}
		})
	}
}

func TestParseQueryLists(t *testing.T) {
	v, _ := url.ParseQuery("MATCH_epc=a|b&MATCH_epc=c&EQ_bizStep=")
	q, err := nodeapi.ParseQuery(v)
	if err != nil || !reflect.DeepEqual(q.MatchEPC, []string{"a", "b", "c"}) || q.BizStep != nil {
		t.Fatalf("ParseQuery = %+v, %v", q, err)
	}
}

func TestProblemError(t *testing.T) {
	p := &nodeapi.Problem{Title: "Not found", Status: 404, Detail: "lot x"}
	if got, want := p.Error(), "node: Not found (404): lot x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	p.Detail = ""
	if got, want := p.Error(), "node: Not found (404)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
