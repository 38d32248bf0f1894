package node_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/recallnotice"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/report"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationRecallScopeDemo plays the demo story on the testnet (raw
// milk made into yogurt lots A and B, five jars of lot A serialised, both
// lots received by the store, which puts lot A's crates in a roll cage, a
// logistic unit), with a node for each of the four members, then recalls
// the raw milk lot. Every member's node shows the recall (the milk lot and
// both yogurt lots recalled); the recall scope, from the brand's node in
// one request and through `trustline recall scope`, reaches both yogurt
// lots, the jars, the roll cage and the store's stock (custodian, last
// known location, quantities shipped); every node delivers the recall's
// notice (scope and members concerned) to its /recall/notices listeners
// (member records, on the capture listener for a client certificate of
// the organisation's CA, refused on the public listener), and the
// logistics provider's and the supplier's nodes deliver the recall with
// its notice to webhook subscribers of their EPCIS subscriptions (the
// recalls; the raw milk lot's events); the consumer pages of lot A's jars
// show the recall banner on every node, and the roll cage's answer names
// the recalled lot.
func TestIntegrationRecallScopeDemo(t *testing.T) {
	n := testkit.Network(t)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("R%d", time.Now().UnixNano()%1e8)
	sc, err := demo.New(time.Now(), run, demo.KeySigner{Key: (*ecdsa.PrivateKey)(key)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sc.Steps {
		if len(s.IfMissing) > 0 {
			res, err := testkit.Contract(t, s.Org).EvaluateTransaction(s.IfMissing[0], s.IfMissing[1:]...)
			if err == nil && (s.DoneWhen == "" || strings.Contains(string(res), s.DoneWhen)) {
				continue
			}
		}
		testkit.Submit(t, s.Org, s.Fn, s.Args...)
	}
	// The store stacks lot A's crates in a roll cage with an SSCC.
	body := "0426012345" + fmt.Sprintf("%07d", time.Now().UnixNano()%1e7)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	sscc := body + strconv.Itoa(d)
	pack, _ := json.Marshal(ledger.PackRequest{SSCC: sscc, Lots: []string{sc.YogurtLot}})
	testkit.Submit(t, testnet.Brand, "Custody:Pack", string(pack))

	// A node for each member, each following its own organisation's peer,
	// with subscriptions on and its member records on its capture
	// listener, for a client "qa" of the organisation's CA.
	nodes := map[string]string{}   // the public listeners
	members := map[string]string{} // the capture listeners
	qa := map[string]*http.Client{}
	qaFiles := map[string][3]string{} // cert, key, CA
	for _, org := range testnet.Orgs {
		p, err := n.ClientConfig(org, false)
		if err != nil {
			t.Fatal(err)
		}
		o, err := orgca.Open(filepath.Join(n.Dir(), "crypto", org))
		if err != nil {
			t.Fatal(err)
		}
		client := "qa-" + strings.ToLower(run)
		if _, err := o.Enroll(client, orgca.EnrollOptions{}); err != nil {
			t.Fatal(err)
		}
		id := o.Identity("node")
		cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Subscriptions: true, Capture: &capture.Config{
			Listen: "127.0.0.1:0", TLSCert: id.TLSCertFile(), TLSKey: id.TLSKeyFile(), ClientCA: o.TLSCAFile(),
			Clients: []capture.Client{{Name: client + "." + o.Card().Domain, BizSteps: []string{"inspecting"}, Reports: true, Subscribe: true}},
		}}
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
				t.Errorf("Run of %s's node: %v", org, err)
			}
		})
		nodes[org] = "http://" + nd.Addr().String()
		members[org] = "https://" + nd.CaptureAddr().String()
		qid := o.Identity(client)
		qaFiles[org] = [3]string{qid.TLSCertFile(), qid.TLSKeyFile(), o.TLSCAFile()}
		hc, err := cmdutil.ClientTLS("--", qid.TLSCertFile(), qid.TLSKeyFile(), o.TLSCAFile())
		if err != nil {
			t.Fatal(err)
		}
		qa[org] = hc
	}
	path := func(link string) string { return strings.TrimPrefix(link, "https://id.gs1.org") }
	trace := func(base, link string) (*nodeapi.Trace, error) {
		req, _ := http.NewRequest("GET", base+path(link), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", link, resp.Status)
		}
		var tr nodeapi.Trace
		return &tr, json.NewDecoder(resp.Body).Decode(&tr)
	}
	// Every node has indexed the story up to the roll cage.
	waitFor := func(what string, ok func(base string) bool) {
		t.Helper()
		for org, base := range nodes {
			deadline := time.Now().Add(60 * time.Second)
			for !ok(base) {
				if time.Now().After(deadline) {
					t.Fatalf("%s's node: %s not seen within 60s", org, what)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	waitFor("lot A in its roll cage", func(base string) bool {
		tr, err := trace(base, sc.YogurtLot)
		return err == nil && tr.Lot.LogisticUnit != ""
	})

	// Every node's recall notices, listened to before the recall by its
	// member client; the public listener refuses them.
	notices := map[string]chan recallnotice.Notice{}
	for org, base := range members {
		if resp, err := http.Get(nodes[org] + "/recall/notices"); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s's node: /recall/notices on the public listener: %v %v", org, resp, err)
		} else {
			resp.Body.Close()
		}
		ch := make(chan recallnotice.Notice, 4)
		notices[org] = ch
		resp, err := qa[org].Get(base + "/recall/notices")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's node: /recall/notices: %v %v", org, resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		go func() {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var n recallnotice.Notice
					if json.Unmarshal([]byte(data), &n) == nil {
						ch <- n
					}
				}
			}
		}()
	}

	// Webhook subscribers of two affected members' nodes, through the
	// EPCIS subscriptions: the logistics provider's ERP follows the recalls
	// (a named query EQ_disposition=recalled), the supplier's follows its
	// raw milk lot's events (MATCH_anyEPCClass).
	const secret = "webhook-secret"
	hooks := map[string]chan webhookDelivery{testnet.Logistics: make(chan webhookDelivery, 4), testnet.Supplier: make(chan webhookDelivery, 4)}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var d webhookDelivery
		if r.Header.Get("GS1-Signature") != subscription.Sign(secret, body) || json.Unmarshal(body, &d) != nil {
			t.Errorf("webhook %s: bad delivery %s", r.URL.Path, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hooks[strings.TrimPrefix(r.URL.Path, "/")] <- d
	}))
	defer hook.Close()
	for org, query := range map[string]string{
		testnet.Logistics: `{"EQ_disposition":["recalled"]}`,
		testnet.Supplier:  `{"MATCH_anyEPCClass":["` + sc.RawMilkLot + `"]}`,
	} {
		name := "recall-" + strings.ToLower(run)
		for _, req := range []struct{ path, body string }{
			{"/queries", `{"name":"` + name + `","query":` + query + `}`},
			{"/queries/" + name + "/subscriptions", `{"dest":"` + hook.URL + "/" + org + `","signatureToken":"` + secret + `","stream":true}`},
		} {
			// Named queries and subscriptions are written on the capture
			// listener, by a client allowed to subscribe.
			resp, err := qa[org].Post(members[org]+req.path, "application/json", strings.NewReader(req.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s's node: POST %s: %d %s", org, req.path, resp.StatusCode, b)
			}
		}
	}

	// The brand recalls the raw milk.
	t0 := time.Now()
	testkit.Submit(t, testnet.Brand, "Product:Recall", sc.RawMilkLot, "Listeria monocytogenes in the farm's bulk tank sample", "I")
	committed := time.Since(t0)
	recalled := func(base string) bool {
		for _, lot := range []string{sc.RawMilkLot, sc.YogurtLot, sc.BreachedLot} {
			if tr, err := trace(base, lot); err != nil || tr.Lot.Status != ledger.StatusRecalled {
				return false
			}
		}
		return true
	}
	waitFor("the recall of the raw milk and both yogurt lots", recalled)
	t.Logf("recall committed in %s; every member's node showed it %s after the submit", committed.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))

	// Each node delivers the recall's notice to its listeners, with the
	// scope and the members it concerns (the lab is not among them).
	for org, ch := range notices {
		select {
		case nt := <-ch:
			if nt.Recall.Lot != sc.RawMilkLot || !slices.Equal(nt.Members, []string{"BrandMSP", "LogisticsMSP", "SupplierMSP"}) || nt.Scope == nil {
				t.Errorf("%s's node: notice of %s to %v", org, nt.Recall.Lot, nt.Members)
			} else {
				checkDemoScope(t, sc, sscc, nt.Scope)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s's node: no recall notice within 30s", org)
		}
	}
	t.Logf("every node delivered its recall notice %s after the submit", time.Since(t0).Round(time.Millisecond))

	// Each webhook subscriber receives the recall event, signed, with its
	// notice, through the node's EPCIS subscription.
	for org, ch := range hooks {
		select {
		case d := <-ch:
			qr := d.EPCISBody.QueryResults
			if len(qr.ResultsBody.EventList) != 1 || qr.ResultsBody.EventList[0].Disposition != "recalled" || len(qr.Notices) != 1 ||
				qr.Notices[0].Recall.Lot != sc.RawMilkLot || qr.Notices[0].Recall.EventID != qr.ResultsBody.EventList[0].EventID ||
				!slices.Contains(qr.Notices[0].Members, testnet.MSPID(org)) {
				t.Errorf("%s's node: webhook delivery %+v", org, qr)
			} else {
				checkDemoScope(t, sc, sscc, qr.Notices[0].Scope)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("%s's node: no webhook delivery of the recall within 60s", org)
		}
	}
	t.Logf("the logistics and supplier nodes delivered the recall to their webhook subscribers %s after the submit", time.Since(t0).Round(time.Millisecond))

	// The scope, in one request to the brand's node's member listener; the
	// public listener refuses it.
	if resp, err := http.Get(nodes[testnet.Brand] + "/recall/scope?lot=" + url.QueryEscape(sc.RawMilkLot)); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/recall/scope on the public listener: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	resp, err := qa[testnet.Brand].Get(members[testnet.Brand] + "/recall/scope?lot=" + url.QueryEscape(sc.RawMilkLot))
	if err != nil {
		t.Fatal(err)
	}
	var scope report.Scope
	err = json.NewDecoder(resp.Body).Decode(&scope)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scope: %d %v", resp.StatusCode, err)
	}
	checkDemoScope(t, sc, sscc, &scope)

	// The same through `trustline recall scope`.
	bin := buildTrustline(t)
	cli := func(org string, args ...string) *exec.Cmd {
		f := qaFiles[org]
		return exec.Command(bin, append(args, "--node", members[org], "--node-cert", f[0], "--node-key", f[1], "--node-ca", f[2])...)
	}
	out, err := cli(testnet.Supplier, "recall", "scope", sc.RawMilkLot, "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("trustline recall scope: %v\n%s", err, out)
	}
	var cliScope report.Scope
	if err := json.Unmarshal(out, &cliScope); err != nil {
		t.Fatalf("trustline recall scope: %v\n%s", err, out)
	}
	checkDemoScope(t, sc, sscc, &cliScope)
	out, _ = cli(testnet.Logistics, "recall", "scope", sc.RawMilkLot).CombinedOutput()
	if !strings.Contains(string(out), "reaches 3 lots, 1 logistic units and 5 serialised units (computed by the node") {
		t.Errorf("trustline recall scope (table):\n%s", out)
	}

	// The consumer pages of lot A's jars show the banner on every node,
	// and the roll cage's answer names the recalled lot.
	for org, base := range nodes {
		for _, serial := range sc.Serials {
			req, _ := http.NewRequest("GET", base+path(sc.YogurtLot)+"/21/"+serial, nil)
			req.Header.Set("Accept", "text/html")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Recalled — do not eat or drink") ||
				!strings.Contains(string(page), "Listeria monocytogenes") || !strings.Contains(string(page), "made from recalled lot") {
				t.Errorf("%s's node: the page of jar %s shows no recall banner (%d)", org, serial, resp.StatusCode)
			}
		}
		req, _ := http.NewRequest("GET", base+"/00/"+sscc, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var cage api.LogisticUnitView
		err = json.NewDecoder(resp.Body).Decode(&cage)
		resp.Body.Close()
		if err != nil || !slices.Equal(cage.RecalledLots, []string{sc.YogurtLot}) {
			t.Errorf("%s's node: the roll cage %s does not name its recalled lot: %+v %v", org, sscc, cage, err)
		}
	}
}

// webhookDelivery is an EPCIS subscription's delivery as a subscriber
// reads it, with the recall notices.
type webhookDelivery struct {
	EPCISBody struct {
		QueryResults struct {
			ResultsBody struct {
				EventList []struct {
					EventID     string `json:"eventID"`
					Disposition string `json:"disposition"`
				} `json:"eventList"`
			} `json:"resultsBody"`
			Notices []recallnotice.Notice `json:"tl:recallNotices"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
}

// checkDemoScope checks a recall scope of the demo story's raw milk.
func checkDemoScope(t *testing.T, sc *demo.Scenario, sscc string, s *report.Scope) {
	t.Helper()
	lots := map[string]report.ScopeLot{}
	for _, l := range s.Lots {
		lots[l.ID] = l
	}
	store := "https://id.gs1.org/414/4260123454005"
	for _, want := range []struct {
		lot, custodian, remaining, location string
		units                               int
	}{
		{sc.RawMilkLot, "SupplierMSP", "0 LTR", "https://id.gs1.org/414/4260123453008", 0},
		{sc.YogurtLot, "BrandMSP", "1200 EA", store, 5},
		{sc.BreachedLot, "BrandMSP", "1150 EA", store, 0},
	} {
		l, ok := lots[want.lot]
		if !ok {
			t.Errorf("scope lacks %s", want.lot)
			continue
		}
		if l.Custodian != want.custodian || l.Remaining != want.remaining || l.Location != want.location || l.Units != want.units ||
			l.Status != ledger.StatusRecalled || l.InTransit {
			t.Errorf("scope of %s: %+v, want held by %s at %s, %s left, %d units", want.lot, l, want.custodian, want.location, want.remaining, want.units)
		}
	}
	if len(s.Lots) != 3 || len(s.Units) != 5 || !slices.Equal(s.LogisticUnits, []string{"https://id.gs1.org/00/" + sscc}) ||
		lots[sc.YogurtLot].LogisticUnit != "https://id.gs1.org/00/"+sscc {
		t.Errorf("scope: %d lots, units %v, logistic units %v", len(s.Lots), s.Units, s.LogisticUnits)
	}
	for _, serial := range sc.Serials {
		if !slices.Contains(s.Units, sc.YogurtLot+"/21/"+serial) {
			t.Errorf("scope lacks jar %s", serial)
		}
	}
	var toStore []string
	for _, sh := range s.Shipments {
		if sh.To == "BrandMSP" {
			toStore = append(toStore, sh.Lot+" "+sh.Quantity+" "+sh.Destination)
		}
	}
	want := []string{sc.YogurtLot + " 1200 EA " + store, sc.BreachedLot + " 1150 EA " + store}
	slices.Sort(toStore)
	if len(s.Shipments) != 4 || !slices.Equal(toStore, want) {
		t.Errorf("shipments %+v, want 4 with %v", s.Shipments, want)
	}
	if c := s.Custodians; len(c) != 2 || c[0].Member != "BrandMSP" || len(c[0].Lots) != 2 {
		t.Errorf("custodians %+v", c)
	}
}
