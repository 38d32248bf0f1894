// Package subscription delivers the EPCIS events a node's index newly
// records to subscribers: the webhooks of EPCIS 2.0 query subscriptions
// (the REST binding's POST /queries/{name}/subscriptions) and WebSocket
// streams, and any notice that is an EPCIS event matching a query (recall
// notices are events with the recalled disposition).
//
// # Delivery
//
// A subscription is a query (nodeapi.Query as URL parameters) and a
// destination. Its cursor is a position in the ledger's order of events
// (index.Feed: block, then event id within the block), kept with the
// subscription in the node's own store (index.LocalPut). A worker reads
// the matching events after the cursor from the index, sends them as one
// EPCISQueryDocument (at most MaxBatch events), and advances the cursor
// only after the destination answered 2xx; any other answer, or none, is
// retried with exponential backoff, the same events in the same order. So
// a subscriber receives every matching event, in ledger order, across
// node restarts and its own downtime. A node killed between the
// subscriber's 2xx and the cursor's write sends that batch again on
// restart (at least once): subscribers dedupe by eventID. A clean Close
// waits for the delivery in flight.
//
// Workers wake on the index's change notification (index.Watch), never by
// polling; scheduled subscriptions wake on their schedule instead.
//
// Each POST carries GS1-Signature: the lowercase hex HMAC-SHA256 of the
// body under the subscription's signatureToken (none without one).
package subscription

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/nodeapi"
)

// Namespace is the node-local namespace of subscriptions.
const Namespace = "subscription"

