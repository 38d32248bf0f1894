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
	Claim   string        `json:"claim,omitempty"`
	Wording string        `json:"wording,omitempty"`
	Status  claims.Status `json:"status"`
	// Reason is in English, as the claims' results and receipts have it;
	// ReasonCode is its stable code (claims.ReasonCodes) and ReasonText
	// the same reason in Lang (English when it has no code).
	Reason     string `json:"reason"`
	ReasonCode string `json:"reasonCode,omitempty"`
	ReasonText string `json:"reasonText"`
	Recalled   bool   `json:"recalled"`
	// Evidence are the event ids the verdict rests on.
	Evidence []string `json:"evidence"`
	// EvaluatedAt is the ledger time of the latest evaluation.
	EvaluatedAt string       `json:"evaluatedAt,omitempty"`
	Link        string       `json:"link"`
	Claims      []BadgeClaim `json:"claims"`
	// Lang is the language of Label and of the SVG (?lang=, else
	// Accept-Language: zh-CN, en or de).
	Lang string `json:"lang"`
	// Label is how the badge reads the status in Lang ("✓ holds", "✓ 已兑现").
	Label string `json:"label"`
	// until is when a verdict shown changes with the clock (a service
	// ticket's deadline, index.ClaimResultsAsOf); zero: never.
	until time.Time
}

// BadgeClaim is one claim's result (claims.Result, as stored and in
// receipts) with its reason's code and its text in the badge's language.
type BadgeClaim struct {
	claims.Result
	ReasonCode string `json:"reasonCode,omitempty"`
	ReasonText string `json:"reasonText"`
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
	lang := web.MatchLang(r)
	var sub *badgeSub
	if format == "/stream" {
		// Before the badge: no change is missed (badgefeed.go).
		base := s.base(r)
		sub = s.badges.subscribe(feedKey{gtin: l.GTIN, lot: l.Lot, serial: l.Serial, claim: claim, lang: lang.Code, base: base},
			func() ([]byte, error) { return s.badgeEvent(base, lang, l, claim) })
		defer sub.close()
	}
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
			Modified: ledgerTimes(append(state, view...))}
		if b.until.IsZero() { // else it follows the clock, not only the index
			s.tags.put(st, key, v)
		}
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
	return s.badgeFor(s.base(r), web.MatchLang(r), l, claim)
}

// badgeEvent is the server-sent event of the badge badgeFor builds.
func (s *Server) badgeEvent(base string, lang *web.Lang, l digitallink.Link, claim string) ([]byte, error) {
	b, _, err := s.badgeFor(base, lang, l, claim)
	if err != nil {
		return nil, err
	}
	return sseBadge(b)
}

// sseBadge is the "badge" event of b.
func sseBadge(b Badge) ([]byte, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+24)
	out = append(out, "event: badge\ndata: "...)
	out = append(out, data...)
	return append(out, "\n\n"...), nil
}

// badgeFor builds the badge of lot l, or of one of its claims, linking to
// its page on base, in lang.
func (s *Server) badgeFor(base string, lang *web.Lang, l digitallink.Link, claim string) (b Badge, lot ledger.LotSummary, err error) {
	lot, err = s.idx.Lot(l.GTIN, l.Lot)
	if err != nil {
		return Badge{}, lot, err
	}
	rs, until, err := s.idx.ClaimResultsOfLot(lot, s.now())
	if err != nil {
		return Badge{}, lot, err
	}
	rs = s.explain(l.GTIN, l.Lot, rs) // reasons.go
	page := digitallink.Link{GTIN: l.GTIN, Lot: l.Lot, Serial: l.Serial}.Path()
	defer func() { b.Lang, b.Label = lang.Code, badgeLabel(lang, b) }()
	b = Badge{Lot: lot.ID, Recalled: lot.Status == ledger.StatusRecalled, Evidence: []string{}, Link: base + page, Claims: badgeClaims(lang, rs), until: until}
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
		b.Claim, b.Wording, b.Status, b.Reason, b.Evidence, b.EvaluatedAt, b.Claims = c.Claim, c.Wording, c.Status, c.Reason, c.Evidence, c.EvaluatedAt, b.Claims[i:i+1]
		b.ReasonCode, b.ReasonText = b.Claims[0].ReasonCode, b.Claims[0].ReasonText
		b.Link += "#claim-" + c.Claim
		return b, lot, nil
	}
	b.Status, b.Reason = claims.Overall(lot, rs)
	_, why := claims.OverallWhy(lot, rs)
	b.ReasonCode, b.ReasonText = reasonCode(why), lang.ReasonText(why, b.Reason).Text
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

// stream serves server-sent events: the badge now, then every change as
// its feed has it (badgefeed.go), with a comment line every 15 s to keep
// proxies from closing it. A write that the client does not take within
// streamWriteTimeout ends the stream: a stalled subscriber costs nothing
// after that.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, l digitallink.Link, claim string, b Badge, sub *badgeSub) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	write := func(data []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) // not every writer supports it
		if _, err := w.Write(data); err != nil {
			return err
		}
		return rc.Flush()
	}
	last, err := sseBadge(b)
	if err != nil || write(last) != nil {
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
			if write([]byte(": ping\n\n")) != nil {
				return
			}
		case <-sub.C:
			data, err := sub.latest()
			if err != nil {
				s.log.Warn("badge stream", "lot", l.String(), "err", err)
				return
			}
			if data == nil || bytes.Equal(data, last) {
				continue
			}
			last = data
			if write(data) != nil {
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
	aria := html.EscapeString(label + ": " + status + ". " + cmp.Or(b.ReasonText, b.Reason))
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

// claimViews gives the consumer page its claim badges, as of the clock,
// and when one of them changes with it (zero: never).
func (s *Server) claimViews(tr index.Trace) ([]web.ClaimView, time.Time) {
	rs, until, err := s.idx.ClaimResultsOfLot(tr.Lot, s.now()) // the lot read once
	if err != nil {
		s.log.Warn("claim results", "lot", tr.Lot.ID, "err", err)
		return nil, time.Time{}
	}
	rs = s.explain(tr.Lot.GTIN, tr.Lot.Lot, rs) // reasons.go
	return web.ClaimViews(rs, "/badge"+digitallink.Link{GTIN: tr.Lot.GTIN, Lot: tr.Lot.Lot}.Path()), until
}

// badgeClaims are rs with their reasons in lang.
func badgeClaims(lang *web.Lang, rs []claims.Result) []BadgeClaim {
	out := make([]BadgeClaim, len(rs))
	for i, r := range rs {
		out[i] = BadgeClaim{Result: r, ReasonCode: reasonCode(r.Why), ReasonText: lang.ReasonText(r.Why, r.Reason).Text}
	}
	return out
}

// reasonCode is w's code, "" when the reason is known only as text.
func reasonCode(w claims.Why) string {
	if w.Code == claims.Verbatim {
		return ""
	}
	return w.Code
}
