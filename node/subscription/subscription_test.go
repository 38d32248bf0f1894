package subscription_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/subscription"
)

// subscriber is a webhook receiver that checks each delivery's signature
// and keeps the event ids in the order received; while down it answers
// 503 and keeps nothing.
type subscriber struct {
	*httptest.Server
	secret string
	down   atomic.Bool

	mu       sync.Mutex
	ids      []string
	badSigs  int
	attempts int
}

func newSubscriber(t *testing.T, secret string) *subscriber {
	s := &subscriber{secret: secret}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.attempts++
		if s.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("GS1-Signature") != subscription.Sign(s.secret, body) {
			s.badSigs++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var doc struct {
			Type string `json:"type"`
			Body struct {
				Results struct {
					SubscriptionID string `json:"subscriptionID"`
					Body           struct {
						Events []struct {
							ID string `json:"eventID"`
						} `json:"eventList"`
					} `json:"resultsBody"`
				} `json:"queryResults"`
			} `json:"epcisBody"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.Type != "EPCISQueryDocument" || doc.Body.Results.SubscriptionID == "" {
			t.Errorf("delivery is not a query document of a subscription: %s", body)
		}
		for _, e := range doc.Body.Results.Body.Events {
			s.ids = append(s.ids, e.ID)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ids)
}

// ledgerFeed applies blocks of events to an index as the follower would.
type ledgerFeed struct {
	block uint64
	n     int
	// want are the ids of the matching (shipping) events, in ledger order.
	want []string
}

// applyBlocks applies blocks of three events each: two shipping (the
// subscription's query) and one receiving, in one transaction each.
func (f *ledgerFeed) applyBlocks(t *testing.T, x *index.Index, blocks int) {
	t.Helper()
	for range blocks {
		var txs []index.Tx
		var ids []string
		for i, step := range []string{"shipping", "receiving", "shipping"} {
			f.n++
			id := fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", f.n)
			at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.n) * time.Minute)
			ev, _ := json.Marshal(map[string]any{
				"@context": []any{epcis.EPCISContext}, "type": "ObjectEvent", "eventID": id,
				"eventTime": at.Format("2006-01-02T15:04:05.000Z"), "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
				"bizStep": step, "epcList": []string{"https://id.gs1.org/00/106141412345678908"},
			})
			pos := index.Position{Block: f.block, Tx: i, TxID: fmt.Sprintf("tx%d", f.n)}
			txs = append(txs, index.Tx{Pos: pos, Event: &ledger.Event{Function: "Custody:Observe", MSPID: "SupplierMSP", TxID: pos.TxID,
				Timestamp: at.Format(ledger.TimeLayout), EPCIS: []json.RawMessage{ev}}})
			if step == "shipping" {
				ids = append(ids, id)
			}
		}
		if _, err := x.ApplyBlock(f.block, txs); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids) // ledger order within a block is by event id
		f.want = append(f.want, ids...)
		f.block++
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscriptionDelivery: a webhook subscriber receives every matching
// event exactly once and in ledger order, signed, while the node is
// stopped and restarted (its index closed and reopened from disk, the
// follower catching up before and after) and while the subscriber is down
// for a while. A real Pebble index on disk and real HTTP.
func TestSubscriptionDelivery(t *testing.T) {
	dir := t.TempDir()
	sub := newSubscriber(t, "13df38d8275b13f05704629e5f1cf3d45d6132d5")
	opts := &subscription.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxBatch: 7}
	x, err := index.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f ledgerFeed
	f.applyBlocks(t, x, 3) // before the subscription: not delivered
	before := len(f.want)
	m, err := subscription.New(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Subscribe(subscription.Subscription{QueryName: "shipped", Params: url.Values{"EQ_bizStep": {"shipping"}},
		Dest: sub.URL, Secret: sub.secret, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	f.applyBlocks(t, x, 10)
	waitFor(t, "the first deliveries", func() bool { return len(sub.received()) == len(f.want)-before })

	// The subscriber goes down; the node records more, then stops.
	sub.down.Store(true)
	f.applyBlocks(t, x, 10)
	waitFor(t, "failed attempts", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.attempts > 20 })
	m.Close()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	// The node starts again: its follower catches up before the
	// subscriptions run, and goes on after.
	if x, err = index.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	f.applyBlocks(t, x, 5)
	if m, err = subscription.New(x, opts); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f.applyBlocks(t, x, 5)
	time.Sleep(100 * time.Millisecond) // still down a while
	sub.down.Store(false)
	f.applyBlocks(t, x, 5)
	want := f.want[before:]
	waitFor(t, "every event", func() bool { return len(sub.received()) >= len(want) })
	time.Sleep(50 * time.Millisecond) // nothing more may come
	if got := sub.received(); !slices.Equal(got, want) {
		t.Errorf("received %d events, want %d in ledger order:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	if sub.badSigs != 0 {
		t.Errorf("%d deliveries with a bad signature", sub.badSigs)
	}
	stored, err := m.Get(s.ID)
	if err != nil || stored.LastNotifiedAt == nil || stored.Cursor != (index.FeedCursor{Block: f.block}) {
		t.Errorf("stored subscription %+v, %v; want its cursor at block %d", stored, err, f.block)
	}
	if subs, err := m.List("shipped"); err != nil || len(subs) != 1 {
		t.Errorf("List = %v, %v", subs, err)
	}
	if err := m.Unsubscribe(s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(s.ID); err == nil {
		t.Error("an unsubscribed subscription is still stored")
	}
}

// TestScheduledReportIfEmpty: a scheduled subscription with reportIfEmpty
// reports on its schedule even with nothing new.
func TestScheduledReportIfEmpty(t *testing.T) {
	x, err := index.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sub := newSubscriber(t, "")
	m, err := subscription.New(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var f ledgerFeed
	f.applyBlocks(t, x, 1)
	_, err = m.Subscribe(subscription.Subscription{Params: url.Values{"EQ_bizStep": {"shipping"}}, Dest: sub.URL,
		Schedule: &subscription.Schedule{Second: "[0-59]"}, ReportIfEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an empty report", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.attempts > 0 })
	if got := sub.received(); len(got) != 0 {
		t.Errorf("events recorded before the subscription were sent: %v", got)
	}
}

func TestSubscribeRefuses(t *testing.T) {
	x, err := index.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	m, err := subscription.New(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, s := range []subscription.Subscription{
		{Dest: "http://x.example/", Params: url.Values{"EQ_nothing": {"1"}}, Stream: true},
		{Dest: "ftp://x.example/", Stream: true},
		{Dest: "http://x.example/"},
		{Dest: "http://x.example/", Stream: true, Schedule: &subscription.Schedule{Hour: "1"}},
		{Dest: "http://x.example/", Schedule: &subscription.Schedule{Hour: "24"}},
		{Dest: "http://x.example/", Schedule: &subscription.Schedule{DayOfWeek: "[5-2]"}},
	} {
		if _, err := m.Subscribe(s); err == nil {
			t.Errorf("Subscribe(%+v) accepted", s)
		}
	}
}
