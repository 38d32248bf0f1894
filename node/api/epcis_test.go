package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api/apitest"
)

// Locations of the location fixture: a warehouse with a dock, and a farm.
const (
	glnWarehouse = "https://id.gs1.org/414/9506000000009"
	glnDock      = "https://id.gs1.org/414/9506000000009/254/dock1"
	glnFarm      = "https://id.gs1.org/414/9506000000015"
)

// withLocations records the locations' master data and three events at
// them on n: received at the dock (read point the dock), stored in the
// warehouse, harvested at the farm.
func withLocations(t *testing.T, n *apitest.Node) (ids []string) {
	t.Helper()
	// The fixture's last block is open (applied transaction by
	// transaction): complete it, so that Apply starts a new one.
	if cp := n.Index.Checkpoint(); cp.Position.Tx >= 0 {
		if _, err := n.Index.ApplyBlock(cp.Block, nil); err != nil {
			t.Fatal(err)
		}
	}
	n.Apply(t, ledger.Event{Function: "Location:Set", MSPID: "BrandMSP", Timestamp: "2025-06-20T00:00:00.000000000Z",
		Locations: []ledger.Location{
			{ID: glnWarehouse, Name: "Central warehouse", TimeZone: "Europe/Berlin", Owner: "BrandMSP"},
			{ID: glnDock, Name: "Dock 1", Parent: glnWarehouse, TimeZone: "Europe/Berlin", Owner: "BrandMSP"},
		}})
	for i, e := range []struct{ step, disp, loc, rp string }{
		{"receiving", "in_progress", glnWarehouse, glnDock},
		{"storing", "sellable_not_accessible", glnWarehouse, glnWarehouse},
		{"commissioning", "active", glnFarm, glnFarm},
	} {
		at := time.Date(2025, 6, 21+i, 10, 0, 0, 0, time.UTC)
		ev := map[string]any{
			"@context": []any{epcis.EPCISContext}, "type": "ObjectEvent",
			"eventTime": at.Format("2006-01-02T15:04:05.000Z"), "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
			"bizStep": e.step, "disposition": e.disp, "readPoint": map[string]any{"id": e.rp}, "bizLocation": map[string]any{"id": e.loc},
			"quantityList": []map[string]any{{"epcClass": apitest.LotJuice}},
		}
		body, _ := json.Marshal(ev)
		id, err := epcis.HashEvent(body)
		if err != nil {
			t.Fatal(err)
		}
		ev["eventID"] = id
		raw, _ := json.Marshal(ev)
		n.Apply(t, ledger.Event{Function: "Custody:Observe", MSPID: "BrandMSP", Timestamp: at.Format(ledger.TimeLayout), EPCIS: []json.RawMessage{raw}})
		ids = append(ids, id)
	}
	return ids
}

type call struct {
	name, method, target, accept string
	body                         string
	header                       map[string]string
	status                       int
	invalid                      bool // the request breaks the binding on purpose
	// member sends it to the member surface (the node's capture
	// listener) as apitest.MemberClient; else to the public listener.
	member   bool
	contains []string
	lacks    []string
}

func (c call) do(t *testing.T, n *apitest.Node) (*http.Response, []byte) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	base, client := n.URL, (*http.Client)(nil)
	if c.member {
		base, client = n.Members.URL, n.Org.HTTPClient(t, apitest.MemberClient)
	}
	req, err := http.NewRequest(method, base+c.target, nil)
	if err != nil {
		t.Fatal(err)
	}
	accept := c.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	var body []byte
	if c.body != "" {
		body = []byte(c.body)
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	do := apitest.GS1(t).Do
	if c.invalid {
		do = apitest.GS1(t).DoInvalid
	}
	resp, got := do(t, client, req, body)
	if resp.StatusCode != c.status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, c.target, resp.StatusCode, c.status, got)
	}
	for _, want := range c.contains {
		if !strings.Contains(string(got), want) && !strings.Contains(fmt.Sprint(resp.Header), want) {
			t.Errorf("%s %s: answer lacks %s:\n%v\n%s", method, c.target, want, resp.Header, got)
		}
	}
	for _, not := range c.lacks {
		if strings.Contains(string(got), not) {
			t.Errorf("%s %s: answer has %s:\n%s", method, c.target, not, got)
		}
	}
	return resp, got
}

