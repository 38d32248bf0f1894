package capture

// Capture jobs across restarts. With a Store (OpenService: the node's
// index, in its node-local keyspace, outside the ledger-derived digest),
// a job is stored when it is created, with the mapped calls it has to
// submit; each event's progress is stored as it happens (marked before
// it goes to the ledger, then its outcome); a finished job is stored as
// its final report, without the calls, in one batch with the removal of
// its progress. A node that stops (or is killed) mid-job resumes the job
// when it opens again: it submits the events that are still pending. An
// event that was in flight when the node stopped may have been recorded:
// submitted again, the ledger refuses its id as a duplicate (an id is
// recorded once, whoever submits it), and the job reports it accepted,
// resumed, since its own first submission recorded it.
//
//	J capture-job {captureID}             → jobRecord
//	J capture-event {captureID}/{index}   → progress, while the job runs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/trustline/trustline/node/index"
)

// Store keeps capture jobs: a node's *index.Index (its node-local
// records).
type Store interface {
	LocalScan(ns, after string, fn func(k string, v []byte) bool) error
	LocalBatch(ops []index.LocalOp) error
}

// Node-local namespaces of capture jobs.
const (
	jobNS      = "capture-job"
	progressNS = "capture-event"
)

// jobRecord is a job as stored.
type jobRecord struct {
	Seq    uint64 `json:"seq"`
	Client string `json:"client"`
	Job    Job    `json:"job"`
	// Calls are the job's mapped events, by index, while it runs: what a
	// resumed job submits. Nil once it is finished.
	Calls []Call `json:"calls,omitempty"`
}

// progress is an event of a running job once it has been submitted.
type progress struct {
	Status        Status   `json:"status"` // pending: submitted, no answer stored
	LedgerEventID string   `json:"ledgerEventID,omitempty"`
	Resumed       bool     `json:"resumed,omitempty"`
	Problem       *Problem `json:"problem,omitempty"`
	// Stop is the rollback this event's refusal stopped.
	Stop *Problem `json:"stop,omitempty"`
}

func progressKey(id string, i int) string { return id + "/" + strconv.Itoa(i) }

// OpenService returns a service recording into l that keeps its jobs in
// store across restarts, and resumes the jobs that were running when it
// last stopped. Close stops its jobs.
func OpenService(l Ledger, store Store, opts *Options) (*Service, error) {
	s := NewService(l, opts)
	s.store = store
	var recs []jobRecord
	var ferr error
	err := store.LocalScan(jobNS, "", func(k string, v []byte) bool {
		var r jobRecord
		if ferr = json.Unmarshal(v, &r); ferr != nil {
			ferr = fmt.Errorf("capture job %s: %w", k, ferr)
			return false
		}
		recs = append(recs, r)
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		s.cancel()
		return nil, err
	}
	sort.Slice(recs, func(a, b int) bool { return recs[a].Seq < recs[b].Seq })
	type resume struct {
		j         *Job
		ps        []prepared
		submitted []bool
	}
	var resumes []resume
	for _, r := range recs {
		j := r.Job
		j.client, j.seq = r.Client, r.Seq
		if j.Errors == nil {
			j.Errors = []Problem{}
		}
		s.seq = max(s.seq, r.Seq)
		if j.Running {
			submitted, err := s.loadProgress(&j)
			if err != nil {
				s.cancel()
				return nil, err
			}
			if len(r.Calls) != len(j.Events) {
				s.cancel()
				return nil, fmt.Errorf("capture job %s: %d calls stored for %d events", j.CaptureID, len(r.Calls), len(j.Events))
			}
			ps := make([]prepared, len(r.Calls))
			for i, c := range r.Calls {
				ps[i] = prepared{call: c}
			}
			resumes = append(resumes, resume{&j, ps, submitted})
		}
		s.jobs[j.CaptureID] = &j
		s.order = append(s.order, j.CaptureID)
	}
	for _, r := range resumes {
		s.opts.Logger.Info("resuming capture job", "captureID", r.j.CaptureID, "events", len(r.ps))
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(r.j, r.ps, r.submitted)
		}()
	}
	return s, nil
}

