package capture_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
	"github.com/trustline/trustline/node/index"
)

// crashLedger is a capturetest.Ledger whose call number crashAt (from 1)
// records the event and then loses the answer (the node dies between the
// commit and its answer): it waits until the service closes. The calls
// after it wait too, recording nothing. crashAt 0 passes every call.
type crashLedger struct {
	*capturetest.Ledger
	crashAt int

	mu      sync.Mutex
	calls   int
	crashed chan struct{} // closed when the crashing call has recorded
}

func (l *crashLedger) Capture(ctx context.Context, source, fn string, args []string, opts ...client.CallOption) (*ledger.CaptureRecord, error) {
	l.mu.Lock()
	l.calls++
	n := l.calls
	l.mu.Unlock()
	switch {
	case l.crashAt == 0 || n < l.crashAt:
		return l.Ledger.Capture(ctx, source, fn, args, opts...)
	case n == l.crashAt:
		_, _ = l.Ledger.Capture(ctx, source, fn, args, opts...)
		close(l.crashed)
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// jobNode is a capture service over a store in dir, served over the
// org's TLS: what a node runs, opened and closed as a node restarts.
type jobNode struct {
	idx *index.Index
	svc *capture.Service
	srv *httptest.Server
}

func openJobNode(t *testing.T, dir string, org *capturetest.Org, l capture.Ledger) *jobNode {
	t.Helper()
	idx, err := index.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := capture.OpenService(l, idx, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(svc.Handler(capture.HandlerOptions{Clients: []capture.Client{
		{Name: capturetest.CommonName("erp")}, {Name: capturetest.CommonName("logger")},
	}}))
	srv.TLS = org.ServerTLS(t)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	n := &jobNode{idx: idx, svc: svc, srv: srv}
	t.Cleanup(n.close)
	return n
}

func (n *jobNode) close() {
	if n.idx == nil {
		return
	}
	n.srv.Close()
	n.svc.Close()
	n.idx.Close()
	n.idx = nil
}

// TestCaptureJobsSurviveRestart: capture jobs are kept in the node-local
// keyspace (not in the index's digest). After a restart GET /capture and
// GET /capture/{id} answer as before (to their own client only); a job
// interrupted mid-way, with one event recorded on the ledger whose answer
// was lost, resumes and completes with every event recorded once (that
// event is submitted again, refused as a duplicate, and reported
// accepted, resumed); a finished job is not run again.
func TestCaptureJobsSurviveRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	org := capturetest.NewOrg(t, "SupplierMSP", "erp", "logger")
	erp, logger := org.HTTPClient(t, "erp"), org.HTTPClient(t, "logger")
	f := capturetest.Example()
	doc := supplierDocument(t, f) // 6 events, submitted in order
	base := capturetest.NewLedger()

	// Run 1: a rolled-back document (finished at once), then the document,
	// whose third event is recorded and its answer lost as the node dies.
	l1 := &crashLedger{Ledger: base, crashAt: 3, crashed: make(chan struct{})}
	n1 := openJobNode(t, dir, org, l1)
	digest, err := n1.idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	bad := `{"type":"TransactionEvent","eventTime":"2025-06-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"shipping","bizTransactionList":[{"bizTransaction":"urn:x:po:1"}],"epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`
	r := do(t, erp, "POST", n1.srv.URL+"/capture", capturetest.Document(f.Now, f.Batch(), bad))
	rolledBack := waitJob(t, erp, n1.srv.URL+r.Header.Get("Location"))
	r = do(t, erp, "POST", n1.srv.URL+"/capture", doc)
	loc := r.Header.Get("Location")
	if r.StatusCode != 202 {
		t.Fatalf("POST /capture: %d %s", r.StatusCode, r.body)
	}
	select {
	case <-l1.crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not reach its third event")
	}
	var before capture.Job
	if err := json.Unmarshal(do(t, erp, "GET", n1.srv.URL+loc, nil).body, &before); err != nil || !before.Running || before.Accepted != 2 {
		t.Fatalf("job before the restart: %+v %v", before, err)
	}
	if d, _ := n1.idx.Digest(); d != digest {
		t.Error("capture jobs changed the index's Digest")
	}
	n1.close()
	if got := base.Recorded(); got != 3 {
		t.Fatalf("%d events recorded before the restart, want 3", got)
	}

	// Run 2: the job resumes and completes.
	n2 := openJobNode(t, dir, org, &crashLedger{Ledger: base})
	j := waitJob(t, erp, n2.srv.URL+loc)
	if !j.Success || j.Accepted != 6 || j.Duplicates != 0 || j.Rejected != 0 || len(j.Errors) != 0 || j.FinishedAt == "" || j.CreatedAt != before.CreatedAt {
		t.Fatalf("resumed job = %+v", j)
	}
	for i, e := range j.Events {
		if e.Status != capture.Accepted || e.LedgerEventID == "" || e.Resumed != (i == 2) {
			t.Errorf("resumed job's event %d = %+v (only event 2 was in flight)", i, e)
		}
	}
	if got := base.Recorded(); got != 6 {
		t.Errorf("%d events recorded, want each of 6 once", got)
	}
	calls := map[string]int{}
	for _, c := range base.Calls {
		calls[c.SourceEventID]++
	}
	if calls[f.EventID("pack")] != 2 || calls[f.EventID("batch")] != 1 || calls[f.EventID("ship")] != 1 {
		t.Errorf("ledger calls by event %v: want the interrupted event (pack) submitted twice, the others once", calls)
	}

	// The list survives, in order, for its client only.
	var jobs []capture.Job
	if err := json.Unmarshal(do(t, erp, "GET", n2.srv.URL+"/capture", nil).body, &jobs); err != nil || len(jobs) != 2 ||
		jobs[0].CaptureID != rolledBack.CaptureID || jobs[1].CaptureID != j.CaptureID {
		t.Fatalf("GET /capture after the restart: %+v %v", jobs, err)
	}
	if jobs[0].Running || jobs[0].Success || jobs[0].Rejected != 1 || len(jobs[0].Errors) != 1 || jobs[0].Events[0].Status != capture.NotSubmitted {
		t.Errorf("rolled-back job after the restart = %+v, before %+v", jobs[0], rolledBack)
	}
	if r := do(t, logger, "GET", n2.srv.URL+loc, nil); r.StatusCode != 404 {
		t.Errorf("another client's job after the restart: %d", r.StatusCode)
	} else if p := r.problem(t); p.Type != capture.NoSuchNameException {
		t.Errorf("404 problem %+v", p)
	}
	if r := do(t, erp, "GET", n2.srv.URL+"/capture/idnone", nil); r.StatusCode != 404 {
		t.Errorf("GET an unknown job: %d", r.StatusCode)
	} else {
		r.problem(t)
	}
	if d, _ := n2.idx.Digest(); d != digest {
		t.Error("capture jobs changed the index's Digest")
	}
	n2.close()

	// Run 3: nothing runs again; the same document again is duplicates only.
	n3 := openJobNode(t, dir, org, &crashLedger{Ledger: base})
	n3.svc.Wait()
	if len(base.Calls) != 7 {
		t.Errorf("%d ledger calls after a restart with finished jobs, want 7 (nothing run again)", len(base.Calls))
	}
	if again := waitJob(t, erp, n3.srv.URL+loc); again.Accepted != 6 || again.Running {
		t.Errorf("finished job after a second restart = %+v", again)
	}
	r = do(t, erp, "POST", n3.srv.URL+"/capture", doc)
	dup := waitJob(t, erp, n3.srv.URL+r.Header.Get("Location"))
	if dup.Duplicates != 6 || dup.Accepted != 0 || base.Recorded() != 6 {
		t.Errorf("the document captured again = %+v, recorded %d", dup, base.Recorded())
	}
}
