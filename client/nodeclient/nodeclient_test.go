package nodeclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trustline/trustline/client/nodeclient"
)

// fakeNode answers like node/api for one lot.
func fakeNode(t testing.TB) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/01/09506000134352/10/L1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		fmt.Fprint(w, `{"id":"https://id.gs1.org/01/09506000134352/10/L1","lot":{"id":"https://id.gs1.org/01/09506000134352/10/L1","status":"recalled","custodian":"SupplierMSP"},"events":[{"type":"ObjectEvent"}],"upstream":{},"downstream":{},"recall":{"reason":"Salmonella","class":"I"}}`)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("nextPageToken") == "" {
			w.Header().Set("Link", `<http://node/events?MATCH_epcClass=x&nextPageToken=p2>; rel="next"`)
		}
		if got := r.URL.Query().Get("MATCH_epcClass"); got != "https://id.gs1.org/01/09506000134352/10/L1" {
			http.Error(w, `{"title":"Invalid query","status":400,"detail":"bad"}`, http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"type":"EPCISQueryDocument","epcisBody":{"queryResults":{"resultsBody":{"eventList":[{"type":"ObjectEvent"},{"type":"TransformationEvent"}]}}}}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"urn:trustline:problem:not-found","title":"Not found","status":404,"detail":"lot not found"}`)
	})
	return httptest.NewServer(mux)
}

func TestTraceAndEvents(t *testing.T) {
	srv := fakeNode(t)
	defer srv.Close()
	c, err := nodeclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tr, err := c.Trace(ctx, "https://example.com/01/09506000134352/10/L1?17=261231")
	if err != nil || tr.Lot.Status != "recalled" || tr.Recall == nil || len(tr.Events) != 1 {
		t.Fatalf("trace %+v, %v", tr, err)
	}
	if _, err := c.Trace(ctx, "https://id.gs1.org/01/09506000134352/10/NOPE"); !nodeclient.IsNotFound(err) {
		t.Fatalf("missing lot: %v", err)
	}
	if _, err := c.Trace(ctx, "https://id.gs1.org/01/09506000134352"); err == nil {
		t.Fatal("product link traced")
	}
	page, err := c.Events(ctx, nodeclient.Query{MatchEPCClass: []string{"https://id.gs1.org/01/09506000134352/10/L1"}})
	if err != nil || len(page.Events) != 2 || page.NextPageToken != "p2" {
		t.Fatalf("page %+v, %v", page, err)
	}
	var p *nodeclient.Problem
	if _, err := c.Events(ctx, nodeclient.Query{}); !errors.As(err, &p) || p.Status != 400 || p.Detail != "bad" {
		t.Fatalf("bad query: %v", err)
	}
	srv.Close()
	var u *nodeclient.UnavailableError
	if _, err := c.Events(ctx, nodeclient.Query{}); !errors.As(err, &u) {
		t.Fatalf("closed node: %v", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "node:8080", "ftp://x", "http://"} {
		if _, err := nodeclient.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func ExampleClient_Trace() {
	srv := fakeNode(nil)
	defer srv.Close()
	c, err := nodeclient.New(srv.URL)
	if err != nil {
		panic(err)
	}
	tr, err := c.Trace(context.Background(), "https://id.gs1.org/01/09506000134352/10/L1")
	if err != nil {
		panic(err)
	}
	fmt.Println(tr.Lot.Status, tr.Recall.Reason)
	// Output: recalled Salmonella
}
