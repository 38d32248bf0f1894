package nodeclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/nodeapi"
)

// TestEPCISRestRoundTrip runs the client's side of the REST binding
// against the real node API (package apitest): raw query parameters and
// paging on the public listener; named queries and subscriptions written
// on the member surface (the capture listener, with the member client's
// certificate) and refused on the public one; the WebSocket stream on
// both, so that what the client sends and decodes is what a node takes
// and answers.
func TestEPCISRestRoundTrip(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Members: true})
	c, err := nodeclient.New(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nodeclient.New(n.Members.URL, nodeclient.WithHTTPClient(n.Org.HTTPClient(t, apitest.MemberClient)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Raw parameters, a page at a time.
	all, err := c.QueryEvents(ctx, "", nil)
	if err != nil || len(all.Events) < 2 {
		t.Fatalf("every event: %+v, %v", all, err)
	}
	v := url.Values{nodeapi.ParamPerPage: {"1"}}
	pages := 0
	for {
		p, err := c.QueryEvents(ctx, "", v)
		if err != nil || len(p.Events) != 1 {
			t.Fatalf("page %d: %+v, %v", pages, p, err)
		}
		pages++
		if p.NextPageToken == "" {
			break
		}
		v.Set(nodeapi.ParamPageToken, p.NextPageToken)
	}
	if pages != len(all.Events) {
		t.Errorf("%d pages of one, %d events", pages, len(all.Events))
	}
	if _, err := c.QueryEvents(ctx, "", url.Values{"EQ_bogus": {"x"}}); err == nil {
		t.Error("an unknown parameter was answered")
	} else if !isStatus(err, 400) {
		t.Errorf("unknown parameter: %T %v, want a 400 problem", err, err)
	}

	// Named queries: created from the standard's parameters by a member
	// client, listed and run by anyone.
	def := url.Values{nodeapi.ParamEventType: {"ObjectEvent"}, nodeapi.ParamBizStep: {"inspecting|shipping"},
		nodeapi.ParamEventCountLimit: {"50"}, nodeapi.ParamOrderBy: {"eventTime"}}
	if err := c.CreateQuery(ctx, "observed", def); !isStatus(err, 401) {
		t.Errorf("created on the public listener: %v", err)
	}
	if err := m.CreateQuery(ctx, "observed", def); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateQuery(ctx, "observed", url.Values{nodeapi.ParamEventType: {"ObjectEvent"}}); !isStatus(err, 409) {
		t.Errorf("created twice: %v", err)
	}
	qs, err := c.NamedQueries(ctx)
	if err != nil || len(qs) != 1 || qs[0].Name != "observed" {
		t.Fatalf("named queries: %+v, %v", qs, err)
	}
	if q, err := nodeapi.ParseQueryJSON(qs[0].Query); err != nil || len(q.BizStep) != 2 || q.EventCountLimit != 50 {
		t.Errorf("stored definition %s: %+v, %v", qs[0].Query, q, err)
	}
	if _, err := c.QueryEvents(ctx, "observed", url.Values{nodeapi.ParamPerPage: {"5"}}); err != nil {
		t.Fatal(err)
	}

	// Subscriptions.
	stream := true
	if _, err := c.Subscribe(ctx, "observed", nodeclient.SubscriptionRequest{Dest: "http://127.0.0.1:1/hook", Stream: &stream}); !isStatus(err, 401) {
		t.Errorf("subscribed on the public listener: %v", err)
	}
	sub, err := m.Subscribe(ctx, "observed", nodeclient.SubscriptionRequest{Dest: "http://127.0.0.1:1/hook", SignatureToken: "s3cret", Stream: &stream})
	if err != nil || sub.ID == "" || sub.Stream == nil || !*sub.Stream {
		t.Fatalf("subscribe: %+v, %v", sub, err)
	}
	sched, err := m.Subscribe(ctx, "observed", nodeclient.SubscriptionRequest{Dest: "http://127.0.0.1:1/daily", SignatureToken: "s3cret",
		Schedule: &nodeclient.Schedule{Minute: "0", Hour: "6", DayOfWeek: "[1-5]"}, ReportIfEmpty: true})
	if err != nil || sched.Schedule == nil || sched.Schedule.DayOfWeek != "[1-5]" {
		t.Fatalf("scheduled subscription: %+v, %v", sched, err)
	}
	subs, err := m.Subscriptions(ctx, "observed")
	if err != nil || len(subs) != 2 {
		t.Fatalf("subscriptions: %+v, %v", subs, err)
	}
	for _, s := range subs {
		if err := m.Unsubscribe(ctx, "observed", s.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Unsubscribe(ctx, "observed", sub.ID); !isStatus(err, 404) {
		t.Errorf("unsubscribed twice: %v", err)
	}

	// The stream: a new event of the query arrives on it, on the public
	// listener (ws) and on the member surface (wss, the client's
	// certificate).
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, cl := range []*nodeclient.Client{c, m} {
		st, err := cl.Follow(ctx, "observed")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan *nodeclient.EventPage, 1)
		go func() {
			p, err := st.Next(ctx)
			if err != nil {
				t.Error(err)
			}
			got <- p
		}()
		// The stream starts when the node has opened it: record until an
		// event comes.
		for deadline := time.Now().Add(10 * time.Second); ; at = at.Add(time.Minute) {
			n.Observe(t, apitest.LotApples, at)
			var p *nodeclient.EventPage
			select {
			case p = <-got:
			case <-time.After(200 * time.Millisecond):
			}
			if p != nil {
				var ev struct{ Type string }
				if len(p.Events) == 0 || json.Unmarshal(p.Events[0], &ev) != nil || ev.Type != "ObjectEvent" {
					t.Fatalf("streamed %+v", p)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no event on the stream")
			}
		}
		st.Close()
	}
	if err := m.DeleteQuery(ctx, "observed"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Follow(ctx, "observed"); !isStatus(err, 404) {
		t.Errorf("stream of a deleted query: %v", err)
	}
}

func isStatus(err error, status int) bool {
	var p *nodeapi.Problem
	return errors.As(err, &p) && p.Status == status
}
