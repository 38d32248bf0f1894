package capture

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// slowLedger records each call's start and end and takes a while per
// call, as a ledger waiting for its block does; refuse names functions it
// refuses.
type slowLedger struct {
	mu          sync.Mutex
	log         []string // "start i" / "end i", i the call's source id
	inFlight    int
	maxInFlight int
	refuse      string
	gate        int
}

func (l *slowLedger) Capture(ctx context.Context, source, fn string, _ []string, _ ...client.CallOption) (*ledger.CaptureRecord, error) {
	l.mu.Lock()
	l.log = append(l.log, "start "+source)
	l.inFlight++
	l.maxInFlight = max(l.maxInFlight, l.inFlight)
	l.mu.Unlock()
	// Each call waits (for a while at most) until gate calls were in
	// flight together, so that a loaded machine's scheduling does not
	// decide the test.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		m := l.maxInFlight
		l.mu.Unlock()
		if m >= l.gate {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, "end "+source)
	l.inFlight--
	if fn == l.refuse {
		return nil, &client.RejectedError{Function: fn, Reason: "refused", Err: client.ErrState}
	}
	return &ledger.CaptureRecord{SourceEventID: source, EventID: "ledger-" + source, Function: fn}, nil
}

func (l *slowLedger) Event(context.Context, string, ...client.CallOption) (json.RawMessage, error) {
	return nil, client.ErrNotFound
}

// pos is where an entry is in the log.
func (l *slowLedger) pos(entry string) int {
	for i, e := range l.log {
		if e == entry {
			return i
		}
	}
	return -1
}

// TestPipelining: independent events (other lots) are in flight together;
// an event waits for every earlier event of its lot, and one that moves
// custody (shipping) for every earlier event, and the events after it for
// it. Under rollback a refusal stops the submission of the events after
// it.
func TestPipelining(t *testing.T) {
	lot := func(i int) string { return fmt.Sprintf("https://id.gs1.org/01/09506000134352/10/L%d", i) }
	readings := func(id string, l int) string {
		return `{"type":"ObjectEvent","eventID":"urn:x:` + id + `","eventTime":"2025-07-01T10:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"sensor_reporting",` +
			`"quantityList":[{"epcClass":"` + lot(l) + `"}],"sensorElementList":[{"sensorMetadata":{"time":"2025-07-01T10:00:00Z","deviceID":"urn:x:d"},"sensorReport":[{"type":"Temperature","value":4,"uom":"CEL"}]}]}`
	}
	ship := func(id string, l int) string {
		return `{"type":"ObjectEvent","eventID":"urn:x:` + id + `","eventTime":"2025-07-01T10:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"shipping",` +
			`"quantityList":[{"epcClass":"` + lot(l) + `"}],"tl:to":"LogisticsMSP","destinationList":[{"type":"location","destination":"https://id.gs1.org/414/9506000134383"}]}`
	}
	doc := func(events ...string) []prepared {
		var evs []epcis.Event
		for _, e := range events {
			var ev epcis.Event
			if err := json.Unmarshal([]byte(e), &ev); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
		ps := mapAll(evs, make([]string, len(evs)))
		for i, p := range ps {
			if p.err != nil {
				t.Fatalf("event %d: %v", i, p.err)
			}
		}
		return ps
	}
	ps := doc(readings("a1", 1), readings("b1", 2), readings("c1", 3), readings("a2", 1), ship("s", 4), readings("d1", 5), readings("b2", 2))
	if ps[0].call.Lots == nil || ps[4].call.Lots != nil {
		t.Fatalf("lots: readings %v, shipping %v", ps[0].call.Lots, ps[4].call.Lots)
	}

	l := &slowLedger{gate: 3}
	s := NewService(l, &Options{Concurrency: 4})
	defer s.Close()
	j, _ := s.start("erp", Proceed, ps)
	s.Wait()
	got, _ := s.Job("erp", j.CaptureID)
	if got.Accepted != len(ps) {
		t.Fatalf("job %+v", got)
	}
	before := func(a, b string) {
		t.Helper()
		if pa, pb := l.pos(a), l.pos(b); pa < 0 || pb < 0 || pa > pb {
			t.Errorf("%q is not before %q:\n%s", a, b, strings.Join(l.log, "\n"))
		}
	}
	if l.maxInFlight < 3 {
		t.Errorf("at most %d events in flight, want the three independent readings together:\n%s", l.maxInFlight, strings.Join(l.log, "\n"))
	}
	before("end urn:x:a1", "start urn:x:a2") // same lot
	for _, e := range []string{"a1", "b1", "c1", "a2"} {
		before("end urn:x:"+e, "start urn:x:s") // shipping after everything before it
	}
	before("end urn:x:s", "start urn:x:d1") // and everything after it after it
	before("end urn:x:s", "start urn:x:b2")

	// Rollback: the shipping is refused; what was before it is recorded,
	// nothing after it is submitted.
	l = &slowLedger{refuse: client.FnShip}
	s2 := NewService(l, &Options{Concurrency: 4})
	defer s2.Close()
	j, _ = s2.start("erp", Rollback, doc(readings("a1", 1), readings("b1", 2), ship("s", 4), readings("d1", 5)))
	s2.Wait()
	got, _ = s2.Job("erp", j.CaptureID)
	want := []Status{Accepted, Accepted, Rejected, NotSubmitted}
	for i, e := range got.Events {
		if e.Status != want[i] {
			t.Errorf("rollback: event %d is %s, want %s", i, e.Status, want[i])
		}
	}
	if len(got.Errors) != 2 || got.Errors[1].Title != "Rollback incomplete" || l.pos("start urn:x:d1") >= 0 {
		t.Errorf("rollback: errors %+v, ledger calls %v", got.Errors, l.log)
	}
}
