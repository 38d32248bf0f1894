package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// webhook is a subscriber's HTTP server that can fail (503) or go away
// entirely (its port closed) and come back on the same address. It checks
// each delivery's GS1-Signature and keeps the devices of the readings
// events it accepted, in the order received, with every delivery.
type webhook struct {
	t       *testing.T
	addr    string
	secret  string
	failing atomic.Bool

	mu         sync.Mutex
	srv        *http.Server
	devices    []string // one per event accepted, in order
	eventIDs   []string
	deliveries int // accepted (2xx)
	refused    int // answered 503 while failing
	badSigs    int
	subIDs     map[string]bool
}

func newWebhook(t *testing.T, secret string) *webhook {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &webhook{t: t, addr: ln.Addr().String(), secret: secret, subIDs: map[string]bool{}}
	w.serve(ln)
	t.Cleanup(w.stop)
	return w
}

func (w *webhook) url() string { return "http://" + w.addr + "/epcis/inbox" }

func (w *webhook) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(w.handle)}
	w.mu.Lock()
	w.srv = srv
	w.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the port: deliveries meet a refused connection.
func (w *webhook) stop() {
	w.mu.Lock()
	srv := w.srv
	w.srv = nil
	w.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// restart listens on the same address again.
func (w *webhook) restart() {
	w.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment
		if ln, err = net.Listen("tcp", w.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		w.t.Fatalf("subscriber listening again on %s: %v", w.addr, err)
	}
	w.serve(ln)
}

func (w *webhook) handle(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing.Load() {
		w.refused++
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("GS1-Signature") != subscription.Sign(w.secret, body) {
		w.badSigs++
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	var doc struct {
		Type string `json:"type"`
		Body struct {
			Results struct {
				SubscriptionID string `json:"subscriptionID"`
				Body           struct {
					Events []struct {
						ID      string `json:"eventID"`
						BizStep string `json:"bizStep"`
						Sensors []struct {
							Meta struct {
								DeviceID string `json:"deviceID"`
							} `json:"sensorMetadata"`
						} `json:"sensorElementList"`
					} `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Type != "EPCISQueryDocument" {
		w.t.Errorf("delivery is not an EPCISQueryDocument: %v %.300s", err, body)
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	w.deliveries++
	w.subIDs[doc.Body.Results.SubscriptionID] = true
	for _, e := range doc.Body.Results.Body.Events {
		dev := ""
		if len(e.Sensors) == 1 {
			dev = strings.TrimPrefix(e.Sensors[0].Meta.DeviceID, "urn:trustline:device:")
		}
		w.devices = append(w.devices, dev)
		w.eventIDs = append(w.eventIDs, e.ID)
	}
	rw.WriteHeader(http.StatusNoContent)
}

func (w *webhook) received() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.devices)
}

// freeAddr is a local address free to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postJSON posts body to the node with hc and requires want.
func postJSON(t *testing.T, hc *http.Client, url string, body any, want int) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := hc.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %s %s", url, resp.Status, out)
	}
	return out
}

// A webhook subscriber receives every matching event exactly once and in
// ledger order, each delivery signed, while its member's node (a separate
// `trustline node start` process) is killed with SIGKILL and restarted
// several times, and while the subscriber answers errors and, later, is
// gone entirely (its port closed) for a while. The events are cold-chain
// readings of one lot (the named query) among readings of another lot
// (not matching), submitted one after the other so that their ledger order
// is their submission order; each names its own device, so the subscriber
// can tell which arrived and in which order.
func TestIntegrationSubscriptionKillRestart(t *testing.T) {
	n := testkit.Network(t)
	bin := buildTrustline(t)
	const gtin = "09506000134352"
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(t, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		t.Fatalf("RegisterProduct: %v", err)
	}
	testkit.WaitForSync(t)
	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e6)
	now := time.Now().UTC()
	link := func(lot string) string { return "https://id.gs1.org/01/" + gtin + "/10/" + lot }
	lotA, lotB := "WA"+run, "WB"+run
	for _, lot := range []string{lotA, lotB} {
		b, _ := json.Marshal(ledger.BatchRequest{
			GTIN: gtin, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		})
		testkit.Submit(t, testnet.Supplier, "Batch:CreateBatch", string(b))
	}

	// The supplier's node, with subscriptions on, as a process of its own.
	peer, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	cfgPath := filepath.Join(t.TempDir(), "node.json")
	// Named queries and subscriptions are written on its capture listener,
	// by a client of the organisation's CA allowed to subscribe.
	org, err := orgca.Open(filepath.Join(n.Dir(), "crypto", testnet.Supplier))
	if err != nil {
		t.Fatal(err)
	}
	subscriber := "integration-" + run
	if _, err := org.Enroll(subscriber, orgca.EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
	nid, sid := org.Identity("node"), org.Identity(subscriber)
	captureListen := freeAddr(t)
	cfgJSON, _ := json.Marshal(node.Config{DataDir: t.TempDir(), Listen: listen, Peer: peer, Subscriptions: true, Capture: &capture.Config{
		Listen: captureListen, TLSCert: nid.TLSCertFile(), TLSKey: nid.TLSKeyFile(), ClientCA: org.TLSCAFile(),
		Clients: []capture.Client{{Name: subscriber + "." + org.Card().Domain, Subscribe: true}},
	}})
	hc, err := cmdutil.ClientTLS("--", sid.TLSCertFile(), sid.TLSKeyFile(), org.TLSCAFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{t: t, bin: bin, config: cfgPath, listen: listen, logPath: filepath.Join(t.TempDir(), "node.log")}
	p.start()
	defer func() {
		if p.cmd.ProcessState == nil {
			p.signal(syscall.SIGTERM)
		}
	}()
	p.waitHealthy()
	memberURL := "https://" + captureListen

	// The subscription: readings of lot A.
	sub := newWebhook(t, "c0ffee-"+run)
	postJSON(t, hc, memberURL+"/queries", map[string]any{"name": "readings-" + run,
		"query": map[string]any{"EQ_bizStep": []string{"sensor_reporting"}, "MATCH_epcClass": []string{link(lotA)}}}, http.StatusCreated)
	var created struct {
		ID string `json:"subscriptionID"`
	}
	out := postJSON(t, hc, memberURL+"/queries/readings-"+run+"/subscriptions",
		map[string]any{"dest": sub.url(), "signatureToken": sub.secret, "stream": true}, http.StatusCreated)
	if err := json.Unmarshal(out, &created); err != nil || created.ID == "" {
		t.Fatalf("subscription: %s %v", out, err)
	}

	// The writer: readings one after the other, each committed before the
	// next is submitted; every fourth of lot B (not matching).
	const total = 48
	var written atomic.Int64
	var want []string // devices of lot A's readings, in ledger order
	writerDone := make(chan struct{})
	// As a member's system would: each write waits until every member's
	// peer has it, so the next one is endorsed on the same state.
	supplier, err := client.Connect(t.Context(), peer, client.WithPeerSync(client.AllMembers))
	if err != nil {
		t.Fatal(err)
	}
	defer supplier.Close()
	var writing time.Duration
	go func() {
		defer close(writerDone)
		t0 := time.Now()
		defer func() { writing = time.Since(t0) }()
		temp := 4.0
		for i := range total {
			lot, dev := lotA, fmt.Sprintf("probe-%s-%02d", run, i)
			if i%4 == 3 {
				lot = lotB
			}
			req := ledger.ReadingsRequest{Lot: link(lot), Readings: []ledger.Reading{
				{Time: time.Now().UTC().Add(-time.Second).Format(time.RFC3339), Device: dev, TemperatureC: &temp}}}
			if _, err := supplier.RecordReadings(context.Background(), req); err != nil {
				t.Errorf("readings %d: %v", i, err)
				return
			}
			if lot == lotA {
				want = append(want, dev)
			}
			written.Add(1)
		}
	}()
	waitWritten := func(k int64) {
		for written.Load() < k {
			select {
			case <-writerDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	pause := func(lo, hi int) { time.Sleep(time.Duration(lo+rand.IntN(hi-lo)) * time.Millisecond) }
	kills := 0
	kill := func() {
		p.signal(syscall.SIGKILL)
		kills++
	}

	// 1. The node is killed while it delivers, and restarted.
	waitWritten(8)
	pause(0, 1500)
	kill()
	pause(500, 2000) // the writer goes on meanwhile
	p.start()

	// 2. The subscriber answers 503 for a while; the node is killed and
	//    restarted during it.
	waitWritten(20)
	sub.failing.Store(true)
	pause(2000, 4000)
	kill()
	p.start()
	pause(2000, 4000)
	// Still failing until the node has met a 503: on a quiet machine the
	// writes can outrun the restarted node, whose first delivery may come
	// later than the pause (backoff is at most a minute).
	for until := time.Now().Add(90 * time.Second); time.Now().Before(until); time.Sleep(200 * time.Millisecond) {
		sub.mu.Lock()
		refused := sub.refused
		sub.mu.Unlock()
		if refused > 0 {
			break
		}
	}
	sub.failing.Store(false)

	// 3. The subscriber is gone (its port closed) for a while.
	waitWritten(36)
	sub.stop()
	pause(3000, 6000)
	sub.restart()

	// 4. Killed at random instants, twice more.
	for range 2 {
		waitWritten(written.Load() + 6)
		pause(0, 2000)
		kill()
		pause(0, 1000)
		p.start()
	}
	<-writerDone
	if t.Failed() {
		return
	}

	deadline := time.Now().Add(3 * time.Minute) // backoff is at most a minute
	for len(sub.received()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // nothing more may come
	got := sub.received()
	sub.mu.Lock()
	deliveries, refused, badSigs, subIDs := sub.deliveries, sub.refused, sub.badSigs, len(sub.subIDs)
	sub.mu.Unlock()
	t.Logf("%d readings written in %s (%d of lot A), %d received in %d deliveries (%d refused with 503 meanwhile); %d kills, %d node starts; load %s",
		total, writing.Round(time.Second), len(want), len(got), deliveries, refused, kills, p.starts, loadAvg())
	if !slices.Equal(got, want) {
		log, _ := os.ReadFile(p.logPath)
		t.Errorf("received %d events, want %d exactly once in ledger order:\n got %v\nwant %v\nnode log:\n%s",
			len(got), len(want), got, want, tail(log, 6000))
	}
	if badSigs != 0 {
		t.Errorf("%d deliveries with a bad GS1-Signature", badSigs)
	}
	if subIDs != 1 {
		t.Errorf("deliveries name %d subscriptions, want 1", subIDs)
	}
	if refused == 0 {
		t.Error("the subscriber never refused a delivery: the outage was not exercised")
	}

	// The subscription as stored: its cursor has passed every event.
	resp, err := hc.Get(memberURL + "/queries/readings-" + run + "/subscriptions/" + created.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stored map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&stored); err != nil || resp.StatusCode != http.StatusOK || stored["lastNotifiedAt"] == nil {
		t.Errorf("GET subscription: %s %v %v", resp.Status, stored, err)
	}
}

// waitHealthy waits until the node serves /healthz.
func (p *nodeProc) waitHealthy() {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := p.health(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.logPath)
			p.t.Fatalf("node did not start:\n%s", tail(log, 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loadAvg is the machine's 1-minute load average ("?" where unknown), for
// figures logged by the tests.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return string(bytes.Fields(b)[0])
}
