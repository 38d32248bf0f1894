package recallnotice_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/recallnotice"
	"github.com/trustline/trustline/node/subscription"
)

const lotB = "https://id.gs1.org/01/04260123450021/10/YG-F1-B"

// demoBeforeRecall is the demo story applied up to its last step, the
// recall of yogurt lot B, which it returns.
func demoBeforeRecall(t *testing.T) (*index.Index, indextest.Step) {
	steps := indextest.DemoSteps(t)
	idx := indextest.Empty(t)
	last := len(steps) - 1
	if steps[last].Event.Function != "Product:Recall" {
		t.Fatalf("the fixture's last step is %s", steps[last].Event.Function)
	}
	indextest.ApplyBlocks(t, idx, steps[:last]...)
	return idx, steps[last]
}

// checkNotice checks the notice of the demo story's recall of lot B: its
// scope (lot B at the store, its shipment), the members it concerns and
// where the index recorded it.
func checkNotice(t *testing.T, nt recallnotice.Notice, recall indextest.Step) {
	t.Helper()
	if nt.Type != "recall" || nt.Recall.Lot != lotB || nt.Recall.Class != "III" || nt.Scope == nil || nt.Scope.Lot != lotB ||
		len(nt.Scope.Lots) != 1 || nt.Scope.Lots[0].Custodian != "BrandMSP" || len(nt.Scope.Shipments) != 1 ||
		!slices.Equal(nt.Members, []string{"BrandMSP", "SupplierMSP"}) || nt.Position.Block != recall.Block {
		t.Errorf("notice %+v", nt)
	}
}

// TestNotice: when the index records the demo story's recall of yogurt
// lot B, Stream (the node's /recall/notices) sends its notice, with the
// scope and the members it concerns.
func TestNotice(t *testing.T) {
	idx, recall := demoBeforeRecall(t)
	from, err := idx.FeedEnd()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ch := make(chan recallnotice.Notice, 1)
	done := make(chan error, 1)
	go func() {
		done <- recallnotice.Stream(ctx, idx, from, nil, func(n recallnotice.Notice) error { ch <- n; return nil })
	}()
	indextest.ApplyBlocks(t, idx, recall)
	select {
	case nt := <-ch:
		checkNotice(t, nt, recall)
	case <-time.After(10 * time.Second):
		t.Fatal("no notice within 10s")
	}
	stop()
	if err := <-done; err != context.Canceled {
		t.Errorf("Stream ended with %v, want context.Canceled", err)
	}
}

// delivery is an EPCISQueryDocument as a subscriber reads it, with the
// notices.
type delivery struct {
	EPCISBody struct {
		QueryResults struct {
			SubscriptionID string `json:"subscriptionID"`
			ResultsBody    struct {
				EventList []struct {
					EventID      string `json:"eventID"`
					Disposition  string `json:"disposition"`
					QuantityList []struct {
						EPCClass string `json:"epcClass"`
					} `json:"quantityList"`
				} `json:"eventList"`
			} `json:"resultsBody"`
			Notices []recallnotice.Notice `json:"tl:recallNotices"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
}

// TestSubscriptionDeliversRecall: the EPCIS subscriptions deliver a
// recall, with its notice, to a webhook subscriber of the recalls query
// (recallnotice.Params, EQ_disposition=recalled) and to one of the
// recalled lot's events (MATCH_anyEPCClass): signed, retried after the
// subscriber's 503, exactly one document each carrying the recall event
// and its notice; a subscription to another lot gets nothing.
func TestSubscriptionDeliversRecall(t *testing.T) {
	idx, recall := demoBeforeRecall(t)
	var mu sync.Mutex
	got := map[string][]delivery{}
	failed := map[string]bool{}
	const secret = "s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		name := r.URL.Query().Get("sub")
		mu.Lock()
		defer mu.Unlock()
		if !failed[name] { // each subscriber is down for the first try
			failed[name] = true
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("GS1-Signature") != subscription.Sign(secret, body) {
			t.Errorf("%s: bad signature", name)
		}
		var d delivery
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("%s: %v: %s", name, err, body)
		}
		got[name] = append(got[name], d)
	}))
	defer srv.Close()
	m, err := subscription.New(idx, &subscription.Options{Document: recallnotice.Document(idx, nil), MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for name, params := range map[string]url.Values{
		"recalls": recallnotice.Params(),
		"lotB":    {"MATCH_anyEPCClass": {lotB}},
		"milk":    {"MATCH_anyEPCClass": {"https://id.gs1.org/01/04260123450014/10/RM-F1"}},
	} {
		if _, err := m.Subscribe(subscription.Subscription{QueryName: name, Params: params, Dest: srv.URL + "?sub=" + name, Secret: secret, Stream: true}); err != nil {
			t.Fatal(err)
		}
	}
	indextest.ApplyBlocks(t, idx, recall)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got["recalls"]) + len(got["lotB"])
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries after 10s: %+v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a wrong extra delivery
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"recalls", "lotB"} {
		ds := got[name]
		if len(ds) != 1 {
			t.Errorf("%s: %d deliveries, want 1", name, len(ds))
			continue
		}
		qr := ds[0].EPCISBody.QueryResults
		evs := qr.ResultsBody.EventList
		if len(evs) != 1 || evs[0].Disposition != "recalled" || len(evs[0].QuantityList) != 1 || evs[0].QuantityList[0].EPCClass != lotB ||
			qr.SubscriptionID == "" || len(qr.Notices) != 1 {
			t.Errorf("%s: delivery %+v", name, qr)
			continue
		}
		checkNotice(t, qr.Notices[0], recall)
		if qr.Notices[0].Recall.EventID != evs[0].EventID {
			t.Errorf("%s: notice of event %s beside event %s", name, qr.Notices[0].Recall.EventID, evs[0].EventID)
		}
	}
	if len(got["milk"]) != 0 {
		t.Errorf("a subscription to another lot got %+v", got["milk"])
	}
}

// TestDocumentWithoutRecall: a delivery without a recall event is the
// plain EPCISQueryDocument.
func TestDocumentWithoutRecall(t *testing.T) {
	idx := indextest.Demo(t)
	page, err := idx.Events(index.Query{})
	if err != nil || len(page.Events) == 0 {
		t.Fatal(page, err)
	}
	var events []json.RawMessage
	for _, e := range page.Events {
		var d struct {
			Disposition string `json:"disposition"`
		}
		if json.Unmarshal(e, &d) == nil && d.Disposition != "recalled" {
			events = append(events, e)
		}
	}
	b, err := recallnotice.Document(idx, nil)(events, "sub-1")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	qr := doc["epcisBody"].(map[string]any)["queryResults"].(map[string]any)
	if _, ok := qr[recallnotice.NoticesMember]; ok || qr["subscriptionID"] != "sub-1" {
		t.Errorf("document %s", b)
	}
}
