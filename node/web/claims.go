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
	Status      string
	Label       string
	Reason      string
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
			Reason: r.Reason, EvaluatedAt: parseTime(r.EvaluatedAt),
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
