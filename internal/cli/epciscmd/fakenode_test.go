package epciscmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/trustline/trustline/nodeapi"
)

// fakeNode is a node's EPCIS 2.0 REST interface as the commands see it,
// on an httptest server: it serves events a page at a time (perPage,
// nextPageToken in a Link header as a node sends it), keeps named queries
// and subscriptions, streams a named query's events on a WebSocket, and
// answers what it cannot serve with problem+json. It records each request
// so that a test checks which standard parameters a flag sent.
type fakeNode struct {
	*httptest.Server
	events []json.RawMessage

	mu       sync.Mutex
	requests []*http.Request // with their query parameters
	lastSub  nodeapi.SubscriptionRequest
	queries  []nodeapi.NamedQuery
	subs     map[string][]nodeapi.Subscription
	// stream is sent on a named query's WebSocket, a message each.
	stream [][]json.RawMessage
}

// event is an ObjectEvent of the fixture at offset hours after a base time,
// in the time zone zone.
func event(i int, zone string) json.RawMessage {
	at := time.Date(2025, 6, 1, 6, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	return json.RawMessage(fmt.Sprintf(`{"type":"ObjectEvent","eventID":"ni:///sha-256;%064d?ver=CBV2.1","eventTime":%q,"eventTimeZoneOffset":%q,`+
		`"action":"OBSERVE","bizStep":"https://ref.gs1.org/cbv/BizStep-shipping","bizLocation":{"id":"urn:epc:id:sgln:4012345.00001.0"},`+
		`"quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/L%d","quantity":12.5,"uom":"KGM"}]}`,
		i, at.Format(time.RFC3339), zone, i))
}

func startFakeNode(t *testing.T, nEvents int) *fakeNode {
	n := &fakeNode{subs: map[string][]nodeapi.Subscription{}}
	for i := range nEvents {
		zone := "+02:00"
		if i%2 == 1 {
			zone = "-05:00"
		}
		n.events = append(n.events, event(i, zone))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", n.serveEvents)
	mux.HandleFunc("GET /queries/{name}/events", func(w http.ResponseWriter, r *http.Request) {
		if n.query(r.PathValue("name")) == nil {
			problem(w, http.StatusNotFound, "epcisException:NoSuchNameException", "Not found", fmt.Sprintf("no query named %q", r.PathValue("name")))
			return
		}
		if r.Header.Get("Upgrade") != "" {
			n.serveStream(w, r)
			return
		}
		n.serveEvents(w, r)
	})
	mux.HandleFunc("POST /queries", func(w http.ResponseWriter, r *http.Request) {
		var q nodeapi.NamedQuery
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			problem(w, http.StatusBadRequest, "epcisException:ValidationException", "Invalid query definition", err.Error())
			return
		}
		if n.query(q.Name) != nil {
			problem(w, http.StatusConflict, "epcisException:ResourceAlreadyExistsException", "Query exists", fmt.Sprintf("a query named %q exists; delete it first", q.Name))
			return
		}
		n.mu.Lock()
		n.queries = append(n.queries, q)
		n.mu.Unlock()
		w.Header().Set("Location", "/queries/"+q.Name)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /queries", func(w http.ResponseWriter, r *http.Request) {
		// One query a page, as a node with perPage=1 would.
		n.mu.Lock()
		defer n.mu.Unlock()
		i, _ := strconv.Atoi(r.URL.Query().Get("nextPageToken"))
		page := []nodeapi.NamedQuery{}
		if i < len(n.queries) {
			page = append(page, n.queries[i])
		}
		if i+1 < len(n.queries) {
			w.Header().Set("Link", fmt.Sprintf("<%s/queries?nextPageToken=%d>; rel=\"next\"", n.URL, i+1))
		}
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("DELETE /queries/{name}", func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		for i, q := range n.queries {
			if q.Name == r.PathValue("name") {
				n.queries = append(n.queries[:i], n.queries[i+1:]...)
				delete(n.subs, q.Name)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		problem(w, http.StatusNotFound, "epcisException:NoSuchNameException", "Not found", fmt.Sprintf("no query named %q", r.PathValue("name")))
	})
	mux.HandleFunc("POST /queries/{name}/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if n.query(name) == nil {
			problem(w, http.StatusNotFound, "epcisException:NoSuchNameException", "Not found", fmt.Sprintf("no query named %q", name))
			return
		}
		if r.TLS == nil && r.Header.Get("X-Member") == "" && name == "members-only" {
			problem(w, http.StatusUnauthorized, nodeapi.ProblemTypePrefix+"member-only", "Members only", "subscriptions are served on the node's capture listener")
			return
		}
		var req nodeapi.SubscriptionRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			problem(w, http.StatusBadRequest, "epcisException:ValidationException", "Invalid subscription", err.Error())
			return
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		n.lastSub = req
		sub := nodeapi.Subscription{ID: fmt.Sprintf("sub%d", len(n.subs[name])+1), QueryName: name, Dest: req.Dest, Stream: req.Stream,
			Schedule: req.Schedule, CreatedAt: "2025-06-01T06:00:00Z"}
		if req.Schedule != nil {
			sub.ReportIfEmpty = &req.ReportIfEmpty
		}
		n.subs[name] = append(n.subs[name], sub)
		w.Header().Set("Location", n.URL+"/queries/"+name+"/subscriptions/"+sub.ID)
		writeJSON(w, http.StatusCreated, sub)
	})
	mux.HandleFunc("GET /queries/{name}/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		subs := n.subs[r.PathValue("name")]
		if subs == nil {
			subs = []nodeapi.Subscription{}
		}
		writeJSON(w, http.StatusOK, subs)
	})
	mux.HandleFunc("DELETE /queries/{name}/subscriptions/{id}", func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		subs := n.subs[r.PathValue("name")]
		for i, s := range subs {
			if s.ID == r.PathValue("id") {
				n.subs[r.PathValue("name")] = append(subs[:i], subs[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		problem(w, http.StatusNotFound, "epcisException:NoSuchNameException", "Not found",
			fmt.Sprintf("query %q has no subscription %q", r.PathValue("name"), r.PathValue("id")))
	})
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.requests = append(n.requests, r.Clone(context.Background()))
		n.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(n.Close)
	return n
}

func (n *fakeNode) query(name string) *nodeapi.NamedQuery {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range n.queries {
		if n.queries[i].Name == name {
			return &n.queries[i]
		}
	}
	return nil
}

// serveEvents answers a query with every event of the fixture (the fake
// does not filter), perPage at a time; an unknown bizStep "bogus" is the
// node's QueryParameterException.
func (n *fakeNode) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("EQ_bizStep") == "bogus" {
		problem(w, http.StatusBadRequest, "epcisException:QueryParameterException", "Invalid query",
			"query parameter EQ_bizStep: \"bogus\" is not a CBV business step\n(second line)")
		return
	}
	per := 30
	if v := q.Get("perPage"); v != "" {
		per, _ = strconv.Atoi(v)
	}
	from, _ := strconv.Atoi(q.Get("nextPageToken"))
	to := min(from+per, len(n.events))
	if to < len(n.events) {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("nextPageToken", strconv.Itoa(to))
		w.Header().Set("Link", fmt.Sprintf("<%s%s?%s>; rel=\"next\"", n.URL, r.URL.Path, next.Encode()))
	}
	writeJSON(w, http.StatusOK, queryDocument(n.events[from:to]))
}

func queryDocument(events []json.RawMessage) map[string]any {
	return map[string]any{
		"@context": []string{"https://ref.gs1.org/standards/epcis/epcis-context.jsonld"},
		"type":     "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2025-06-02T00:00:00Z",
		"epcisBody": map[string]any{"queryResults": map[string]any{"queryName": "SimpleEventQuery",
			"resultsBody": map[string]any{"eventList": events}}},
	}
}

// serveStream sends the stream's messages, then waits for the client to
// close the socket.
func (n *fakeNode) serveStream(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("stream") != "true" {
		problem(w, http.StatusBadRequest, "epcisException:SubscriptionControlsException", "Invalid subscription", "stream=true is required")
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())
	for _, batch := range n.stream {
		b, _ := json.Marshal(queryDocument(batch))
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			return
		}
	}
	<-ctx.Done()
}

// requested is the query parameters of the requests to path.
func (n *fakeNode) requested(method, path string) []url.Values {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []url.Values
	for _, r := range n.requests {
		if r.Method == method && r.URL.Path == path {
			out = append(out, r.URL.Query())
		}
	}
	return out
}

func problem(w http.ResponseWriter, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(nodeapi.Problem{Type: typ, Title: title, Status: status, Detail: detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
