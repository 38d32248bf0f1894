package node_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/lab"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// captureNode is a member's node serving capture, and its systems' HTTP
// clients: erp may capture every step, logger sensor_reporting only,
// anonymous presents no certificate.
type captureNode struct {
	nd                     *node.Node
	url                    string
	erp, logger, anonymous *http.Client
}

func startCaptureNode(t testing.TB, n *testnet.Network, org, run string, configure ...func(*node.Config)) *captureNode {
	t.Helper()
	o, err := orgca.Open(filepath.Join(n.Dir(), "crypto", org))
	if err != nil {
		t.Fatal(err)
	}
	erp, logger := "erp-"+run, "logger-"+run
	for _, name := range []string{erp, logger} {
		if _, err := o.Enroll(name, orgca.EnrollOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	domain := o.Card().Domain
	peer, err := n.ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	id := o.Identity("node")
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: peer, Capture: &capture.Config{
		Listen: "127.0.0.1:0", TLSCert: id.TLSCertFile(), TLSKey: id.TLSKeyFile(), ClientCA: o.TLSCAFile(),
		Clients: []capture.Client{
			{Name: erp + "." + domain},
			{Name: logger + "." + domain, BizSteps: []string{"sensor_reporting"}},
		},
		MaxBytes: 256 << 10, RatePerSecond: 1000, Burst: 1000,
	}}
	for _, f := range configure {
		f(&cfg)
	}
	nd, err := node.Open(t.Context(), cfg, &node.Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Follower: &follower.Options{HeightInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s node: %v", org, err)
		}
	})
	ca, err := os.ReadFile(o.TLSCAFile())
	if err != nil {
		t.Fatal(err)
	}
	httpClient := func(name string) *http.Client {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		tc := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if name != "" {
			c, err := tls.LoadX509KeyPair(o.Identity(name).TLSCertFile(), o.Identity(name).TLSKeyFile())
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{c}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 5 * time.Minute}
	}
	return &captureNode{nd: nd, url: "https://" + nd.CaptureAddr().String(), erp: httpClient(erp), logger: httpClient(logger), anonymous: httpClient("")}
}

