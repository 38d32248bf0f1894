package apitest_test

import (
	"net/http"
	"testing"

	"github.com/trustline/trustline/node/api/apitest"
)

// TestConformanceLoads checks that GS1's binding and schema load, and that
// the checker tells a conforming answer from a deviating one.
func TestConformanceLoads(t *testing.T) {
	c := apitest.GS1(t)
	req, _ := http.NewRequest(http.MethodGet, "http://node.example/events?EQ_bizStep=shipping", nil)
	ok := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	doc := []byte(`{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[]}}}}`)
	if err := c.CheckResponse(req, nil, ok, doc); err != nil {
		t.Errorf("a conforming query document: %v", err)
	}
	if err := c.CheckDocument([]byte(`{"type":"EPCISQueryDocument"}`)); err == nil {
		t.Error("a query document without its members passed the JSON schema")
	}
	bad := &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/problem+json"}}}
	if err := c.CheckResponse(req, nil, bad, []byte(`{"type":"epcisException:QueryParameterException","title":"Invalid query","status":400}`)); err != nil {
		t.Errorf("a standard exception: %v", err)
	}
	if err := c.CheckResponse(req, nil, bad, []byte(`{"type":"urn:x:other","title":"Invalid query","status":400}`)); err == nil {
		t.Error("a problem of a non-standard type passed")
	}
	notOp, _ := http.NewRequest(http.MethodGet, "http://node.example/nothing", nil)
	if err := c.CheckRequest(notOp, nil); err == nil {
		t.Error("a path outside the binding passed")
	}
}
