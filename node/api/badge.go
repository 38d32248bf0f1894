package api

// Badges show a lot's claims where it is sold:
//
//	GET /badge/{digital-link-path}.svg      shields-style SVG (green holds, red fails, grey pending)
//	GET /badge/{digital-link-path}.json     Badge JSON
//	GET /badge/{digital-link-path}/stream   server-sent events: a "badge" event with the Badge JSON
//	                                        on connect and whenever it changes
//
// ?claim={id} narrows a badge to one claim; without it the badge sums up
// the lot (claims.Overall: a recall turns it red). The path is a lot or
// unit Digital Link path, e.g. /badge/01/09506000134352/10/L1.svg.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/web"
)

// Badge is the /badge JSON: the lot's (or one claim's) verdict.
type Badge struct {
	Lot string `json:"lot"`
	// Claim is set for a one-claim badge.
	Claim    string        `json:"claim,omitempty"`
	Wording  string        `json:"wording,omitempty"`
	Status   claims.Status `json:"status"`
	Reason   string        `json:"reason"`
	Recalled bool          `json:"recalled"`
	// Evidence are the event ids the verdict rests on.
	Evidence []string `json:"evidence"`
	// EvaluatedAt is the ledger time of the latest evaluation.
	EvaluatedAt string          `json:"evaluatedAt,omitempty"`
	Link        string          `json:"link"`
	Claims      []claims.Result `json:"claims"`
	// Lang is the language of Label and of the SVG (?lang=, else
	// Accept-Language: zh-CN, en or de).
	Lang string `json:"lang"`
	// Label is how the badge reads the status in Lang ("✓ holds", "✓ 已兑现").
	Label string `json:"label"`
}

// badgeHub wakes a lot's stream subscribers when the index changes what
// it says about the lot: it watches the index (index.Watch) while anyone
// is subscribed, so a stream learns of a change as the change is applied,
// without polling.
type badgeHub struct {
	idx *index.Index

	mu     sync.Mutex
	subs   map[lotRef]map[*badgeSub]struct{}
	n      int    // subscribers
	stop   func() // ends the index watch; nil without subscribers
	closed bool
	done   chan struct{} // closed by Close: every stream ends
}

type lotRef struct{ gtin, lot string }

// badgeSub is one stream's subscription to its lot.
type badgeSub struct {
	h   *badgeHub
	ref lotRef
	// C receives a value when the lot changed since the last receive: a
	// burst of changes wakes the stream once.
	C chan struct{}
}

func newBadgeHub(idx *index.Index) *badgeHub {
	return &badgeHub{idx: idx, subs: map[lotRef]map[*badgeSub]struct{}{}, done: make(chan struct{})}
}

// subscribe watches lot gtin/lot; the caller must close the subscription.
// Subscribe before reading the badge, so that no change falls in between.
func (h *badgeHub) subscribe(gtin, lot string) *badgeSub {
	sub := &badgeSub{h: h, ref: lotRef{gtin, lot}, C: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[sub.ref] == nil {
		h.subs[sub.ref] = map[*badgeSub]struct{}{}
	}
	h.subs[sub.ref][sub] = struct{}{}
	if h.n++; h.n == 1 {
		h.stop = h.idx.Watch(h.changed)
	}
	return sub
}

// close ends the subscription; closing it again does nothing.
func (s *badgeSub) close() {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s.ref][s]; !ok {
		return
	}
	delete(h.subs[s.ref], s)
	if len(h.subs[s.ref]) == 0 {
		delete(h.subs, s.ref)
	}
	if h.n--; h.n == 0 {
		h.stop()
		h.stop = nil
	}
}

// changed is the index watcher: it wakes the subscribers of every lot c
// touched, without blocking the apply that called it.
func (h *badgeHub) changed(c index.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ref, subs := range h.subs {
		if !c.Lot(ref.gtin, ref.lot) {
			continue
		}
		for sub := range subs {
			select {
			case sub.C <- struct{}{}:
			default: // already woken
			}
		}
	}
}

