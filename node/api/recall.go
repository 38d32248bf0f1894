package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/recallnotice"
	"github.com/trustline/trustline/report"
)

// recallScope serves /recall/scope?lot=LINK: everything a recall of the
// lot reaches (report.RecallScope: downstream lots, logistic units,
// serialised units, custodians, shipments), computed from the index in
// one request, as `trustline recall scope` shows it. It is a member's
// record, on the member surface with the reports (member.go).
//
// The scope is derived from the index alone, so it is cached as the
// traces are (cache.go): its entity tag is the digest of the body and is
// remembered for the index state, so a revalidation costs a map lookup
// until the next commit, however large the scope; the body is private to
// the member that asked.
func (s *Server) recallScope(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lot := q.Get("lot")
	if len(q["lot"]) != 1 || lot == "" {
		s.problem(w, r, http.StatusBadRequest, "invalid-recall-scope", "Invalid recall scope request", "give exactly one lot: /recall/scope?lot=LINK")
		return
	}
	for k := range q {
		if k != "lot" {
			s.problem(w, r, http.StatusBadRequest, "invalid-recall-scope", "Invalid recall scope request", "unknown parameter "+k+": /recall/scope takes lot only")
			return
		}
	}
	if err := (report.Selection{Lot: lot}).Check(); err != nil {
		var dl *digitallink.Error
		if errors.As(err, &dl) {
			s.invalidLink(w, r, err)
			return
		}
		s.problem(w, r, http.StatusBadRequest, "invalid-recall-scope", "Invalid recall scope request", err.Error())
		return
	}
	l, _ := digitallink.Parse(lot)
	key := "recall " + l.LotLink().String()
	st, done := s.cachedNotModified(w, r, key)
	if done {
		return
	}
	sc, err := report.RecallScope(r.Context(), s.idx.ReportSource(), lot)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sc); err != nil {
		s.fail(w, r, err)
		return
	}
	body := buf.Bytes()
	v := validators{ETag: etag("recall", body), Private: true}
	s.tags.put(st, key, v)
	if notModified(w, r, v) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// LogisticUnitView is a logistic unit as the resolver answers it: its
// record and, once any lot packed in it is recalled (itself or through a
// lot it was made from), those lots, so that whoever scans the pallet's
// label learns of the recall as a shopper scanning a jar does.
type LogisticUnitView struct {
	ledger.LogisticUnit
	RecalledLots []string `json:"recalledLots,omitempty"`
}

func (s *Server) logisticUnit(sscc string) (LogisticUnitView, error) {
	u, err := s.idx.LogisticUnit(sscc)
	if err != nil {
		return LogisticUnitView{}, err
	}
	v := LogisticUnitView{LogisticUnit: u}
	for _, id := range u.Lots {
		l, err := digitallink.Parse(id)
		if err != nil {
			continue
		}
		if lot, err := s.idx.Lot(l.GTIN, l.Lot); err == nil && lot.Status == ledger.StatusRecalled {
			v.RecalledLots = append(v.RecalledLots, id)
		}
	}
	return v, nil
}

// recallNotices streams the node's recall notices (package recallnotice)
// as server-sent events, one "recall" event per recall the node's index
// records while the stream is open, with a comment line every 15 s. The
// notices come from the subscriptions' feed (recallnotice.Stream), as the
// webhooks' do: one delivery mechanism.
func (s *Server) recallNotices(w http.ResponseWriter, r *http.Request) {
	// Recalls recorded once the headers are sent are the listener's.
	from, err := s.idx.FeedEnd()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	notices := make(chan recallnotice.Notice)
	ended := make(chan error, 1)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	// A first comment line sends the headers through the compressor now.
	if _, err := fmt.Fprint(w, ": recall notices\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	go func() {
		ended <- recallnotice.Stream(ctx, s.idx, from, s.log, func(n recallnotice.Notice) error {
			select {
			case notices <- n:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.badges.done:
			return
		case err := <-ended:
			if ctx.Err() == nil {
				s.log.Error("recall notices", "err", err)
			}
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case n := <-notices:
			data, err := json.Marshal(n)
			if err != nil {
				s.log.Error("recall notice", "err", err)
				return
			}
			if _, err := fmt.Fprintf(w, "event: recall\ndata: %s\n\n", data); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
