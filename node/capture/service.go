package capture

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// Ledger is where captured events are recorded, as the node's
// organisation: a *client.Client.
type Ledger interface {
	Capture(ctx context.Context, sourceEventID, fn string, args []string, opts ...client.CallOption) (*ledger.CaptureRecord, error)
	Event(ctx context.Context, id string, opts ...client.CallOption) (json.RawMessage, error)
}

// Behaviour is the GS1-Capture-Error-Behaviour of a capture job.
type Behaviour string

// Behaviours. Rollback is the default.
const (
	Rollback Behaviour = "rollback"
	Proceed  Behaviour = "proceed"
)

// Status is what became of one event of a capture job.
type Status string

// Statuses.
const (
	// Pending: not submitted yet (the job is running).
	Pending Status = "pending"
	// Accepted: recorded on the ledger by this job.
	Accepted Status = "accepted"
	// Duplicate: its id was already on the ledger; not recorded again.
	Duplicate Status = "duplicate"
	// Rejected: the contract cannot state it, or refused it.
	Rejected Status = "rejected"
	// NotSubmitted: not submitted because of another event's failure
	// under rollback.
	NotSubmitted Status = "not-submitted"
)

// EventResult is one event of a capture job.
type EventResult struct {
	Index int `json:"index"`
	// EventID is the captured event's id: its eventID, or its CBV hash.
	EventID string `json:"eventID"`
	// LedgerEventID is the id of the event the contract recorded for it
	// (accepted and duplicate events).
	LedgerEventID string `json:"ledgerEventID,omitempty"`
	Function      string `json:"function,omitempty"`
	Status        Status `json:"status"`
	// Resumed: the event had been submitted when the node stopped, and
	// the job, resumed after the restart, found it recorded (accepted:
	// by this job's interrupted submission; the ledger records an id once
	// whoever submits it).
	Resumed bool `json:"resumed,omitempty"`
}

// Problem is an RFC 7807 problem, with the EPCIS exception as its type;
// a capture job's errors name the event (its index and id).
type Problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Instance   string `json:"instance,omitempty"`
	EventIndex *int   `json:"eventIndex,omitempty"`
	EventID    string `json:"eventID,omitempty"`
}

// EPCIS exception types.
const (
	ValidationException           = "epcisException:ValidationException"
	SecurityException             = "epcisException:SecurityException"
	CaptureLimitExceeded          = "epcisException:CaptureLimitExceededException"
	ResourceAlreadyExists         = "epcisException:ResourceAlreadyExistsException"
	NoSuchNameException           = "epcisException:NoSuchNameException"
	ImplementationException       = "epcisException:ImplementationException"
	UnsupportedMediaTypeException = "epcisException:UnsupportedMediaTypeException"
)

// Job is a capture job as GET /capture/{captureID} reports it (GS1's
// CaptureJob, with trustline's counts and per-event results).
type Job struct {
	CaptureID  string    `json:"captureID"`
	CreatedAt  string    `json:"createdAt"`
	FinishedAt string    `json:"finishedAt,omitempty"`
	Running    bool      `json:"running"`
	Success    bool      `json:"success"`
	Behaviour  Behaviour `json:"captureErrorBehaviour"`
	Errors     []Problem `json:"errors"`
	// Counts of Events by status.
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   int           `json:"rejected"`
	Events     []EventResult `json:"events"`

	client string
	seq    uint64 // creation order, kept across restarts
}

// Options configure a Service. The zero value is the default.
type Options struct {
	// MaxEvents is GS1-EPCIS-Capture-Limit: events per capture. Default 500.
	MaxEvents int
	// MaxBytes is GS1-EPCIS-Capture-File-Size-Limit. Default 4 MiB.
	MaxBytes int64
	// KeepJobs is how many finished jobs are kept. Default 1000.
	KeepJobs int
	// Concurrency is how many events of a job may be in flight to the
	// ledger at once (independent events only: see Service.submitAll).
	// Default 16; 1 submits one event at a time.
	Concurrency int
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultMaxEvents   = 500
	DefaultMaxBytes    = 4 << 20
	DefaultKeepJobs    = 1000
	DefaultConcurrency = 16
)

