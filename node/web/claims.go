package web

import (
	"net/url"

	"github.com/trustline/trustline/claims"
)

// ClaimView is a brand's claim about the page's lot with its verdict, shown
// as a badge that opens its reason and evidence.
type ClaimView struct {
	ID, Wording, Kind string
	// Status is holds, fails or pending.
	Status string
	Label  string
	// Reason is the verdict's reason in English (claims.Result.Reason);
	// Why the same as data, when known, to show it in the page's language
	// (ReasonIn).
	Reason      string
	Why         claims.Why `json:"-"`
	ReasonCode  string
	EvaluatedAt Time
	Evidence    []EvidenceLink
	// Badge is the URL of the claim's embeddable SVG badge.
	Badge string
}

// EvidenceLink is one event a verdict rests on.
type EvidenceLink struct {
	Label, Href string
}

// ClaimViews turns claim results into views; badgeBase is the lot's badge
// path without extension (e.g. /badge/01/…/10/…).
func ClaimViews(rs []claims.Result, badgeBase string) []ClaimView {
	out := make([]ClaimView, 0, len(rs))
	for _, r := range rs {
		v := ClaimView{
			ID: r.Claim, Wording: r.Wording, Kind: string(r.Kind), Status: string(r.Status), Label: StatusLabel(r.Status),
			Reason: r.Reason, Why: r.Why, ReasonCode: r.Why.Code, EvaluatedAt: parseTime(r.EvaluatedAt),
			Badge: badgeBase + ".svg?" + url.Values{"claim": {r.Claim}}.Encode(),
		}
		for _, id := range r.Evidence {
			v.Evidence = append(v.Evidence, EvidenceLink{Label: short(id), Href: "/events/" + url.PathEscape(id)})
		}
		out = append(out, v)
	}
	return out
}

// StatusLabel is how a verdict reads on a badge.
func StatusLabel(s claims.Status) string {
	switch s {
	case claims.Holds:
		return "✓ holds"
	case claims.Fails:
		return "✗ fails"
	}
	return "… pending"
}

// LocalText is a text and whether it is in the language asked for.
type LocalText struct {
	Text string
	In   bool
}

// ReasonText is v's reason in l: a result without its Why is shown in
// English, as recorded.
func (v ClaimView) ReasonText(l *Lang) LocalText {
	return l.ReasonText(v.Why, v.Reason)
}

// ReasonText is w in l, or english (its recorded text) when w is unknown
// or l has no message for it.
func (l *Lang) ReasonText(w claims.Why, english string) LocalText {
	if w.IsZero() || w.Code == claims.Verbatim || !l.HasReason(w.Code) {
		return LocalText{english, l == English}
	}
	return LocalText{l.Reason(w), l == English || l.localized(w)}
}

// localized reports whether l has a message for w and every clause in it.
func (l *Lang) localized(w claims.Why) bool {
	if !l.HasReason(w.Code) {
		return false
	}
	for _, a := range w.Args {
		for _, c := range a.Why {
			if !l.localized(c) {
				return false
			}
		}
	}
	for _, c := range w.Also {
		if !l.localized(c) {
			return false
		}
	}
	return true
}
