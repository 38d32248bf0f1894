package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
)

// TestQueryWritesNeedMember: creating and deleting named queries and
// anything about subscriptions is refused on the public listener (401
// problem+json naming the capture listener) and served on the member
// surface to a client with subscribe: true; a client without it gets 403
// for those and may still read the queries; no certificate is 401. The
// reads of public events stay public.
func TestQueryWritesNeedMember(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Members: true})
	call{method: "POST", target: "/queries", body: `{"name":"shipped","query":{"EQ_bizStep":["shipping"]}}`, status: 201, member: true}.do(t, n)

	// The public listener: reads served, writes and subscriptions 401.
	call{target: "/queries", status: 200, contains: []string{`"shipped"`}}.do(t, n)
	call{target: "/queries/shipped", status: 200}.do(t, n)
	call{target: "/queries/shipped/events", status: 200}.do(t, n)
	for _, c := range []call{
		{method: "POST", target: "/queries", body: `{"name":"other","query":{"EQ_bizStep":["shipping"]}}`},
		{method: "DELETE", target: "/queries/shipped"},
		{method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"http://127.0.0.1:9/cb","secret":"s","stream":true}`},
		{target: "/queries/shipped/subscriptions"},
		{target: "/queries/shipped/subscriptions/any"},
		{method: "DELETE", target: "/queries/shipped/subscriptions/any"},
	} {
		c.status, c.contains = http.StatusUnauthorized, []string{"SecurityException", "capture listener", "subscribe: true"}
		_, body := c.do(t, n)
		assertProblem(t, body, http.StatusUnauthorized)
	}
	if subs, _ := n.Subscriptions.List(""); len(subs) != 0 {
		t.Errorf("the public listener made subscriptions: %v", subs)
	}
	call{target: "/queries/shipped", status: 200}.do(t, n) // not deleted

	// The member surface, to a client without subscribe: reads only.
	org := capturetest.NewOrg(t, "SupplierMSP", "reader", "nobody")
	m := capturetest.Start(t, org, nil, capture.HandlerOptions{Member: n.API.Member(),
		Clients: []capture.Client{{Name: capturetest.CommonName("reader"), Reports: true}}})
	reader := org.HTTPClient(t, "reader")
	for _, tc := range []struct {
		client         *http.Client
		method, target string
		body           string
		status         int
		want           string
	}{
		{reader, "GET", "/queries", "", 200, `"shipped"`},
		{reader, "GET", "/queries/shipped/events", "", 200, `"EPCISQueryDocument"`},
		{reader, "POST", "/queries", `{"name":"x","query":{}}`, 403, "subscribe: true"},
		{reader, "DELETE", "/queries/shipped", "", 403, "subscribe: true"},
		{reader, "GET", "/queries/shipped/subscriptions", "", 403, "subscribe: true"},
		{reader, "POST", "/queries/shipped/subscriptions", `{"dest":"http://127.0.0.1:9/cb","secret":"s","stream":true}`, 403, "subscribe: true"},
		{org.HTTPClient(t, "nobody"), "POST", "/queries", `{"name":"x","query":{}}`, 403, "not allowed"},
		{org.HTTPClient(t, ""), "POST", "/queries", `{"name":"x","query":{}}`, 401, "client certificate"},
	} {
		req, _ := http.NewRequest(tc.method, m.URL+tc.target, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		resp, body := apitest.GS1(t).Do(t, tc.client, req, []byte(tc.body))
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s on the member surface: %d %s, want %d with %q", tc.method, tc.target, resp.StatusCode, body, tc.status, tc.want)
		}
		if tc.status >= 400 {
			assertProblem(t, body, tc.status)
		}
	}
	call{target: "/queries/shipped", status: 200}.do(t, n)
}

func assertProblem(t *testing.T, body []byte, status int) {
	t.Helper()
	var p struct {
		Type, Title, Detail string
		Status              int
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("not a problem of status %d: %s (%v)", status, body, err)
	}
}
