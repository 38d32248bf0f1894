package capture_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
)

// validate checks every response, and every request the node accepted,
// against GS1's EPCIS 2.0 REST binding (and EPCIS documents in them
// against the EPCIS 2.0 JSON schema).
func validate(t *testing.T, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	c := apitest.GS1(t)
	if resp.StatusCode == http.StatusTooManyRequests {
		return // the binding defines no status for rate limits: RFC 6585's, checked by the test
	}
	if resp.StatusCode < 400 {
		if err := c.CheckRequest(req, reqBody); err != nil {
			t.Error(err)
		}
	}
	if err := c.CheckResponse(req, reqBody, resp, respBody); err != nil {
		t.Error(err)
	}
}

type response struct {
	*http.Response
	body []byte
}

func (r response) problem(t *testing.T) capture.Problem {
	t.Helper()
	var p capture.Problem
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, r.body)
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != r.StatusCode || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %s: %v", r.body, err)
	}
	return p
}

func do(t *testing.T, c *http.Client, method, url string, body []byte, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, req, body, resp, b)
	return response{resp, b}
}

// waitJob polls a capture job until it stops running.
func waitJob(t *testing.T, c *http.Client, url string) capture.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := do(t, c, "GET", url, nil)
		if r.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, r.StatusCode, r.body)
		}
		var j capture.Job
		if err := json.Unmarshal(r.body, &j); err != nil {
			t.Fatal(err)
		}
		if !j.Running {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still running: %s", r.body)
		}
		time.Sleep(150 * time.Millisecond) // within the default rate limit
	}
}

func supplierDocument(t *testing.T, f capturetest.Fixture) []byte {
	return capturetest.Document(f.Now, f.Batch(), f.Readings(), f.Pack(), f.Unpack(), f.Transform(), f.Ship())
}

func startServer(t *testing.T, opts *capture.Options) (*capturetest.Server, *http.Client) {
	org := capturetest.NewOrg(t, "SupplierMSP", "erp", "logger", "stranger")
	s := capturetest.Start(t, org, opts, capture.HandlerOptions{Clients: []capture.Client{
		{Name: capturetest.CommonName("erp")},
		{Name: capturetest.CommonName("logger"), BizSteps: []string{"sensor_reporting"}},
	}})
	return s, org.HTTPClient(t, "erp")
}

func TestCaptureJob(t *testing.T) {
	s, erp := startServer(t, nil)
	f := capturetest.Example()
	doc := supplierDocument(t, f)

	r := do(t, erp, "OPTIONS", s.URL+"/capture", nil)
	if r.StatusCode != 204 || r.Header.Get(capture.HeaderCaptureLimit) != "500" || r.Header.Get(capture.HeaderFileSizeLimit) != fmt.Sprint(capture.DefaultMaxBytes) ||
		r.Header.Get(capture.HeaderErrorBehaviour) != "rollback" || r.Header.Get("GS1-EPCIS-Version") == "" {
		t.Fatalf("OPTIONS /capture: %d %v", r.StatusCode, r.Header)
	}

	r = do(t, erp, "POST", s.URL+"/capture", doc)
	loc := r.Header.Get("Location")
	if r.StatusCode != 202 || !strings.HasPrefix(loc, "/capture/") {
		t.Fatalf("POST /capture: %d %q %s", r.StatusCode, loc, r.body)
	}
	j := waitJob(t, erp, s.URL+loc)
	if !j.Success || j.Accepted != 6 || j.Duplicates != 0 || j.Rejected != 0 || len(j.Errors) != 0 || j.Behaviour != capture.Rollback || j.FinishedAt == "" {
		t.Fatalf("job = %+v", j)
	}
	for i, e := range j.Events {
		if e.Status != capture.Accepted || e.LedgerEventID == "" || e.Index != i {
			t.Errorf("event %d = %+v", i, e)
		}
	}
	if j.Events[0].EventID != f.EventID("batch") {
		t.Errorf("event 0 id %s, want the captured eventID %s", j.Events[0].EventID, f.EventID("batch"))
	}

	// Captured again: only duplicates, nothing recorded twice.
	r = do(t, erp, "POST", s.URL+"/capture", doc)
	j2 := waitJob(t, erp, s.URL+r.Header.Get("Location"))
	if !j2.Success || j2.Accepted != 0 || j2.Duplicates != 6 || s.Ledger.Recorded() != 6 {
		t.Fatalf("second job = %+v (recorded %d)", j2, s.Ledger.Recorded())
	}
	for i, e := range j2.Events {
		if e.Status != capture.Duplicate || e.LedgerEventID != j.Events[i].LedgerEventID {
			t.Errorf("recaptured event %d = %+v, want duplicate of %s", i, e, j.Events[i].LedgerEventID)
		}
	}

	// The jobs list has both; another client sees neither.
	r = do(t, erp, "GET", s.URL+"/capture", nil)
	var jobs []capture.Job
	if err := json.Unmarshal(r.body, &jobs); err != nil || len(jobs) != 2 || jobs[0].CaptureID != j.CaptureID {
		t.Fatalf("GET /capture: %s %v", r.body, err)
	}
	logger := s.Org.HTTPClient(t, "logger")
	if r := do(t, logger, "GET", s.URL+"/capture", nil); string(r.body) != "[]" {
		t.Errorf("another client's jobs: %s", r.body)
	}
	if r := do(t, logger, "GET", s.URL+loc, nil); r.StatusCode != 404 {
		t.Errorf("another client's job: %d", r.StatusCode)
	} else if p := r.problem(t); p.Type != capture.NoSuchNameException {
		t.Errorf("404 problem %+v", p)
	}
	if r := do(t, erp, "OPTIONS", s.URL+loc, nil); r.StatusCode != 204 {
		t.Errorf("OPTIONS %s: %d", loc, r.StatusCode)
	}
}

