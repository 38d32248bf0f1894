package claims

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

// svc builds a service event of the yogurt product as the chaincode
// records it.
func svc(id string, at time.Time, x ledger.ServiceExt, class string) json.RawMessage {
	return ev(id, ledger.BizStepServiceRequest, at, []string{class}, map[string]any{ledger.ServiceMember: x})
}

func filed(id, ticket string, at time.Time, topic string) json.RawMessage {
	return svc(id, at, ledger.ServiceExt{Ticket: ticket, Step: ledger.ServiceFiled, Topic: topic, MessageSHA256: strings.Repeat("a", 64), Lot: yogLot}, "https://id.gs1.org/01/"+yogGTIN)
}

func answered(id, ticket string, at time.Time) json.RawMessage {
	return svc(id, at, ledger.ServiceExt{Ticket: ticket, Step: ledger.ServiceAnswered, Outcome: "answered"}, "https://id.gs1.org/01/"+yogGTIN)
}

func TestService(t *testing.T) {
	const tA, tB = "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", "tkt-bbbbbbbbbbbbbbbbbbbbbbbbbb"
	day := func(d float64) time.Time { return h(24 * d) }
	tests := []struct {
		name     string
		params   ledger.ServiceParams
		events   []json.RawMessage
		at       time.Time
		status   Status
		reason   string
		evidence []string
	}{
		{"no tickets", ledger.ServiceParams{AnswerMinutes: 1440, WindowDays: 90}, nil, day(1), Pending,
			"no tickets filed in the last 90 days; nothing to judge yet", nil},
		{"open within time", ledger.ServiceParams{AnswerMinutes: 1440, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "complaint")}, day(1.5), Pending,
			"1 ticket filed in the last 90 days, none answered yet; 1 open, the first due by 2026-03-03 06:00 UTC", []string{"f1"}},
		{"answered in time", ledger.ServiceParams{AnswerMinutes: 1440, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "complaint"), answered("a1", tA, day(1).Add(2*time.Hour+5*time.Minute))}, day(2), Holds,
			"1 answered ticket in the last 90 days, answered within 24 h; the longest took 2 h 5 min", []string{"f1", "a1"}},
		{"answered late", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "question"), answered("a1", tA, day(1).Add(61*time.Minute)),
				filed("f2", tB, day(2), "complaint"), answered("a2", tB, day(2).Add(10*time.Second))}, day(3), Fails,
			"ticket " + tA + " filed on 2026-03-02 06:00 UTC was answered 1 h 1 min later (limit 1 h); 1 of 2 tickets in the last 90 days answered in time", []string{"f1", "a1"}},
		{"unanswered too long", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "question")}, day(1).Add(3 * time.Hour), Fails,
			"ticket " + tA + " filed on 2026-03-02 06:00 UTC is unanswered after 3 h (limit 1 h); 0 of 1 ticket in the last 90 days answered in time", []string{"f1"}},
		{"late ticket out of the window", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 7},
			[]json.RawMessage{filed("f1", tA, day(1), "question"), answered("a1", tA, day(2)),
				filed("f2", tB, day(10), "complaint"), answered("a2", tB, day(10).Add(30*time.Second))}, day(11), Holds,
			"1 answered ticket in the last 7 days, answered within 1 h; the longest took under 1 min", []string{"f2", "a2"}},
		{"topics", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90, Topics: []string{"refund"}},
			[]json.RawMessage{filed("f1", tA, day(1), "question")}, day(5), Pending,
			"no tickets filed in the last 90 days; nothing to judge yet", nil},
		{"another product's events ignored", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90},
			[]json.RawMessage{svc("f1", day(1), ledger.ServiceExt{Ticket: tA, Step: ledger.ServiceFiled, Topic: "question"}, "https://id.gs1.org/01/"+rawGTIN)}, day(5), Pending,
			"no tickets filed in the last 90 days; nothing to judge yet", nil},
		{"events after the evaluation ignored", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "question"), answered("a1", tA, day(2))}, day(1).Add(30 * time.Minute), Pending,
			"1 ticket filed in the last 90 days, none answered yet; 1 open, the first due by 2026-03-02 07:00 UTC", []string{"f1"}},
		{"a second answer does not count", ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 90},
			[]json.RawMessage{filed("f1", tA, day(1), "question"), answered("a1", tA, day(1).Add(time.Minute)), answered("a2", tA, day(3))}, day(4), Holds,
			"1 answered ticket in the last 90 days, answered within 1 h; the longest took 1 min", []string{"f1", "a1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := fixture()
			tr.Service, tr.At = tc.events, tc.at
			c := ledger.Claim{ID: "claim-svc", Kind: ledger.ClaimService, Wording: "Answered within a day", GTIN: yogGTIN,
				Params: ledger.ClaimParams{Service: &tc.params}}
			r := Evaluate(tr, c)
			checkWhy(t, r.Why)
			if r.Status != tc.status || r.Reason != tc.reason {
				t.Fatalf("got %s %q\nwant %s %q", r.Status, r.Reason, tc.status, tc.reason)
			}
			if strings.Join(r.Evidence, ",") != strings.Join(tc.evidence, ",") {
				t.Fatalf("evidence %v, want %v", r.Evidence, tc.evidence)
			}
		})
	}
}

func TestServiceParamsCheck(t *testing.T) {
	for _, tc := range []struct {
		p    ledger.ServiceParams
		want string
	}{
		{ledger.ServiceParams{AnswerMinutes: 1440, WindowDays: 90}, ""},
		{ledger.ServiceParams{AnswerMinutes: 0, WindowDays: 90}, "answerMinutes 0"},
		{ledger.ServiceParams{AnswerMinutes: 10, WindowDays: 0}, "windowDays 0"},
		{ledger.ServiceParams{AnswerMinutes: 10, WindowDays: 9, Topics: []string{"praise"}}, `topic "praise"`},
	} {
		err := ledger.ClaimParams{Service: &tc.p}.Check(ledger.ClaimService)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.p, err, tc.want)
		}
	}
}