// TestEPCISConformance sends every query endpoint of the REST binding,
// and each of its errors, to a node over the fixture, and checks each
// request and answer against GS1's openapi.yaml and every document
// against the EPCIS 2.0 JSON schema (apitest.GS1).
func TestEPCISConformance(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Members: true}) // named queries and subscriptions are written there
	loc := withLocations(t, n)
	q := url.QueryEscape
	p := url.PathEscape
	calls := []call{
		{name: "discovery", method: "OPTIONS", target: "/", status: 204, contains: []string{"Gs1-Epcis-Version:[2.0.0]", "Gs1-Cbv-Version:[2.0.0]"}},
		{name: "top level", target: "/", status: 200, contains: []string{`"queries"`, `"events"`}},
		{name: "events options", method: "OPTIONS", target: "/events", status: 204, contains: []string{"Allow:[GET, OPTIONS]"}},
		{name: "all events", target: "/events", status: 200, contains: []string{`"eventList":[{`}},
		{name: "by type", target: "/events?eventType=TransformationEvent", status: 200, contains: []string{`"TransformationEvent"`}, lacks: []string{`"ObjectEvent"`}},
		{name: "by biz step", target: "/events?EQ_bizStep=shipping|receiving", status: 200, contains: []string{`"shipping"`, `"receiving"`}, lacks: []string{`"storing"`}},
		{name: "by disposition", target: "/events?EQ_disposition=recalled", status: 200, contains: []string{`"recalled"`}, lacks: []string{`"active"`}},
		{name: "by read point", target: "/events?EQ_readPoint=" + q(glnDock), status: 200, contains: []string{loc[0]}, lacks: []string{loc[1], loc[2]}},
		{name: "WD read point: the dock is in the warehouse", target: "/events?WD_readPoint=" + q(glnWarehouse), status: 200, contains: []string{loc[0], loc[1]}, lacks: []string{loc[2]}},
		{name: "by biz location", target: "/events?EQ_bizLocation=" + q(glnFarm), status: 200, contains: []string{loc[2]}, lacks: []string{loc[0]}},
		{name: "WD biz location of a leaf", target: "/events?WD_bizLocation=" + q(glnDock), status: 200, lacks: []string{loc[0], loc[1], loc[2]}},
		{name: "SGLN URN spelling", target: "/events?EQ_bizLocation=" + q("urn:epc:id:sgln:9506000.00001.0"), status: 200, contains: []string{loc[2]}},
		{name: "by event id", target: "/events?EQ_eventID=" + q(loc[1]), status: 200, contains: []string{loc[1]}, lacks: []string{loc[0]}},
		{name: "time window", target: "/events?GE_eventTime=2025-06-21T00:00:00Z&LT_eventTime=2025-06-22T00:00:00Z", status: 200, contains: []string{loc[0]}, lacks: []string{loc[1]}},
		{name: "record time", target: "/events?GE_recordTime=2025-06-22T00:00:00Z", status: 200, contains: []string{loc[1], loc[2]}, lacks: []string{loc[0]}},
		{name: "any EPC class", target: "/events?MATCH_anyEPCClass=" + q(apitest.LotJuice), status: 200, contains: []string{`"TransformationEvent"`}},
		{name: "latest", target: "/events?orderBy=eventTime&eventCountLimit=1", status: 200, contains: []string{loc[2]}, lacks: []string{loc[1]}},
		{name: "oldest by record time", target: "/events?orderBy=recordTime&orderDirection=ASC&eventCountLimit=1&EQ_bizLocation=" + q(glnWarehouse), status: 200, contains: []string{loc[0]}, lacks: []string{loc[1]}},
		{name: "max count", target: "/events?maxEventCount=1", status: 413, contains: []string{"QueryTooLargeException"}},
		{name: "unknown parameter", target: "/events?EQ_nothing=1", status: 400, contains: []string{"QueryParameterException", "EQ_nothing"}},
		{name: "bad time", invalid: true, target: "/events?GE_eventTime=yesterday", status: 400, contains: []string{"QueryParameterException"}},
		{name: "bad order", invalid: true, target: "/events?orderBy=eventTime&orderDirection=UP", status: 400, contains: []string{"orderDirection"}},
		{name: "forged token", target: "/events?nextPageToken=eyJhIjoiMjAyNSJ9.AAAA", status: 400, contains: []string{"nextPageToken"}},
		{name: "XML only", target: "/events", accept: "application/xml", status: 406, contains: []string{"NotAcceptableException"}},
		{name: "EPCIS 3 only", invalid: true, target: "/events", header: map[string]string{"GS1-EPCIS-Min": "3.0.0"}, status: 406},
		{name: "event", target: "/events/" + p(loc[0]), status: 200, contains: []string{loc[0]}},
		{name: "no event", target: "/events/" + p("urn:uuid:0"), status: 404, contains: []string{"NoSuchNameException"}},
		{name: "event types", target: "/eventTypes", status: 200, contains: []string{`"ObjectEvent"`, `"TransformationEvent"`}},
		{name: "event type", target: "/eventTypes/ObjectEvent", status: 200, contains: []string{`"events"`}},
		{name: "event type events", target: "/eventTypes/AggregationEvent/events", status: 200, contains: []string{`"AggregationEvent"`}, lacks: []string{`"type":"ObjectEvent"`}},
		{name: "no event type", target: "/eventTypes/Nothing/events", status: 404},
		{name: "biz steps", target: "/bizSteps", status: 200, contains: []string{`"shipping"`, `"storing"`}},
		{name: "biz step events", target: "/bizSteps/storing/events", status: 200, contains: []string{loc[1]}, lacks: []string{loc[0]}},
		{name: "biz step twice", target: "/bizSteps/storing/events?EQ_bizStep=shipping", status: 400},
		{name: "dispositions", target: "/dispositions", status: 200, contains: []string{`"recalled"`}},
		{name: "disposition events", target: "/dispositions/in_transit/events", status: 200, contains: []string{`"in_transit"`}},
		{name: "read points", target: "/readPoints", status: 200, contains: []string{glnDock}},
		{name: "read point events", target: "/readPoints/" + p(glnDock) + "/events", status: 200, contains: []string{loc[0]}, lacks: []string{loc[1]}},
		{name: "biz locations", target: "/bizLocations", status: 200, contains: []string{glnFarm, glnWarehouse}},
		{name: "biz location", target: "/bizLocations/" + p(glnFarm), status: 200},
		{name: "biz location events", target: "/bizLocations/" + p(glnFarm) + "/events", status: 200, contains: []string{loc[2]}},
		{name: "epcs", target: "/epcs?perPage=2", status: 200, contains: []string{`rel="next"`}},
		{name: "epc events", target: "/epcs/" + p("https://id.gs1.org/00/106141412345678908") + "/events", status: 200, contains: []string{`"packing"`}},
		{name: "no queries", target: "/queries", status: 200, contains: []string{`[]`}},
		{name: "create query on the public listener", method: "POST", target: "/queries", body: `{"name":"shipped","query":{"EQ_bizStep":["shipping"]}}`, status: 401, contains: []string{"SecurityException"}},
		{name: "create query", method: "POST", target: "/queries", body: `{"name":"shipped","query":{"EQ_bizStep":["shipping","receiving"],"eventType":["ObjectEvent"]}}`, status: 201, contains: []string{"/queries/shipped"}, member: true},
		{name: "create it again", method: "POST", target: "/queries", body: `{"name":"shipped","query":{"EQ_bizStep":["shipping"]}}`, status: 409, contains: []string{"ResourceAlreadyExistsException"}, member: true},
		{name: "bad query", method: "POST", target: "/queries", body: `{"name":"bad","query":{"EQ_nothing":["x"]}}`, status: 400, contains: []string{"QueryParameterException"}, member: true},
		{name: "bad name", method: "POST", target: "/queries", body: `{"name":"a/b","query":{}}`, status: 400, contains: []string{"ValidationException"}, member: true},
		{name: "queries", target: "/queries", status: 200, contains: []string{`"name":"shipped"`}},
		{name: "query", target: "/queries/shipped", status: 200, contains: []string{`"EQ_bizStep":["shipping","receiving"]`}},
		{name: "query events", target: "/queries/shipped/events", status: 200, contains: []string{`"shipping"`, loc[0]}, lacks: []string{loc[1]}},
		{name: "query events narrowed", target: "/queries/shipped/events?EQ_bizLocation=" + q(glnWarehouse), status: 200, contains: []string{loc[0]}, lacks: []string{`"shipping"`}},
		{name: "no such query", target: "/queries/nothing/events", status: 404, contains: []string{"NoSuchNameException"}},
		{name: "query options", method: "OPTIONS", target: "/queries/shipped", status: 204, contains: []string{"Allow:[GET, DELETE, OPTIONS]"}},
		{name: "no subscriptions", target: "/queries/shipped/subscriptions", status: 200, contains: []string{`[]`}, member: true},
		{name: "subscribe without stream or schedule", invalid: true, method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"https://client.example/cb","secret":"s"}`, status: 400, contains: []string{"ValidationException", "stream"}, member: true},
		{name: "subscribe to nowhere", method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"file:///etc/passwd","secret":"s","stream":true}`, status: 400, member: true},
		{name: "subscribe", method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"http://127.0.0.1:9/cb","secret":"s3cret","stream":true}`, status: 201, lacks: []string{"s3cret"}, member: true},
		{name: "subscribe on schedule", method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"http://127.0.0.1:9/cb","secret":"s3cret","schedule":{"hour":"1","minute":"5"},"reportIfEmpty":true}`, status: 201, member: true},
		{name: "bad schedule", method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"http://127.0.0.1:9/cb","secret":"s","schedule":{"hour":"25"}}`, status: 400, member: true},
		{name: "subscriptions", target: "/queries/shipped/subscriptions", status: 200, contains: []string{`"stream":true`, `"schedule":{"minute":"5","hour":"1"}`}, lacks: []string{"s3cret"}, member: true},
		{name: "no subscription", target: "/queries/shipped/subscriptions/nope", status: 404, member: true},
		{name: "subscribe on the public listener", method: "POST", target: "/queries/shipped/subscriptions", body: `{"dest":"http://127.0.0.1:9/cb","secret":"s3cret","stream":true}`, status: 401, contains: []string{"SecurityException"}},
		{name: "delete query on the public listener", method: "DELETE", target: "/queries/shipped", status: 401, contains: []string{"SecurityException"}},
		{name: "delete query", method: "DELETE", target: "/queries/shipped", status: 204, member: true},
		{name: "deleted query", target: "/queries/shipped", status: 404},
	}
	var subID string
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			resp, body := c.do(t, n)
			if c.name == "subscribe" {
				var v struct {
					ID string `json:"subscriptionID"`
				}
				_ = json.Unmarshal(body, &v)
				subID = v.ID
				if !strings.HasSuffix(resp.Header.Get("Location"), "/queries/shipped/subscriptions/"+v.ID) {
					t.Errorf("Location %q", resp.Header.Get("Location"))
				}
				call{target: "/queries/shipped/subscriptions/" + v.ID, status: 200, contains: []string{v.ID}, lacks: []string{"s3cret"}, member: true}.do(t, n)
			}
		})
	}
	if subID == "" {
		t.Fatal("no subscription made")
	}
	if subs, err := n.Subscriptions.List(""); err != nil || len(subs) != 0 {
		t.Errorf("subscriptions after their query was deleted: %v, %v", subs, err)
	}
}

// TestEPCISPaging pages /events and a named query's events through the
// Link header: every event once, in order, and a token of one query is
// refused for another.
func TestEPCISPaging(t *testing.T) {
	n := apitest.Start(t, nil)
	withLocations(t, n)
	all := eventIDs(t, call{target: "/events?perPage=1000", status: 200}, n)
	for _, dir := range []string{"", "&orderBy=eventTime&orderDirection=DESC", "&orderBy=recordTime&orderDirection=ASC"} {
		target := "/events?perPage=2" + dir
		var got []string
		var token string
		for pages := 0; target != ""; pages++ {
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			resp, body := call{target: target, status: 200}.do(t, n)
			got = append(got, idsOf(t, body)...)
			target = ""
			if l := resp.Header.Get("Link"); l != "" {
				u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(strings.Split(l, ";")[0], "<"), ">"))
				if err != nil {
					t.Fatal(err)
				}
				target, token = u.RequestURI(), u.Query().Get("nextPageToken")
			}
		}
		if len(got) != len(all) || (dir == "" && strings.Join(got, " ") != strings.Join(all, " ")) {
			t.Errorf("paged%s: %d events %v, want %d %v", dir, len(got), got, len(all), all)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Errorf("paged%s: %s twice", dir, id)
			}
			seen[id] = true
		}
		if token != "" {
			call{target: "/events?EQ_bizStep=shipping&nextPageToken=" + url.QueryEscape(token), status: 400}.do(t, n)
		}
	}
	_, body := call{target: "/events?perPage=2&orderBy=eventTime&eventCountLimit=3", status: 200}.do(t, n)
	if len(idsOf(t, body)) != 2 {
		t.Errorf("first page of a limit of 3: %s", body)
	}
}

func eventIDs(t *testing.T, c call, n *apitest.Node) []string {
	_, body := c.do(t, n)
	return idsOf(t, body)
}

func idsOf(t *testing.T, body []byte) []string {
	t.Helper()
	var doc struct {
		Body struct {
			Results struct {
				Body struct {
					Events []struct {
						ID string `json:"eventID"`
					} `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range doc.Body.Results.Body.Events {
		out = append(out, e.ID)
	}
	return out
}

// TestQueryWebSocket streams a named query's new events on a WebSocket:
// each event recorded after the socket opened that matches, in order, as
// query documents; the others not.
func TestQueryWebSocket(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Members: true})
	if cp := n.Index.Checkpoint(); cp.Position.Tx >= 0 {
		if _, err := n.Index.ApplyBlock(cp.Block, nil); err != nil {
			t.Fatal(err)
		}
	}
	call{method: "POST", target: "/queries", body: `{"name":"received","query":{"EQ_bizStep":["receiving"]}}`, status: 201, member: true}.do(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/queries/received/events?stream=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	time.Sleep(50 * time.Millisecond) // the stream has its cursor
	ids := withLocations(t, n)        // receiving, storing, commissioning
	_, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := apitest.GS1(t).CheckDocument(msg); err != nil {
		t.Error(err)
	}
	if got := idsOf(t, msg); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("streamed %v, want the receiving event %s", got, ids[0])
	}
	// Without stream=true: refused, before any upgrade.
	call{target: "/queries/received/events", header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, status: 400, invalid: true}.do(t, n)
}