// Close ends every open stream (for a graceful shutdown).
func (h *badgeHub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// CloseStreams ends the open badge streams: call it on shutdown, since
// http.Server.Shutdown waits for them otherwise.
func (s *Server) CloseStreams() {
	s.badges.Close()
	s.epcis.closeStreams() // epcis.go
}

// badgeRequest parses /badge/{path}{.svg|.json|/stream}.
func parseBadgePath(p string) (link digitallink.Link, format string, err error) {
	p = strings.TrimPrefix(p, "/badge")
	for _, f := range []string{".svg", ".json", "/stream"} {
		if strings.HasSuffix(p, f) {
			format, p = f, strings.TrimSuffix(p, f)
			break
		}
	}
	if format == "" {
		return link, "", fmt.Errorf("a badge path ends in .svg, .json or /stream")
	}
	link, err = digitallink.Parse(p)
	if err != nil {
		return link, "", err
	}
	if link.Lot == "" {
		return link, "", fmt.Errorf("%s does not name a lot: badges are per lot (…/10/{lot})", link.Path())
	}
	return link, format, nil
}

func (s *Server) badge(w http.ResponseWriter, r *http.Request) {
	l, format, err := parseBadgePath(r.URL.EscapedPath())
	if err != nil {
		s.problem(w, r, http.StatusBadRequest, "invalid-badge", "Invalid badge path", err.Error())
		return
	}
	claim := r.URL.Query().Get("claim")
	var sub *badgeSub
	if format == "/stream" {
		sub = s.badges.subscribe(l.GTIN, l.Lot) // before the badge: no change is missed
		defer sub.close()
	}
	lang := web.MatchLang(r)
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Content-Language", lang.Code)
	key := "badge " + lang.Code + " " + r.Host + r.URL.RequestURI() // the badge links to the page on s.base(r)
	var st indexState
	if format != "/stream" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		var done bool
		if st, done = s.cachedNotModified(w, r, key); done { // cache.go
			return
		}
	}
	b, lot, err := s.badgeOf(r, l, claim)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format != "/stream" {
		// Derived from the lot's state and the badge (its claims' verdicts):
		// a new event on the lot changes it (cache.go).
		state, err1 := json.Marshal(lot)
		view, err2 := json.Marshal(b)
		if err := errors.Join(err1, err2); err != nil {
			s.fail(w, r, err)
			return
		}
		v := validators{ETag: etag("badge"+strings.TrimPrefix(format, "."), state, view), SinceOK: true,
			Modified: ledgerTimes(append(state, view...), stateTimes...)}
		s.tags.put(st, key, v)
		if notModified(w, r, v) {
			return
		}
	}
	switch format {
	case ".json":
		writeJSON(w, "application/json", b)
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write(badgeSVG(b))
	case "/stream":
		w.Header().Set("Cache-Control", "no-cache")
		s.stream(w, r, l, claim, b, sub)
	}
}

// lotBadge builds the badge of lot l, or of one of its claims.
func (s *Server) lotBadge(r *http.Request, l digitallink.Link, claim string) (Badge, error) {
	b, _, err := s.badgeOf(r, l, claim)
	return b, err
}

// badgeOf is lotBadge and the lot's state it was built from.
func (s *Server) badgeOf(r *http.Request, l digitallink.Link, claim string) (b Badge, lot ledger.LotSummary, err error) {
	lot, err = s.idx.Lot(l.GTIN, l.Lot)
	if err != nil {
		return Badge{}, lot, err
	}
	rs, err := s.idx.ClaimResults(l.GTIN, l.Lot)
	if err != nil {
		return Badge{}, lot, err
	}
	page := digitallink.Link{GTIN: l.GTIN, Lot: l.Lot, Serial: l.Serial}.Path()
	lang := web.MatchLang(r)
	defer func() { b.Lang, b.Label = lang.Code, badgeLabel(lang, b) }()
	b = Badge{Lot: lot.ID, Recalled: lot.Status == ledger.StatusRecalled, Evidence: []string{}, Link: s.base(r) + page, Claims: rs}
	if claim != "" {
		i := -1
		for j, c := range rs {
			if c.Claim == claim {
				i = j
			}
		}
		if i < 0 {
			return b, lot, &index.NotFoundError{What: fmt.Sprintf("active claim %s on lot %s", claim, lot.ID)}
		}
		c := rs[i]
		b.Claim, b.Wording, b.Status, b.Reason, b.Evidence, b.EvaluatedAt, b.Claims = c.Claim, c.Wording, c.Status, c.Reason, c.Evidence, c.EvaluatedAt, []claims.Result{c}
		b.Link += "#claim-" + c.Claim
		return b, lot, nil
	}
	b.Status, b.Reason = claims.Overall(lot, rs)
	for _, c := range rs {
		b.EvaluatedAt = max(b.EvaluatedAt, c.EvaluatedAt)
		if c.Status == b.Status {
			b.Evidence = append(b.Evidence, c.Evidence...)
		}
	}
	if lot.Recall != nil {
		b.EvaluatedAt = max(b.EvaluatedAt, lot.Recall.RecalledAt)
		b.Evidence = append([]string{lot.Recall.EventID}, b.Evidence...)
	}
	return b, lot, nil
}