// Service runs capture jobs against a Ledger.
type Service struct {
	ledger Ledger
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// store keeps the jobs across restarts (jobstore.go); nil: in
	// memory only.
	store Store

	mu    sync.Mutex
	jobs  map[string]*Job
	order []string
	seq   uint64
}

// NewService returns a service recording into l, keeping its jobs in
// memory only (OpenService keeps them across restarts). Close stops its
// jobs.
func NewService(l Ledger, opts *Options) *Service {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.KeepJobs <= 0 {
		o.KeepJobs = DefaultKeepJobs
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{ledger: l, opts: o, ctx: ctx, cancel: cancel, jobs: map[string]*Job{}}
}

// Close stops running jobs (their remaining events stay pending: with a
// Store, the jobs resume when the service is opened again) and waits for
// them.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Wait waits until no job is running.
func (s *Service) Wait() { s.wg.Wait() }

// prepared is a captured event checked and mapped, or the reason it
// cannot be stated.
type prepared struct {
	call Call
	err  error
}

// RequestError is a capture request refused as a whole (HTTP 4xx).
type RequestError struct{ Problem Problem }

func (e *RequestError) Error() string { return e.Problem.Title + ": " + e.Problem.Detail }

func badRequest(format string, args ...any) error {
	return &RequestError{Problem{Type: ValidationException, Title: "Invalid capture request", Status: 400, Detail: fmt.Sprintf(format, args...)}}
}

// prepare parses an EPCISDocument (or EPCISQueryDocument), gives every
// event its id and maps it. A document that is not valid EPCIS 2.0 JSON
// is a *RequestError; an event the contract cannot state is a prepared
// with err.
func (s *Service) prepare(body []byte) ([]prepared, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, badRequest("the body is not JSON: %v", err)
	}
	var events []epcis.Event
	switch head.Type {
	case "EPCISDocument":
		var d epcis.Document
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, badRequest("not an EPCIS 2.0 EPCISDocument: %v", err)
		}
		if err := d.Validate(); err != nil {
			return nil, badRequest("%v", err)
		}
		events = d.EPCISBody.EventList
	case "EPCISQueryDocument":
		var d epcis.QueryDocument
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, badRequest("not an EPCIS 2.0 EPCISQueryDocument: %v", err)
		}
		events = d.EPCISBody.QueryResults.ResultsBody.EventList
		for i := range events {
			if err := events[i].Validate(); err != nil {
				return nil, badRequest("epcisBody.queryResults.resultsBody.eventList[%d]: %v", i, err)
			}
		}
	default:
		return nil, badRequest("type is %q: capture takes an EPCISDocument or EPCISQueryDocument", head.Type)
	}
	if len(events) > s.opts.MaxEvents {
		return nil, &RequestError{tooLarge(fmt.Sprintf("%d events, more than the capture limit of %d", len(events), s.opts.MaxEvents))}
	}
	if len(events) == 0 {
		return nil, badRequest("the document has no events")
	}
	hashes, err := epcis.HashDocumentAs(epcis.Current, body)
	if err != nil {
		return nil, badRequest("computing the events' CBV hashes: %v", err)
	}
	return mapAll(events, hashes), nil
}

func mapAll(events []epcis.Event, hashes []string) []prepared {
	out := make([]prepared, len(events))
	for i := range events {
		id := events[i].EventID
		if id == "" {
			id = hashes[i]
		}
		c, err := Map(&events[i], id)
		out[i] = prepared{call: c, err: err}
	}
	return out
}

func tooLarge(detail string) Problem {
	return Problem{Type: CaptureLimitExceeded, Title: "Capture payload too large", Status: 413, Detail: detail}
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "id" + hex.EncodeToString(b)
}