// post sends a capture request and returns the status, the body and the
// job's Location.
func (c *captureNode) post(t testing.TB, hc *http.Client, path string, body []byte, behaviour string) (int, []byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/ld+json")
	if behaviour != "" {
		req.Header.Set(capture.HeaderErrorBehaviour, behaviour)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Location")
}

// capture posts a document as erp and waits for its job.
func (c *captureNode) capture(t testing.TB, doc []byte, behaviour string) capture.Job {
	t.Helper()
	st, b, loc := c.post(t, c.erp, "/capture", doc, behaviour)
	if st != http.StatusAccepted {
		t.Fatalf("POST /capture: %d %s", st, b)
	}
	return c.wait(t, loc)
}

func (c *captureNode) wait(t testing.TB, loc string) capture.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		resp, err := c.erp.Get(c.url + loc)
		if err != nil {
			t.Fatal(err)
		}
		var j capture.Job
		err = json.NewDecoder(resp.Body).Decode(&j)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !j.Running {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("capture job %s still running: %+v", loc, j)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func jobSummary(j capture.Job) string {
	b, _ := json.MarshalIndent(j, "", " ")
	return string(b)
}

// A member's systems capture EPCIS documents with every event type the
// contract states through their own node: the events are recorded as the
// node's organisation with the captured ids, visible on every member's
// node; recapture yields duplicates only; rollback records nothing of a
// document with a bad event, proceed the rest; unauthenticated, forbidden
// and oversized captures are refused; concurrent captures of the same
// events record each once. It also measures capture throughput through a
// node against the Go client submitting the same functions directly.
func TestIntegrationCapture(t *testing.T) {
	n := testkit.Network(t)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36), 36)
	now := time.Now().UTC()
	const gtin, sauce = "09506000134352", "09506000134369"
	for _, p := range []ledger.ProductRequest{
		{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30},
		{GTIN: sauce, Name: "Apple sauce", Brand: "Acme", Category: "preserves", TempMinC: 0, TempMaxC: 25, ShelfLifeDays: 60},
	} {
		b, _ := json.Marshal(p)
		if _, err := testkit.Contract(t, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(b)); err != nil && !strings.Contains(err.Error(), "already") {
			t.Fatalf("RegisterProduct: %v", err)
		}
	}
	signer, err := lab.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.Contract(t, testnet.Lab).SubmitTransaction("Lab:RegisterLabSigner", signer.Address().Hex(), "Lab "+run, "ISO/IEC 17025 D-PL-"+run); err != nil {
		t.Fatal(err)
	}
	body := "0950600010" + fmt.Sprintf("%07d", time.Now().UnixNano()%1e7)
	d, _ := gs1.CheckDigit(body)
	f := capturetest.Fixture{
		Run: run, GTIN: gtin, SauceGTIN: sauce, Lot: "C" + run, SauceLot: "S" + run, SSCC: body + strconv.Itoa(d),
		Producer: "9506000134376", Warehouse: "9506000134383", To: testnet.MSPID(testnet.Logistics), Now: now,
		Serials: []string{"U" + run + "-1", "U" + run + "-2"}, ReportID: "R-" + run, ReportSign: signer.Sign,
	}

	nodes := map[string]*captureNode{}
	for _, org := range []string{testnet.Supplier, testnet.Logistics, testnet.Lab, testnet.Brand} {
		nodes[org] = startCaptureNode(t, n, org, run)
	}
	sup := nodes[testnet.Supplier]

	// Refusals first: nothing of them may be recorded.
	supplierDoc := capturetest.Document(now, f.Batch(), f.Readings(), f.Pack(), f.Unpack(), f.Transform(), f.Ship())
	if st, b, _ := sup.post(t, sup.anonymous, "/capture", supplierDoc, ""); st != http.StatusUnauthorized || !strings.Contains(string(b), "SecurityException") {
		t.Errorf("unauthenticated: %d %s", st, b)
	}
	if st, b, _ := sup.post(t, sup.logger, "/capture", supplierDoc, ""); st != http.StatusForbidden || !strings.Contains(string(b), `may not capture bizStep \"commissioning\"`) {
		t.Errorf("forbidden step: %d %s", st, b)
	}
	big := capturetest.Document(now, strings.Replace(f.Readings(), `"OBSERVE"`, `"OBSERVE","tl:pad":"`+strings.Repeat("x", 300<<10)+`"`, 1))
	if st, b, _ := sup.post(t, sup.erp, "/capture", big, ""); st != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "CaptureLimitExceededException") {
		t.Errorf("oversized: %d %.300s", st, b)
	}

	// Every event type, each captured by the member the contract lets
	// state it, through its own node.
	j := sup.capture(t, supplierDoc, "")
	if !j.Success || j.Accepted != 6 {
		t.Fatalf("supplier's capture:\n%s", jobSummary(j))
	}
	inspect, err := f.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]capture.Job{testnet.Supplier: j}
	for org, doc := range map[string][]byte{
		testnet.Logistics: capturetest.Document(now, f.Receive()),
		testnet.Lab:       capturetest.Document(now, inspect),
		testnet.Brand:     capturetest.Document(now, f.Units()),
	} {
		j := nodes[org].capture(t, doc, "")
		if !j.Success || j.Accepted != 1 {
			t.Fatalf("%s's capture:\n%s", org, jobSummary(j))
		}
		jobs[org] = j
	}

	// The same ids on the ledger, on every member's node.
	var recorded []capture.EventResult
	for _, j := range jobs {
		recorded = append(recorded, j.Events...)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for org, cn := range nodes {
		for _, e := range recorded {
			for {
				ev, err := cn.nd.Index().Event(e.LedgerEventID)
				if err == nil {
					var m map[string]any
					if json.Unmarshal(ev, &m) != nil || m[ledger.SourceEventIDMember] != e.EventID || m["eventID"] != e.LedgerEventID {
						t.Errorf("%s's node: event %s is %s, want %s %s", org, e.LedgerEventID, ev, ledger.SourceEventIDMember, e.EventID)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s's node: event %s (captured %s, %s) not indexed: %v", org, e.LedgerEventID, e.EventID, e.Function, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}

	queryCapturedWithCLI(t, "http://"+nodes[testnet.Brand].nd.Addr().String(), recorded) // epcisquery_integration_test.go

	// Captured again: duplicates only, with the same ledger ids.
	again := sup.capture(t, supplierDoc, "")
	if !again.Success || again.Accepted != 0 || again.Duplicates != 6 {
		t.Fatalf("recapture:\n%s", jobSummary(again))
	}
	for i, e := range again.Events {
		if e.LedgerEventID != j.Events[i].LedgerEventID {
			t.Errorf("recaptured event %d is %s, recorded as %s", i, e.LedgerEventID, j.Events[i].LedgerEventID)
		}
	}

	// One bad event: rollback records nothing, proceed the rest.
	bad := `{"type":"TransactionEvent","eventTime":"` + now.Format(time.RFC3339) + `","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"shipping","bizTransactionList":[{"bizTransaction":"urn:x:po:` + run + `"}],"epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`
	g := f
	g.Run = run + "-rb"
	mixed := capturetest.Document(now, g.Readings(), bad)
	rb := sup.capture(t, mixed, "rollback")
	if rb.Success || rb.Accepted != 0 || rb.Rejected != 1 || rb.Events[0].Status != capture.NotSubmitted {
		t.Fatalf("rollback:\n%s", jobSummary(rb))
	}
	pr := sup.capture(t, mixed, "proceed")
	if pr.Success || pr.Accepted != 1 || pr.Rejected != 1 || pr.Events[0].Status != capture.Accepted {
		t.Fatalf("proceed (the readings must be new, so rollback recorded nothing):\n%s", jobSummary(pr))
	}

	// Two captures racing for the same events record each once.
	h := f
	h.Run = run + "-race"
	race := capturetest.Document(now, h.Readings())
	var wg sync.WaitGroup
	raced := make([]capture.Job, 2)
	for i := range raced {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raced[i] = sup.capture(t, race, "")
		}()
	}
	wg.Wait()
	if a, d := raced[0].Accepted+raced[1].Accepted, raced[0].Duplicates+raced[1].Duplicates; a != 1 || d != 1 {
		t.Fatalf("racing captures: accepted %d, duplicates %d\n%s\n%s", a, d, jobSummary(raced[0]), jobSummary(raced[1]))
	}

	// POST /events: 201, then 409.
	k := f
	k.Run = run + "-one"
	if st, b, loc := sup.post(t, sup.erp, "/events", []byte(k.Readings()), ""); st != http.StatusCreated || !strings.HasPrefix(loc, "/events/") || !strings.Contains(string(b), k.EventID("readings")) {
		t.Errorf("POST /events: %d %q %s", st, loc, b)
	}
	if st, b, _ := sup.post(t, sup.erp, "/events", []byte(k.Readings()), ""); st != http.StatusConflict {
		t.Errorf("POST /events again: %d %s", st, b)
	}

	t.Run("throughput", func(t *testing.T) { captureThroughput(t, n, sup, f, run) })
}

// captureThroughput captures N readings events through the supplier's
// node in one document and submits the same function for N more events
// through the Go client directly, and reports both rates and their ratio.
func captureThroughput(t *testing.T, n *testnet.Network, sup *captureNode, f capturetest.Fixture, run string) {
	const N = 20
	var events []string
	for i := range N {
		g := f
		g.Run = fmt.Sprintf("%s-tp%d", run, i)
		events = append(events, g.Readings())
	}
	start := time.Now()
	j := sup.capture(t, capturetest.Document(f.Now, events...), "")
	viaNode := time.Since(start)
	if j.Accepted != N {
		t.Fatalf("throughput capture:\n%s", jobSummary(j))
	}

	cfg, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(t.Context(), cfg, client.WithPeerSync(client.AllMembers)) // as the node's capture client
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	temp := 4.2
	start = time.Now()
	for i := range N {
		_, err := c.RecordReadings(t.Context(), ledger.ReadingsRequest{Lot: f.LotLink(), Readings: []ledger.Reading{
			{Time: time.Now().UTC().Add(-time.Duration(i+1) * time.Second).Format(time.RFC3339), Device: "logger-direct", TemperatureC: &temp},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	direct := time.Since(start)
	rn, rd := float64(N)/viaNode.Seconds(), float64(N)/direct.Seconds()
	t.Logf("capture throughput: %d events through one node in %s = %.2f events/s; the Go client directly: %s = %.2f events/s; node/direct = %.2f",
		N, viaNode.Round(time.Millisecond), rn, direct.Round(time.Millisecond), rd, rn/rd)
}