// Subscription is a standing query and where its results go.
type Subscription struct {
	ID string `json:"subscriptionID"`
	// QueryName is the named query it follows ("" for one made in Go).
	QueryName string `json:"queryName,omitempty"`
	// Params are the query's URL parameters (nodeapi.ParseQuery).
	Params url.Values `json:"params"`
	Dest   string     `json:"dest"`
	// Secret is the signatureToken; it is never served back.
	Secret        string    `json:"secret,omitempty"`
	Stream        bool      `json:"stream,omitempty"`
	Schedule      *Schedule `json:"schedule,omitempty"`
	ReportIfEmpty bool      `json:"reportIfEmpty,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	// LastNotifiedAt is when dest last answered 2xx.
	LastNotifiedAt *time.Time `json:"lastNotifiedAt,omitempty"`
	// Cursor is the position after the last event delivered.
	Cursor index.FeedCursor `json:"cursor"`
}

// Options configure a Manager. The zero value is the default.
type Options struct {
	// Client sends the webhooks; nil is a client with a 30 s timeout.
	Client *http.Client
	// MaxBatch is the most events in one delivery; 0 is 100.
	MaxBatch int
	// MinBackoff and MaxBackoff bound the wait between failed deliveries;
	// 0 is 500 ms and 1 min.
	MinBackoff, MaxBackoff time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Document renders a delivery; nil is an EPCISQueryDocument of the
	// events with the subscription's id.
	Document func(events []json.RawMessage, subscriptionID string) ([]byte, error)
}

// Manager runs the subscriptions of one index.
type Manager struct {
	idx  *index.Index
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	workers map[string]*worker
	closed  bool
	stop    func() // index.Watch

	wg sync.WaitGroup
}

// ErrNotFound is returned (wrapped) for an unknown subscription.
var ErrNotFound = errors.New("subscription: not found")

// New starts the subscriptions stored in idx; Close stops them.
func New(idx *index.Index, opts *Options) (*Manager, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 100
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Document == nil {
		o.Document = defaultDocument
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{idx: idx, opts: o, log: log, workers: map[string]*worker{}}
	var subs []Subscription
	err := idx.LocalScan(Namespace, "", func(_ string, v []byte) bool {
		var s Subscription
		if json.Unmarshal(v, &s) == nil {
			subs = append(subs, s)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stop = idx.Watch(func(index.Change) { m.wakeAll() })
	for _, s := range subs {
		m.start(s)
	}
	return m, nil
}

// Close stops every worker, after the deliveries in flight.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.stop()
	for _, w := range m.workers {
		w.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

func (m *Manager) wakeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		w.wake()
	}
}

// Subscribe validates s, gives it an id and its cursor (the index's
// current end: events recorded from now on), stores it and starts it.
func (m *Manager) Subscribe(s Subscription) (Subscription, error) {
	if _, err := nodeapi.ParseQuery(s.Params); err != nil {
		return s, err
	}
	u, err := url.Parse(s.Dest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, &InvalidError{Field: "dest", Reason: fmt.Sprintf("%q is not an http(s) URL", s.Dest)}
	}
	if s.Stream == (s.Schedule != nil) {
		return s, &InvalidError{Field: "stream", Reason: "a subscription has either stream true or a schedule"}
	}
	if s.Schedule != nil {
		if _, err := s.Schedule.next(time.Now()); err != nil {
			return s, &InvalidError{Field: "schedule", Reason: err.Error()}
		}
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return s, err
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // a version 4 UUID
	h := hex.EncodeToString(id[:])
	s.ID = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	s.CreatedAt = time.Now().UTC()
	if s.Cursor, err = m.idx.FeedEnd(); err != nil {
		return s, err
	}
	if err := m.save(s); err != nil {
		return s, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return s, errors.New("subscription: manager closed")
	}
	m.start(s)
	return s, nil
}

// InvalidError is a subscription that cannot be made as asked.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return fmt.Sprintf("subscription %s: %s", e.Field, e.Reason) }

// Get returns a subscription as stored (cursor and last notification
// included).
func (m *Manager) Get(id string) (Subscription, error) {
	var s Subscription
	b, ok, err := m.idx.LocalGet(Namespace, id)
	if err != nil {
		return s, err
	}
	if !ok {
		return s, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	}
	return s, json.Unmarshal(b, &s)
}

// List returns the subscriptions of a named query ("": all), by id.
func (m *Manager) List(queryName string) ([]Subscription, error) {
	var out []Subscription
	err := m.idx.LocalScan(Namespace, "", func(_ string, v []byte) bool {
		var s Subscription
		if json.Unmarshal(v, &s) == nil && (queryName == "" || s.QueryName == queryName) {
			out = append(out, s)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Unsubscribe stops a subscription and deletes it.
func (m *Manager) Unsubscribe(id string) error {
	if _, err := m.Get(id); err != nil {
		return err
	}
	m.mu.Lock()
	w := m.workers[id]
	delete(m.workers, id)
	m.mu.Unlock()
	if w != nil {
		w.cancel()
		<-w.done
	}
	return m.idx.LocalDelete(Namespace, id)
}

func (m *Manager) save(s Subscription) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.idx.LocalPut(Namespace, s.ID, b)
}

// worker delivers one subscription.
type worker struct {
	m      *Manager
	s      Subscription
	q      nodeapi.Query
	ctx    context.Context
	cancel func()
	wakeC  chan struct{}
	done   chan struct{}
}

func (w *worker) wake() {
	select {
	case w.wakeC <- struct{}{}:
	default:
	}
}

// start runs a worker for s; m.mu is held.
func (m *Manager) start(s Subscription) {
	q, err := nodeapi.ParseQuery(s.Params)
	if err != nil {
		m.log.Error("subscription with a query this node no longer reads", "id", s.ID, "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{m: m, s: s, q: q, ctx: ctx, cancel: cancel, wakeC: make(chan struct{}, 1), done: make(chan struct{})}
	m.workers[s.ID] = w
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(w.done)
		w.run()
	}()
}

func (w *worker) run() {
	w.wake()
	var tick <-chan time.Time
	for {
		if w.s.Schedule != nil {
			next, err := w.s.Schedule.next(time.Now())
			if err != nil {
				w.m.log.Error("subscription schedule", "id", w.s.ID, "err", err)
				return
			}
			t := time.NewTimer(time.Until(next))
			tick = t.C
			select {
			case <-w.ctx.Done():
				t.Stop()
				return
			case <-tick:
			}
			if !w.drain(true) {
				return
			}
			continue
		}
		select {
		case <-w.ctx.Done():
			return
		case <-w.wakeC:
		}
		if !w.drain(false) {
			return
		}
	}
}

// drain delivers everything after the cursor, in batches; with report, an
// empty result is delivered too when the subscription asks for it. It
// returns false when the worker is stopped.
func (w *worker) drain(report bool) bool {
	for {
		events, next, err := w.m.idx.Feed(w.s.Cursor, w.m.opts.MaxBatch, func(raw json.RawMessage) (bool, error) {
			return w.m.idx.Match(w.q, raw)
		})
		if err != nil {
			w.m.log.Error("subscription: reading the index", "id", w.s.ID, "err", err)
			if !w.sleep(w.m.opts.MaxBackoff) {
				return false
			}
			continue
		}
		if len(events) == 0 && !(report && w.s.ReportIfEmpty) {
			if next != w.s.Cursor {
				w.s.Cursor = next
				if err := w.m.save(w.s); err != nil {
					w.m.log.Error("subscription: saving the cursor", "id", w.s.ID, "err", err)
				}
			}
			return true
		}
		if !w.deliver(events) {
			return false
		}
		report = false
		w.s.Cursor = next
		now := time.Now().UTC()
		w.s.LastNotifiedAt = &now
		if err := w.m.save(w.s); err != nil {
			w.m.log.Error("subscription: saving the cursor", "id", w.s.ID, "err", err)
		}
		if len(events) < w.m.opts.MaxBatch {
			return true
		}
	}
}

func (w *worker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// deliver posts events until dest answers 2xx; false when stopped first.
func (w *worker) deliver(events []json.RawMessage) bool {
	body, err := w.m.opts.Document(events, w.s.ID)
	if err != nil {
		w.m.log.Error("subscription: rendering", "id", w.s.ID, "err", err)
		return false
	}
	backoff := w.m.opts.MinBackoff
	for {
		// A delivery in flight finishes even when the worker is stopped:
		// a clean stop must not leave the subscriber with events the
		// cursor does not count.
		err := Post(context.WithoutCancel(w.ctx), w.m.opts.Client, w.s.Dest, w.s.Secret, body)
		if err == nil {
			return true
		}
		w.m.log.Warn("subscription: delivery failed; retrying", "id", w.s.ID, "dest", w.s.Dest, "in", backoff, "err", err)
		if !w.sleep(backoff) {
			return false
		}
		backoff = min(2*backoff, w.m.opts.MaxBackoff)
	}
}

// Sign is the GS1-Signature of body under secret: lowercase hex
// HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Post sends one delivery: an error unless dest answered 2xx.
func Post(ctx context.Context, client *http.Client, dest, secret string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("GS1-EPCIS-Version", "2.0.0")
	req.Header.Set("GS1-CBV-Version", "2.0.0")
	if secret != "" {
		req.Header.Set("GS1-Signature", Sign(secret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", dest, resp.Status)
	}
	return nil
}

// Stream calls send with each batch of events matching q recorded from
// now on, in ledger order, until ctx ends or send fails: a WebSocket
// stream, which has no cursor to keep.
func (m *Manager) Stream(ctx context.Context, q nodeapi.Query, send func(events []json.RawMessage) error) error {
	from, err := m.idx.FeedEnd()
	if err != nil {
		return err
	}
	return Follow(ctx, m.idx, from, q, m.opts.MaxBatch, send)
}

// Follow calls send with each batch (at most maxBatch; 0 is 100) of idx's
// events matching q recorded after from (idx.FeedEnd(), taken before the
// caller tells its client it is listening: from then on), in ledger
// order, until ctx ends
// (it returns ctx.Err()) or send fails (that error). It is the loop of
// every stream a node serves without a cursor to keep (WebSocket streams,
// the recall notices' server-sent events of package recallnotice); the
// webhooks' workers read the same feed with a stored cursor.
func Follow(ctx context.Context, idx *index.Index, from index.FeedCursor, q nodeapi.Query, maxBatch int, send func(events []json.RawMessage) error) error {
	if maxBatch <= 0 {
		maxBatch = 100
	}
	cur := from
	wake := make(chan struct{}, 1)
	stop := idx.Watch(func(index.Change) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer stop()
	for {
		events, next, err := idx.Feed(cur, maxBatch, func(raw json.RawMessage) (bool, error) { return idx.Match(q, raw) })
		if err != nil {
			return err
		}
		if len(events) > 0 {
			if err := send(events); err != nil {
				return err
			}
		}
		cur = next
		if len(events) == maxBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Render is a delivery of events for subscription id ("" for a stream)
// as this manager renders its webhooks' (Options.Document): WebSocket
// streams send the same documents.
func (m *Manager) Render(events []json.RawMessage, id string) ([]byte, error) {
	return m.opts.Document(events, id)
}

func defaultDocument(events []json.RawMessage, id string) ([]byte, error) {
	return json.Marshal(Document(events, id))
}

// Document is an EPCISQueryDocument of events for subscription id. A
// node may add members to its queryResults (Options.Document): recall
// notices do (package recallnotice).
func Document(events []json.RawMessage, id string) map[string]any {
	if events == nil {
		events = []json.RawMessage{}
	}
	results := map[string]any{"queryName": "SimpleEventQuery", "resultsBody": map[string]any{"eventList": events}}
	if id != "" {
		results["subscriptionID"] = id
	}
	return map[string]any{
		"@context":      []string{epcis.EPCISContext},
		"type":          "EPCISQueryDocument",
		"schemaVersion": "2.0",
		"creationDate":  time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"epcisBody":     map[string]any{"queryResults": results},
	}
}