// start records a job for the prepared events of body and runs it in
// the background. Events that cannot be stated are rejected at once;
// under rollback such an event finishes the job before anything is
// submitted. With a Store, the job is stored before it is answered, with
// what it has to submit, so that it resumes after a restart.
func (s *Service) start(clientName string, b Behaviour, ps []prepared) (*Job, error) {
	j := &Job{
		CaptureID: newID(), CreatedAt: s.opts.Now().UTC().Format(time.RFC3339), Running: true, Success: true,
		Behaviour: b, Errors: []Problem{}, client: clientName,
	}
	failed := false
	for i, p := range ps {
		j.Events = append(j.Events, EventResult{Index: i, EventID: p.call.SourceEventID, Function: p.call.Function, Status: Pending})
		if p.err != nil {
			j.reject(eventProblem(i, p.call.SourceEventID, p.err))
			failed = true
		}
	}
	if failed && b == Rollback {
		// Nothing of a rolled-back capture is recorded: every event is
		// checked and mapped before any is submitted.
		for i := range j.Events {
			if j.Events[i].Status == Pending {
				j.Events[i].Status = NotSubmitted
			}
		}
		j.finish(s.opts.Now())
	}
	s.mu.Lock()
	s.seq++
	j.seq = s.seq
	s.mu.Unlock()
	if err := s.storeStarted(j, ps); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.jobs[j.CaptureID] = j
	s.order = append(s.order, j.CaptureID)
	evicted := s.evictLocked()
	s.mu.Unlock()
	s.storeEvicted(evicted)
	if j.Running {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(j, ps, nil)
		}()
	}
	return j, nil
}

// evictLocked forgets the oldest finished jobs beyond KeepJobs and
// returns their ids.
func (s *Service) evictLocked() []string {
	var out []string
	for len(s.order) > s.opts.KeepJobs {
		id := s.order[0]
		if s.jobs[id].Running {
			break
		}
		delete(s.jobs, id)
		s.order = s.order[1:]
		out = append(out, id)
	}
	return out
}

// reject marks event i rejected for p.
func (j *Job) reject(p Problem) {
	j.Events[*p.EventIndex].Status = Rejected
	j.Rejected++
	j.Success = false
	j.Errors = append(j.Errors, p)
}

// finish ends a job: errors in document order (events in flight together
// fail in any order).
func (j *Job) finish(now time.Time) {
	sort.SliceStable(j.Errors, func(a, b int) bool { return errorIndex(j.Errors[a]) < errorIndex(j.Errors[b]) })
	j.Running = false
	j.FinishedAt = now.UTC().Format(time.RFC3339)
}

// run submits a job's mapped events (pipelined: submitAll) and finishes
// it, unless the service is closing: then the job stays running, to be
// resumed from its Store. submitted marks the events a resumed job had
// submitted before it stopped.
func (s *Service) run(j *Job, ps []prepared, submitted []bool) {
	s.submitAll(j, ps, submitted)
	s.mu.Lock()
	if s.ctx.Err() != nil && j.pending() {
		s.mu.Unlock()
		return // interrupted: resumed when the service opens again
	}
	j.finish(s.opts.Now())
	s.mu.Unlock()
	s.storeFinished(j)
}

// pending reports whether an event of j is still to be submitted.
func (j *Job) pending() bool {
	for _, e := range j.Events {
		if e.Status == Pending {
			return true
		}
	}
	return false
}

func errorIndex(p Problem) int {
	if p.EventIndex == nil {
		return -1
	}
	return *p.EventIndex
}