// A document with an event the contract cannot state: under rollback
// nothing is recorded, under proceed the rest is.
func TestCaptureErrorBehaviour(t *testing.T) {
	s, erp := startServer(t, nil)
	f := capturetest.Example()
	bad := `{"type":"TransactionEvent","eventTime":"2025-06-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"shipping","bizTransactionList":[{"bizTransaction":"urn:x:po:1"}],"epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`
	doc := capturetest.Document(f.Now, f.Batch(), bad, f.Readings())

	r := do(t, erp, "POST", s.URL+"/capture", doc, capture.HeaderErrorBehaviour, "rollback")
	j := waitJob(t, erp, s.URL+r.Header.Get("Location"))
	if j.Success || j.Accepted != 0 || j.Rejected != 1 || len(s.Ledger.Calls) != 0 || len(j.Errors) != 1 {
		t.Fatalf("rollback job = %+v, ledger calls %d", j, len(s.Ledger.Calls))
	}
	if e := j.Errors[0]; e.EventIndex == nil || *e.EventIndex != 1 || !strings.Contains(e.Detail, "event 1") || !strings.Contains(e.Detail, "TransactionEvent") {
		t.Errorf("error = %+v", e)
	}
	if j.Events[0].Status != capture.NotSubmitted || j.Events[1].Status != capture.Rejected || j.Events[2].Status != capture.NotSubmitted {
		t.Errorf("statuses = %+v", j.Events)
	}

	r = do(t, erp, "POST", s.URL+"/capture", doc, capture.HeaderErrorBehaviour, "proceed")
	j = waitJob(t, erp, s.URL+r.Header.Get("Location"))
	if j.Success || j.Accepted != 2 || j.Rejected != 1 || s.Ledger.Recorded() != 2 || j.Behaviour != capture.Proceed {
		t.Fatalf("proceed job = %+v", j)
	}

	// A refusal by the contract at submission under rollback: what was
	// recorded before it stays, the rest is not submitted, and the job
	// says so.
	s.Ledger.Refuse = func(c capture.Call) string {
		if c.Function == "Custody:Pack" {
			return "lot is not held by SupplierMSP"
		}
		return ""
	}
	doc = capturetest.Document(f.Now, f.Batch(), f.Pack(), f.Unpack())
	r = do(t, erp, "POST", s.URL+"/capture", doc)
	j = waitJob(t, erp, s.URL+r.Header.Get("Location"))
	if j.Success || j.Duplicates != 1 || j.Rejected != 1 || j.Events[2].Status != capture.NotSubmitted || len(j.Errors) != 2 ||
		!strings.Contains(j.Errors[0].Detail, "Custody:Pack: lot is not held") || j.Errors[1].Title != "Rollback incomplete" {
		t.Fatalf("refused job = %+v", j)
	}

	if r := do(t, erp, "POST", s.URL+"/capture", doc, capture.HeaderErrorBehaviour, "all"); r.StatusCode != 400 {
		t.Errorf("behaviour all: %d", r.StatusCode)
	}
}