// stream serves server-sent events: the badge now, then every change,
// with a comment line every 15 s to keep proxies from closing it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, l digitallink.Link, claim string, b Badge, sub *badgeSub) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	var last []byte
	send := func(b Badge) error {
		data, err := json.Marshal(b)
		if err != nil || bytes.Equal(data, last) {
			return err
		}
		last = data
		if _, err := fmt.Fprintf(w, "event: badge\ndata: %s\n\n", data); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(b); err != nil {
		return
	}
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.badges.done:
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-sub.C:
			nb, err := s.lotBadge(r, l, claim)
			if err != nil {
				s.log.Warn("badge stream", "lot", l.String(), "err", err)
				return
			}
			if err := send(nb); err != nil {
				return
			}
		}
	}
}

var badgeColours = map[claims.Status]string{claims.Holds: "#2e7d32", claims.Fails: "#c62828", claims.Pending: "#6e7781"}

// badgeSVG draws a shields-style badge: label on dark grey, status on its
// colour; text widths are estimated (Verdana 11 px averages ~7 px a rune).
func badgeSVG(b Badge) []byte {
	lang := cmp.Or(web.LangOf(b.Lang), web.English)
	label := b.Wording
	if label == "" {
		label = lang.T("badge.label")
	}
	if utf8.RuneCountInString(label) > 40 {
		label = string([]rune(label)[:39]) + "…"
	}
	status := badgeLabel(lang, b)
	lw := 10 + textWidth(label)
	sw := 10 + textWidth(status)
	colour := badgeColours[b.Status]
	if colour == "" {
		colour = badgeColours[claims.Pending]
	}
	aria := html.EscapeString(label + ": " + status + ". " + b.Reason)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`, lw+sw, aria)
	fmt.Fprintf(&buf, `<title>%s</title>`, aria)
	fmt.Fprintf(&buf, `<rect width="%d" height="20" rx="3" fill="#555"/><rect x="%d" width="%d" height="20" rx="3" fill="%s"/><rect x="%d" width="4" height="20" fill="%s"/>`, lw+sw, lw, sw, colour, lw, colour)
	fmt.Fprintf(&buf, `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">`)
	fmt.Fprintf(&buf, `<text x="%d" y="14">%s</text><text x="%d" y="14" font-weight="bold">%s</text></g></svg>`, lw/2, html.EscapeString(label), lw+sw/2, html.EscapeString(status))
	return buf.Bytes()
}

// textWidth estimates text's width at 11 px: ~7 px a Latin rune, 11 px a
// CJK one (full width).
func textWidth(text string) int {
	w := 0
	for _, r := range text {
		if r >= 0x2E80 {
			w += 11
		} else {
			w += 7
		}
	}
	return w
}

// badgeLabel is how the badge reads b's status in lang.
func badgeLabel(lang *web.Lang, b Badge) string {
	if b.Recalled && b.Claim == "" {
		return lang.T("badge.recalled")
	}
	return lang.T("badge." + string(b.Status))
}

// claimViews gives the consumer page its claim badges.
func (s *Server) claimViews(tr index.Trace) []web.ClaimView {
	rs, err := s.idx.ClaimResults(tr.Lot.GTIN, tr.Lot.Lot)
	if err != nil {
		s.log.Warn("claim results", "lot", tr.Lot.ID, "err", err)
		return nil
	}
	return web.ClaimViews(rs, "/badge"+digitallink.Link{GTIN: tr.Lot.GTIN, Lot: tr.Lot.Lot}.Path())
}