// submitAll submits a job's mapped events, pipelined: an event waits for
// every earlier event it may depend on (one concerning the same lot, or
// any earlier event when it moves custody or containment; Call.Lots) and
// otherwise goes to the ledger at once, up to Options.Concurrency in
// flight, so that independent events share blocks instead of waiting for
// one block each. Under rollback, once an event is refused no further
// event is submitted; those in flight finish and are reported. Events
// that are no longer pending (a resumed job's) are skipped.
func (s *Service) submitAll(j *Job, ps []prepared, submitted []bool) {
	sem := make(chan struct{}, s.opts.Concurrency)
	done := make([]chan struct{}, len(ps)) // nil: not submitted
	lastOfLot := map[string]int{}
	barrier := -1 // the last event submitted that keeps document order
	var stop sync.Once
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	wait := func(k int) bool {
		if k < 0 || done[k] == nil {
			return true
		}
		select {
		case <-done[k]:
			return true
		case <-s.ctx.Done():
			return false
		}
	}
	s.mu.Lock()
	status := make([]Status, len(j.Events))
	for i, e := range j.Events {
		status[i] = e.Status
	}
	s.mu.Unlock()
	if j.Behaviour == Rollback && slices.Contains(status, Rejected) {
		// A resumed job that had been stopped by a refusal.
		s.notSubmitted(j, ps, 0)
		return
	}
	for i, p := range ps {
		if p.err != nil || status[i] != Pending {
			continue
		}
		// Dependencies first, in document order.
		ok := wait(barrier)
		if p.call.Lots == nil {
			for k := barrier + 1; k < i && ok; k++ {
				ok = wait(k)
			}
		} else {
			for _, l := range p.call.Lots {
				if k, seen := lastOfLot[l]; seen && ok {
					ok = wait(k)
				}
			}
		}
		if !ok {
			return // closing: the rest stays pending
		}
		if isClosed(stopped) {
			s.notSubmitted(j, ps, i)
			return
		}
		select {
		case sem <- struct{}{}:
		case <-s.ctx.Done():
			return
		}
		if isClosed(stopped) { // while waiting for a slot
			<-sem
			s.notSubmitted(j, ps, i)
			return
		}
		done[i] = make(chan struct{})
		if p.call.Lots == nil {
			barrier = i
		}
		for _, l := range p.call.Lots {
			lastOfLot[l] = i
		}
		wg.Add(1)
		wasSubmitted := submitted != nil && submitted[i]
		go func() {
			defer wg.Done()
			defer close(done[i])
			defer func() { <-sem }()
			// Marked before it goes to the ledger: if the node stops before
			// the answer is stored, the resumed job knows a duplicate may be
			// its own.
			s.storeProgress(j, i, nil, nil)
			rec, err := s.submit(s.ctx, p.call)
			var dup *client.DuplicateError
			switch {
			case err == nil:
				s.set(j, i, Accepted, rec.EventID, false)
			case errors.As(err, &dup):
				if wasSubmitted {
					s.set(j, i, Accepted, dup.EventID, true)
				} else {
					s.set(j, i, Duplicate, dup.EventID, false)
				}
			case s.ctx.Err() != nil:
				// closing: stays pending
			default:
				var stopP *Problem
				if j.Behaviour == Rollback {
					stop.Do(func() {
						close(stopped)
						ix := i
						stopP = &Problem{
							Type: ImplementationException, Title: "Rollback incomplete", EventIndex: &ix, EventID: p.call.SourceEventID,
							Detail: fmt.Sprintf("event %d was refused when submitted, after the document had been checked; the events recorded before it stay on the ledger (a ledger cannot undo a committed transaction; see each event's status), the events after it were not submitted", i),
						}
					})
				}
				s.fail(j, i, p.call.SourceEventID, err, stopP)
			}
		}()
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// notSubmitted marks the mapped events from i on as not submitted.
func (s *Service) notSubmitted(j *Job, ps []prepared, from int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := from; k < len(ps); k++ {
		if ps[k].err == nil {
			j.Events[k].Status = NotSubmitted
		}
	}
}

// Lagging peers: an event submitted right after the one it depends on
// may be endorsed by a peer that has not committed that one yet (a lot it
// does not know, or peers whose simulations disagree). Such refusals are
// tried again a few times before they count; nothing was recorded by them.
var lagRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// submit states one mapped event on the ledger.
func (s *Service) submit(ctx context.Context, c Call) (*ledger.CaptureRecord, error) {
	for i := 0; ; i++ {
		rec, err := s.ledger.Capture(ctx, c.SourceEventID, c.Function, c.Args)
		if err == nil || i == len(lagRetries) || !lagging(err) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(lagRetries[i]):
		}
	}
}

func lagging(err error) bool {
	var dup *client.DuplicateError
	if errors.As(err, &dup) {
		return false
	}
	return errors.Is(err, client.ErrNotFound) || client.EndorsersDisagree(err)
}

func (s *Service) set(j *Job, i int, st Status, ledgerID string, resumed bool) {
	s.mu.Lock()
	j.Events[i].Status, j.Events[i].LedgerEventID, j.Events[i].Resumed = st, ledgerID, resumed
	switch st {
	case Accepted:
		j.Accepted++
	case Duplicate:
		j.Duplicates++
	}
	s.mu.Unlock()
	s.storeProgress(j, i, nil, nil)
}

// fail rejects event i for err; stop is the problem of a rollback it
// stopped.
func (s *Service) fail(j *Job, i int, id string, err error, stop *Problem) {
	p := eventProblem(i, id, err)
	s.mu.Lock()
	j.reject(p)
	if stop != nil {
		j.Errors = append(j.Errors, *stop)
	}
	s.mu.Unlock()
	s.storeProgress(j, i, &p, stop)
}

// eventProblem describes why an event was not recorded.
func eventProblem(i int, id string, err error) Problem {
	ix := i
	p := Problem{Type: ValidationException, Title: "Event rejected", Status: 400, EventIndex: &ix, EventID: id}
	var un *UnsupportedError
	var re *client.RejectedError
	switch {
	case errors.As(err, &un):
		p.Title = "The consortium's contract cannot state this event"
		p.Detail = fmt.Sprintf("event %d (%s): %s", i, id, un.Reason)
	case errors.As(err, &re):
		if errors.Is(re, client.ErrForbidden) {
			p.Type, p.Status = SecurityException, 403
		}
		p.Title = "The contract refused this event"
		p.Detail = fmt.Sprintf("event %d (%s): %s: %s", i, id, re.Function, re.Reason)
	default:
		p.Type, p.Status, p.Title = ImplementationException, 500, "The event could not be submitted"
		p.Detail = fmt.Sprintf("event %d (%s): %v", i, id, err)
	}
	return p
}

// Job returns a copy of the job with id if clientName may see it.
func (s *Service) Job(clientName, id string) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok || j.client != clientName {
		return Job{}, false
	}
	return j.copy(), true
}

// Jobs returns copies of clientName's jobs, oldest first.
func (s *Service) Jobs(clientName string) []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Job{}
	for _, id := range s.order {
		if j := s.jobs[id]; j.client == clientName {
			out = append(out, j.copy())
		}
	}
	return out
}

func (j *Job) copy() Job {
	c := *j
	c.Errors = append([]Problem{}, j.Errors...)
	c.Events = append([]EventResult(nil), j.Events...)
	return c
}

// prepareOne parses and maps one event (POST /events).
func prepareOne(body []byte) (prepared, error) {
	var ev epcis.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return prepared{}, badRequest("not an EPCIS 2.0 event: %v", err)
	}
	if err := ev.Validate(); err != nil {
		return prepared{}, badRequest("%v", err)
	}
	id := ev.EventID
	if id == "" {
		h, err := epcis.HashEventAs(epcis.Current, bytes.TrimSpace(body))
		if err != nil {
			return prepared{}, badRequest("computing the event's CBV hash: %v", err)
		}
		id = h
	}
	c, err := Map(&ev, id)
	return prepared{call: c, err: err}, nil
}