// loadProgress applies a running job's stored progress to j and returns
// which events had been submitted.
func (s *Service) loadProgress(j *Job) ([]bool, error) {
	submitted := make([]bool, len(j.Events))
	pre := j.CaptureID + "/"
	var ferr error
	err := s.store.LocalScan(progressNS, j.CaptureID, func(k string, v []byte) bool {
		rest, ok := strings.CutPrefix(k, pre)
		if !ok {
			return false
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i < 0 || i >= len(j.Events) {
			ferr = fmt.Errorf("capture job %s: progress key %q names no event", j.CaptureID, k)
			return false
		}
		var p progress
		if ferr = json.Unmarshal(v, &p); ferr != nil {
			return false
		}
		submitted[i] = true
		e := &j.Events[i]
		e.Status, e.LedgerEventID, e.Resumed = p.Status, p.LedgerEventID, p.Resumed
		if p.Problem != nil {
			j.Errors = append(j.Errors, *p.Problem)
		}
		if p.Stop != nil {
			j.Errors = append(j.Errors, *p.Stop)
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	j.Accepted, j.Duplicates, j.Rejected = 0, 0, 0
	for _, e := range j.Events {
		switch e.Status {
		case Accepted:
			j.Accepted++
		case Duplicate:
			j.Duplicates++
		case Rejected:
			j.Rejected++
		}
	}
	j.Success = j.Rejected == 0
	return submitted, nil
}

func (s *Service) write(ops []index.LocalOp) error {
	if s.store == nil || len(ops) == 0 {
		return nil
	}
	return s.store.LocalBatch(ops)
}

// storeStarted stores a new job with its calls (only the report once it
// is finished already: a rolled-back document).
func (s *Service) storeStarted(j *Job, ps []prepared) error {
	if s.store == nil {
		return nil
	}
	r := jobRecord{Seq: j.seq, Client: j.client, Job: *j}
	if j.Running {
		r.Calls = make([]Call, len(ps))
		for i, p := range ps {
			r.Calls[i] = p.call
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.write([]index.LocalOp{{NS: jobNS, Key: j.CaptureID, Value: b}}); err != nil {
		return fmt.Errorf("storing capture job: %w", err)
	}
	return nil
}

// storeProgress stores event i's state; problem and stop are its
// rejection's.
func (s *Service) storeProgress(j *Job, i int, problem, stop *Problem) {
	if s.store == nil {
		return
	}
	s.mu.Lock()
	e := j.Events[i]
	s.mu.Unlock()
	b, _ := json.Marshal(progress{Status: e.Status, LedgerEventID: e.LedgerEventID, Resumed: e.Resumed, Problem: problem, Stop: stop})
	if err := s.write([]index.LocalOp{{NS: progressNS, Key: progressKey(j.CaptureID, i), Value: b}}); err != nil {
		s.opts.Logger.Warn("storing capture progress", "captureID", j.CaptureID, "event", i, "err", err)
	}
}

// storeFinished replaces a finished job's calls and progress by its
// report, in one batch.
func (s *Service) storeFinished(j *Job) {
	if s.store == nil {
		return
	}
	s.mu.Lock()
	r := jobRecord{Seq: j.seq, Client: j.client, Job: j.copy()}
	s.mu.Unlock()
	b, err := json.Marshal(r)
	if err == nil {
		ops := []index.LocalOp{{NS: jobNS, Key: j.CaptureID, Value: b}}
		for i := range r.Job.Events {
			ops = append(ops, index.LocalOp{NS: progressNS, Key: progressKey(j.CaptureID, i), Delete: true})
		}
		err = s.write(ops)
	}
	if err != nil {
		s.opts.Logger.Warn("storing finished capture job", "captureID", j.CaptureID, "err", err)
	}
}

// storeEvicted deletes jobs no longer kept.
func (s *Service) storeEvicted(ids []string) {
	var ops []index.LocalOp
	for _, id := range ids {
		ops = append(ops, index.LocalOp{NS: jobNS, Key: id, Delete: true})
	}
	if err := s.write(ops); err != nil {
		s.opts.Logger.Warn("deleting old capture jobs", "err", err)
	}
}