func TestCaptureRefusals(t *testing.T) {
	s, erp := startServer(t, &capture.Options{MaxEvents: 3, MaxBytes: 8000})
	f := capturetest.Example()
	doc := capturetest.Document(f.Now, f.Batch(), f.Readings())

	// No certificate: 401. A certificate of another CA: the handshake
	// fails. A certificate of the org's CA not configured as a client: 403.
	r := do(t, s.Org.HTTPClient(t, ""), "POST", s.URL+"/capture", doc)
	if p := r.problem(t); r.StatusCode != 401 || p.Type != capture.SecurityException {
		t.Errorf("no certificate: %d %+v", r.StatusCode, p)
	}
	other := capturetest.NewOrg(t, "OtherMSP", "erp")
	if _, err := other.HTTPClientTrusting(t, s.Org, "erp").Post(s.URL+"/capture", "application/json", bytes.NewReader(doc)); err == nil {
		t.Errorf("a certificate of another CA was accepted")
	}
	r = do(t, s.Org.HTTPClient(t, "stranger"), "POST", s.URL+"/capture", doc)
	if p := r.problem(t); r.StatusCode != 403 || !strings.Contains(p.Detail, "stranger") {
		t.Errorf("unlisted client: %d %+v", r.StatusCode, p)
	}
	// A client may capture only its business steps: one forbidden event
	// refuses the request.
	r = do(t, s.Org.HTTPClient(t, "logger"), "POST", s.URL+"/capture", doc)
	if p := r.problem(t); r.StatusCode != 403 || !strings.Contains(p.Detail, `may not capture bizStep "commissioning"`) {
		t.Errorf("forbidden step: %d %+v", r.StatusCode, p)
	}
	r = do(t, s.Org.HTTPClient(t, "logger"), "POST", s.URL+"/capture", capturetest.Document(f.Now, f.Readings()))
	if r.StatusCode != 202 {
		t.Errorf("permitted step: %d %s", r.StatusCode, r.body)
	}

	// Limits: events and bytes.
	r = do(t, erp, "POST", s.URL+"/capture", capturetest.Document(f.Now, f.Readings(), f.Readings(), f.Readings(), f.Readings()))
	if p := r.problem(t); r.StatusCode != 413 || p.Type != capture.CaptureLimitExceeded || r.Header.Get(capture.HeaderCaptureLimit) != "3" {
		t.Errorf("too many events: %d %+v", r.StatusCode, p)
	}
	big := capturetest.Document(f.Now, f.Batch(), strings.Replace(f.Readings(), `"OBSERVE"`, `"OBSERVE","tl:pad":"`+strings.Repeat("x", 9000)+`"`, 1))
	r = do(t, erp, "POST", s.URL+"/capture", big)
	if p := r.problem(t); r.StatusCode != 413 || p.Type != capture.CaptureLimitExceeded || r.Header.Get(capture.HeaderFileSizeLimit) != "8000" {
		t.Errorf("too many bytes: %d %+v", r.StatusCode, p)
	}
	// Not a document, not JSON, not EPCIS.
	for _, c := range []struct {
		body, ct string
		status   int
	}{
		{`{"type":"EPCISDocument"}`, "application/json", 400},
		{`nope`, "application/json", 400},
		{`{"type":"Foo"}`, "application/json", 400},
		{string(doc), "text/xml", 415},
	} {
		req, _ := http.NewRequest("POST", s.URL+"/capture", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		resp, err := erp.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s (%s): %d %s", c.body, c.ct, resp.StatusCode, b)
		}
	}
	s.Service.Wait()
	if s.Ledger.Recorded() != 1 {
		t.Errorf("recorded %d, want the logger's one capture", s.Ledger.Recorded())
	}
}

