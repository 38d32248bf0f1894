package claims

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

// TestEvaluateAsOf: a service verdict follows the clock without new
// events, deterministically: an unanswered ticket is open until its time
// runs out and broken from the next instant on, evaluated at that instant
// whatever the caller's clock; a broken ticket leaves the window; an
// answered one changes nothing until it leaves the window.
func TestEvaluateAsOf(t *testing.T) {
	const tA = "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa"
	filedAt := h(24)
	limit := time.Hour
	window := 7 * 24 * time.Hour
	params := ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 7}
	c := ledger.Claim{ID: "claim-svc", Kind: ledger.ClaimService, Wording: "Answered within an hour", GTIN: yogGTIN,
		Params: ledger.ClaimParams{Service: &params}}
	overdue := filedAt.Add(limit + time.Nanosecond)
	gone := filedAt.Add(window + time.Nanosecond)
	tests := []struct {
		name    string
		events  []json.RawMessage
		at, now time.Time
		status  Status
		// evaluated is the result's EvaluatedAt; next the instant returned.
		evaluated, next time.Time
	}{
		{"open, before the deadline", []json.RawMessage{filed("f1", tA, filedAt, "complaint")}, filedAt, filedAt.Add(59 * time.Minute),
			Pending, filedAt, overdue},
		{"open, at the deadline exactly", []json.RawMessage{filed("f1", tA, filedAt, "complaint")}, filedAt, filedAt.Add(limit),
			Pending, filedAt, overdue},
		{"overdue: fails at the deadline", []json.RawMessage{filed("f1", tA, filedAt, "complaint")}, filedAt, filedAt.Add(3 * time.Hour),
			Fails, overdue, gone},
		{"overdue, asked a day later: the same result", []json.RawMessage{filed("f1", tA, filedAt, "complaint")}, filedAt, filedAt.Add(27 * time.Hour),
			Fails, overdue, gone},
		{"overdue ticket out of the window", []json.RawMessage{filed("f1", tA, filedAt, "complaint")}, filedAt, filedAt.Add(8 * 24 * time.Hour),
			Pending, gone, time.Time{}},
		{"answered in time", []json.RawMessage{filed("f1", tA, filedAt, "complaint"), answered("a1", tA, filedAt.Add(time.Minute))}, filedAt.Add(time.Minute), filedAt.Add(3 * time.Hour),
			Holds, filedAt.Add(time.Minute), gone},
		{"an answer later than the evaluation enters at its time", []json.RawMessage{filed("f1", tA, filedAt, "complaint"), answered("a1", tA, filedAt.Add(time.Minute))}, filedAt, filedAt.Add(3 * time.Hour),
			Holds, filedAt.Add(time.Minute), gone},
		{"no tickets", nil, filedAt, filedAt.Add(3 * time.Hour), Pending, filedAt, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := fixture()
			tr.Service, tr.At = tc.events, tc.at
			r, next := EvaluateAsOf(tr, c, tc.now)
			if r.Status != tc.status || r.EvaluatedAt != ledger.FormatTime(tc.evaluated) || !next.Equal(tc.next) {
				t.Fatalf("got %s at %s (%q), next %s\nwant %s at %s, next %s", r.Status, r.EvaluatedAt, r.Reason, next,
					tc.status, ledger.FormatTime(tc.evaluated), tc.next)
			}
			// Re-evaluating at the result's own time (what a receipt
			// does) gives the same result.
			at, _ := time.Parse(time.RFC3339Nano, r.EvaluatedAt)
			tr.At = at
			if again := Evaluate(tr, c); again.Status != r.Status || again.Reason != r.Reason {
				t.Fatalf("re-evaluated at %s: %s %q, want %s %q", r.EvaluatedAt, again.Status, again.Reason, r.Status, r.Reason)
			}
		})
	}
	// Other kinds do not follow the clock.
	tr := fixture()
	tr.At = filedAt
	if d := Due(tr, ledger.Claim{Kind: ledger.ClaimColdChain, Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}}); !d.IsZero() {
		t.Errorf("cold_chain Due = %s, want none", d)
	}
}
