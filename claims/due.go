package claims

import (
	"time"

	"github.com/trustline/trustline/ledger"
)

// Verdicts that follow the clock. A service_within verdict changes with
// no new event when a ticket's time to answer runs out (an unanswered
// ticket becomes broken) and when a ticket leaves the window; evaluating
// only at ledger times would leave an overdue ticket open until the
// product's next event. Due names the next such instant and EvaluateAsOf
// follows a verdict through them. The instants follow from the trace
// alone, so a verdict advanced to one is the same on every node and from a
// receipt: the result is evaluated at the last instant passed, not at the
// caller's clock.

// Due is the first instant after tr.At at which c's verdict on tr may
// change without new evidence; zero when none comes. Only service_within
// has such instants (an event of tr later than tr.At counts too: it enters
// the evaluation then).
func Due(tr Trace, c ledger.Claim) time.Time {
	if c.Kind != ledger.ClaimService || c.Params.Service == nil {
		return time.Time{}
	}
	p := *c.Params.Service
	limit := time.Duration(p.AnswerMinutes) * time.Minute
	window := time.Duration(p.WindowDays) * 24 * time.Hour
	var due time.Time
	next := func(t time.Time) {
		if t.After(tr.At) && (due.IsZero() || t.Before(due)) {
			due = t
		}
	}
	later := tr
	later.At = time.Unix(1<<62, 0) // every event of the trace
	for _, ev := range serviceEvents(later) {
		next(ev.at)
	}
	for _, t := range tickets(tr, p) {
		// Broken once more than limit has passed unanswered; out of the
		// window once filed more than window before the evaluation.
		if t.answered.IsZero() {
			next(t.filed.Add(limit + time.Nanosecond))
		}
		next(t.filed.Add(window + time.Nanosecond))
	}
	return due
}

// EvaluateAsOf is Evaluate followed through every Due instant up to now:
// c's verdict on tr as the clock at now has it, evaluated at the last
// instant passed (tr.At when none), with the next instant after now at
// which it may change (zero: none). tr must hold the evidence up to now.
func EvaluateAsOf(tr Trace, c ledger.Claim, now time.Time) (Result, time.Time) {
	for {
		d := Due(tr, c)
		if d.IsZero() || d.After(now) {
			return Evaluate(tr, c), d
		}
		tr.At = d
	}
}
