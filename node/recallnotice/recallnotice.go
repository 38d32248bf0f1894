// Package recallnotice tells a member node's members and their
// subscribers of recalls, through the node's one delivery mechanism: the
// EPCIS subscriptions (package subscription).
//
// A recall is an EPCIS event on the ledger (an ObjectEvent with the
// disposition recalled and tl:recall, the reason and class), so it
// reaches every subscription whose query matches it (Query: the recalls;
// or the recalled lot's EPC class) like any other event: durably, in
// ledger order, retried until the subscriber answers 2xx, across node
// restarts. What this package adds is the notice: for each recall event
// in a delivery, the recall record, its scope (report.RecallScope: the
// lots, logistic units and serialised units it reaches, who holds them,
// what was shipped to whom) and the members it concerns. Document renders
// a subscription's delivery with the notices of its recall events under
// the query results' "tl:recallNotices"; Stream follows the same feed for
// the node's /recall/notices server-sent events. Nothing here watches the
// index or delivers on its own.
//
// The node shows a recall at once without this package: its index marks
// the lot and every lot made from it recalled in the commit that records
// the recall, so its traces, pages and badges say so.
//
// A notice's scope is computed when it is delivered, from the index then:
// a subscriber that was down gets the scope as it stands when it is back.
package recallnotice

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/nodeapi"
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
	// Position is where the index recorded the recall (block and
	// transaction id).
	Position index.Position `json:"position"`
}

// NoticesMember is the member of a delivery's queryResults that carries
// the notices of its recall events.
const NoticesMember = "tl:recallNotices"

// Params are the URL parameters of the query that matches every recall
// event: a named query of them, subscribed to, delivers each recall with
// its notice.
func Params() url.Values { return url.Values{"EQ_disposition": {"recalled"}} }

// Query is Params parsed.
func Query() nodeapi.Query {
	q, err := nodeapi.ParseQuery(Params())
	if err != nil {
		panic(err) // a constant query
	}
	return q
}

// recallEvent is what a notice needs of an event.
type recallEvent struct {
	EventID      string                  `json:"eventID"`
	QuantityList []epcis.QuantityElement `json:"quantityList"`
	Recall       json.RawMessage         `json:"tl:recall"`
}

// FromEvent is the notice of the recall event raw; ok is false for an
// event that records no recall on this ledger (another event, or a
// captured event with the recalled disposition but no recall record).
func FromEvent(ctx context.Context, idx *index.Index, raw json.RawMessage) (_ *Notice, ok bool, _ error) {
	var ev recallEvent
	if json.Unmarshal(raw, &ev) != nil || len(ev.Recall) == 0 || string(ev.Recall) == "null" || len(ev.QuantityList) != 1 {
		return nil, false, nil
	}
	l, err := digitallink.Parse(ev.QuantityList[0].EPCClass)
	if err != nil || l.Lot == "" {
		return nil, false, nil
	}
	nt, err := Build(ctx, idx, l.GTIN, l.Lot)
	if errors.Is(err, index.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if nt.Recall.EventID != "" && nt.Recall.EventID != ev.EventID {
		return nil, false, nil // an event of the lot that is not its recall
	}
	if p, err := idx.EventPosition(ev.EventID); err == nil {
		nt.Position = index.Position{Block: p.Block, TxID: p.TxID}
	}
	return nt, true, nil
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

// Notices are the notices of the recall events among events, in their
// order. A notice that cannot be built is logged and left out: the event
// itself is still delivered.
func Notices(ctx context.Context, idx *index.Index, log *slog.Logger, events []json.RawMessage) []Notice {
	var out []Notice
	for _, raw := range events {
		nt, ok, err := FromEvent(ctx, idx, raw)
		if err != nil {
			log.Error("recall notice", "err", err)
			continue
		}
		if ok {
			out = append(out, *nt)
		}
	}
	return out
}

// Document is the node's rendering of a subscription's delivery
// (subscription.Options.Document): the EPCISQueryDocument of the events
// and, when any of them records a recall, the notices under the query
// results' NoticesMember. log nil discards.
func Document(idx *index.Index, log *slog.Logger) func(events []json.RawMessage, subscriptionID string) ([]byte, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(events []json.RawMessage, id string) ([]byte, error) {
		doc := subscription.Document(events, id)
		if ns := Notices(context.Background(), idx, log, events); len(ns) > 0 {
			doc["@context"] = epcis.DefaultContext()
			doc["epcisBody"].(map[string]any)["queryResults"].(map[string]any)[NoticesMember] = ns
		}
		return json.Marshal(doc)
	}
}

// Stream calls send with the notice of each recall idx records after from
// (idx.FeedEnd() when the listener starts listening), in ledger order, until ctx ends (it returns ctx.Err()) or send
// fails: the node's /recall/notices, on the subscriptions' feed.
func Stream(ctx context.Context, idx *index.Index, from index.FeedCursor, log *slog.Logger, send func(Notice) error) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return subscription.Follow(ctx, idx, from, Query(), 0, func(events []json.RawMessage) error {
		for _, nt := range Notices(ctx, idx, log, events) {
			if err := send(nt); err != nil {
				return err
			}
		}
		return nil
	})
}
