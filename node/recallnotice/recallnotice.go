// Package recallnotice tells a member node's members and their
// subscribers of recalls: when the node's index records a recall, the
// Notifier computes its scope (report.RecallScope: the lots, logistic
// units and serialised units it reaches, who holds them, what was shipped
// to whom) and publishes a Notice to each Publisher.
//
// The node shows a recall at once without this package: its index marks
// the lot and every lot made from it recalled in the commit that records
// the recall, so its traces, pages and badges say so. A Notice is for
// delivery: the node's /recall/notices stream (Stream) now, and the EPCIS
// subscriptions of the EPCIS REST interface once they exist, which publish
// notices through the same Publisher interface (one delivery mechanism for
// the node). A notice is published once per recall and node run; a
// Publisher that must not lose one (a webhook) keeps its own delivery
// state.
package recallnotice

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/report"
)

// Notice is a recall as a node tells of it: the recall record, its scope
// and the members it concerns.
type Notice struct {
	// Type is "recall".
	Type   string        `json:"type"`
	Recall ledger.Recall `json:"recall"`
	Scope  *report.Scope `json:"scope"`
	// Members are the organisations the recall concerns, sorted: the
	// recalling member, the holders of the lots in scope and both ends of
	// their shipments.
	Members []string `json:"members"`
	// Position is where the index recorded the recall.
	Position index.Position `json:"position"`
}

// Publisher delivers notices: the node's stream, EPCIS subscriptions.
// Publish must not block for long: the notifier publishes in order.
type Publisher interface {
	Publish(ctx context.Context, n Notice) error
}

// Notifier publishes a Notice for each recall its index records.
type Notifier struct {
	idx  *index.Index
	pubs []Publisher
	log  *slog.Logger

	mu      sync.Mutex
	pending []index.Change
	wake    chan struct{}
	stop    func()
}

// New returns a notifier of idx's recalls to pubs; log nil means
// slog.Default().
func New(idx *index.Index, log *slog.Logger, pubs ...Publisher) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	n := &Notifier{idx: idx, pubs: pubs, log: log, wake: make(chan struct{}, 1)}
	// Watching from New on: no recall recorded before Run starts is missed.
	n.stop = idx.Watch(func(c index.Change) {
		if len(c.Recalls()) == 0 {
			return
		}
		n.mu.Lock()
		n.pending = append(n.pending, c)
		n.mu.Unlock()
		select {
		case n.wake <- struct{}{}:
		default:
		}
	})
	return n
}

// Run publishes the recalls the index records from New on until ctx is
// done; it returns nil then, and the notifier is done.
func (n *Notifier) Run(ctx context.Context) error {
	defer n.stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.wake:
		}
		n.mu.Lock()
		changes := n.pending
		n.pending = nil
		n.mu.Unlock()
		for _, c := range changes {
			for _, gl := range c.Recalls() {
				n.notify(ctx, c.Checkpoint.Position, gl[0], gl[1])
			}
		}
	}
}

func (n *Notifier) notify(ctx context.Context, pos index.Position, gtin, lot string) {
	nt, err := Build(ctx, n.idx, gtin, lot)
	if err != nil {
		n.log.Error("recall notice", "gtin", gtin, "lot", lot, "err", err)
		return
	}
	nt.Position = pos
	for _, p := range n.pubs {
		if err := p.Publish(ctx, *nt); err != nil {
			n.log.Error("publishing a recall notice", "lot", nt.Recall.Lot, "err", err)
		}
	}
}

// Build is the notice of lot gtin/lot's recall, from idx.
func Build(ctx context.Context, idx *index.Index, gtin, lot string) (*Notice, error) {
	rc, err := idx.Recall(gtin, lot)
	if err != nil {
		return nil, err
	}
	link := digitallink.Link{GTIN: gtin, Lot: lot}.String()
	sc, err := report.RecallScope(ctx, idx.ReportSource(), link)
	if err != nil {
		return nil, err
	}
	members := []string{rc.RecalledBy}
	for _, c := range sc.Custodians {
		members = append(members, c.Member)
	}
	for _, s := range sc.Shipments {
		members = append(members, s.From, s.To)
	}
	slices.Sort(members)
	members = slices.DeleteFunc(slices.Compact(members), func(m string) bool { return m == "" })
	return &Notice{Type: "recall", Recall: rc, Scope: sc, Members: members}, nil
}

// Stream is a Publisher that hands each notice to the node's current
// listeners (the API's /recall/notices server-sent events).
type Stream struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Notice
}

// Subscribe returns a channel of the notices published from now on, and a
// function that ends the subscription. A listener that falls 16 notices
// behind misses the next ones rather than hold the notifier up.
func (s *Stream) Subscribe() (<-chan Notice, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == nil {
		s.subs = map[int]chan Notice{}
	}
	id := s.next
	s.next++
	ch := make(chan Notice, 16)
	s.subs[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[id]; ok {
			delete(s.subs, id)
			close(ch)
		}
	}
}

// Publish hands n to every listener.
func (s *Stream) Publish(_ context.Context, n Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		select {
		case ch <- n:
		default:
		}
	}
	return nil
}

// Close ends every subscription.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ch := range s.subs {
		delete(s.subs, id)
		close(ch)
	}
}