func TestCaptureRateLimit(t *testing.T) {
	org := capturetest.NewOrg(t, "SupplierMSP", "erp")
	s := capturetest.Start(t, org, nil, capture.HandlerOptions{Clients: []capture.Client{{Name: "*"}}, RatePerSecond: 0.001, Burst: 2})
	c := org.HTTPClient(t, "erp")
	codes := []int{}
	for i := range 3 {
		r := do(t, c, "GET", s.URL+"/capture", nil)
		codes = append(codes, r.StatusCode)
		if i == 2 && r.StatusCode == 429 {
			if p := r.problem(t); r.Header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "requests per second") {
				t.Errorf("429: %+v %v", p, r.Header)
			}
		}
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Errorf("codes %v, want [200 200 429]", codes)
	}
}

// POST /events: 201 with Location and the recorded event, 409 again.
func TestCaptureOneEvent(t *testing.T) {
	s, erp := startServer(t, nil)
	f := capturetest.Example()
	ev := f.Batch()
	r := do(t, erp, "POST", s.URL+"/events", []byte(ev))
	if r.StatusCode != 201 || !strings.HasPrefix(r.Header.Get("Location"), "/events/ni:") || !strings.Contains(string(r.body), f.EventID("batch")) {
		t.Fatalf("POST /events: %d %v %s", r.StatusCode, r.Header, r.body)
	}
	r = do(t, erp, "POST", s.URL+"/events", []byte(ev))
	if p := r.problem(t); r.StatusCode != 409 || p.Type != capture.ResourceAlreadyExists {
		t.Fatalf("again: %d %+v", r.StatusCode, p)
	}
	// Without eventID: its CBV hash is its id.
	noID := strings.Replace(f.Readings(), `"eventID":"`+f.EventID("readings")+`",`, "", 1)
	r = do(t, erp, "POST", s.URL+"/events", []byte(noID))
	if r.StatusCode != 201 || !strings.HasPrefix(s.Ledger.Calls[len(s.Ledger.Calls)-1].SourceEventID, "ni:///sha-256;") {
		t.Fatalf("without eventID: %d %s", r.StatusCode, r.body)
	}
	r = do(t, erp, "POST", s.URL+"/events", []byte(`{"type":"AssociationEvent","eventTime":"2025-06-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","parentID":"urn:epc:id:grai:4012345.55555.987","childEPCs":["urn:epc:id:giai:4000001.12345"]}`))
	if p := r.problem(t); r.StatusCode != 400 || !strings.Contains(p.Detail, "AssociationEvent") {
		t.Errorf("unsupported event: %d %+v", r.StatusCode, p)
	}
}

// Concurrent captures of the same events record each once.
func TestCaptureConcurrent(t *testing.T) {
	s, erp := startServer(t, nil)
	f := capturetest.Example()
	doc := supplierDocument(t, f)
	var wg sync.WaitGroup
	locs := make([]string, 4)
	for i := range locs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locs[i] = do(t, erp, "POST", s.URL+"/capture", doc).Header.Get("Location")
		}()
	}
	wg.Wait()
	accepted, dups := 0, 0
	for _, l := range locs {
		j := waitJob(t, erp, s.URL+l)
		accepted += j.Accepted
		dups += j.Duplicates
	}
	if accepted != 6 || dups != 18 || s.Ledger.Recorded() != 6 {
		t.Fatalf("accepted %d, duplicates %d, recorded %d", accepted, dups, s.Ledger.Recorded())
	}
}

// A refusal a lagging peer explains (a lot it has not seen yet) is tried
// again; the event is recorded once the peer has caught up.
func TestCaptureLaggingPeer(t *testing.T) {
	s, erp := startServer(t, nil)
	f := capturetest.Example()
	refused := 0
	s.Ledger.RefuseAs = client.ErrNotFound
	s.Ledger.Refuse = func(c capture.Call) string {
		if c.Function == "Custody:RecordReadings" && refused == 0 {
			refused++
			return "unknown lot " + f.LotLink()
		}
		return ""
	}
	r := do(t, erp, "POST", s.URL+"/capture", capturetest.Document(f.Now, f.Batch(), f.Readings()))
	j := waitJob(t, erp, s.URL+r.Header.Get("Location"))
	if !j.Success || j.Accepted != 2 || refused != 1 {
		t.Fatalf("job = %+v, refused %d", j, refused)
	}
}
