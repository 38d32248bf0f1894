package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationServicePromise: a brand promises to answer questions and
// complaints within a minute (a service_within claim on a product of its
// own). A consumer files a complaint from the brand node's scan page; the
// brand answers it in time and the service badge holds; a second complaint
// answered (through `trustline service answer`) after the minute turns it
// to fails. Before it is answered, that second complaint turns the badge to
// fails on its own once its minute is up, with no new ledger event: the
// verdict is evaluated at the deadline, an instant that follows from the
// filing's ledger time, not at the node's clock. At each step the node's
// receipt re-evaluates the claim, offline and against the chain, to the
// node's verdict; neither the ledger's events nor the receipt carry the
// message, and `trustline service delete` removes it from the node without
// changing the verdict. The final receipt, with a service event cut
// (receipttest.ServiceCases), fails through the real `trustline verify`,
// offline and against the chain (serviceTamperTable).
func TestIntegrationServicePromise(t *testing.T) {
	n := testkit.Network(t)
	run := time.Now().UnixNano() % 1e8
	body := fmt.Sprintf("0426098%05d", run%1e5)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	gtin := body + strconv.Itoa(d)
	lotNum := fmt.Sprintf("SV-%d", run)
	lot := "https://id.gs1.org/01/0" + gtin + "/10/" + lotNum
	mustJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	testkit.Submit(t, testnet.Brand, "Product:RegisterProduct", mustJSON(ledger.ProductRequest{GTIN: gtin, Name: "Wildflower honey 250 g",
		Brand: "Alpenwiese", Category: "honey", TempMinC: 5, TempMaxC: 30, ShelfLifeDays: 700}))
	now := time.Now().UTC()
	testkit.Submit(t, testnet.Supplier, "Batch:CreateBatch", mustJSON(ledger.BatchRequest{
		GTIN: gtin, Lot: lotNum, Quantity: ledger.Quantity{Value: "400", UOM: "EA"}, Producer: "4260123451004",
		Place: ledger.Place{Location: "https://id.gs1.org/414/4260123451004", Geo: &ledger.Geo{Latitude: 47.5683, Longitude: 10.2201},
			Address: &ledger.Address{City: "Oberstaufen", Country: "DE"}},
		ProducedAt: now.Add(-24 * time.Hour).Format(time.RFC3339), Expiry: now.Add(600 * 24 * time.Hour).Format(time.RFC3339),
		FarmingPractice: "wildflower meadows, organic beekeeping",
	}))
	claimRes, _ := testkit.Submit(t, testnet.Brand, "Claim:RegisterClaim", mustJSON(ledger.ClaimRequest{Subject: gtin, Kind: ledger.ClaimService,
		Wording: "Complaints answered within a minute", Params: ledger.ClaimParams{Service: &ledger.ServiceParams{AnswerMinutes: 1, WindowDays: 30}}}))
	var claim ledger.Claim
	if err := json.Unmarshal(claimRes, &claim); err != nil {
		t.Fatal(err)
	}

	p, err := n.ClientConfig(testnet.Brand, false)
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithTimeout(context.Background(), time.Minute)
	defer acancel()
	anc, err := demo.SetupAnchoring(actx, n)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Service: &node.ServiceConfig{},
		Anchoring: &node.AnchoringConfig{Enabled: true, RPCURL: anc.RPCURL, Contract: anc.Contract, DeployBlock: anc.DeployBlock,
			KeyFile: anc.KeyFiles[testnet.Brand], Blocks: 2, Interval: "1s"}}
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
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	base := "http://" + nd.Addr().String()
	var waitForReason func(st claims.Status, phrase, what string, limit time.Duration) claims.Result
	lotPath := strings.TrimPrefix(lot, "https://id.gs1.org")
	verdict := func() claims.Result {
		resp, err := http.Get(base + "/badge" + lotPath + ".json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b api.Badge
		if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&b) == nil {
			for _, c := range b.Claims {
				if c.Claim == claim.ID {
					return c.Result
				}
			}
		}
		return claims.Result{}
	}
	waitFor := func(st claims.Status, what string) claims.Result {
		t.Helper()
		return waitForReason(st, "", what, 60*time.Second)
	}
	waitForReason = func(st claims.Status, phrase, what string, limit time.Duration) claims.Result {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			r := verdict()
			if r.Status == st && strings.Contains(r.Reason, phrase) {
				t.Logf("%s: service badge %s: %s", what, r.Status, r.Reason)
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the service claim is %q (%s), want %s naming %q", what, r.Status, r.Reason, st, phrase)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor(claims.Pending, "no tickets yet")

	// The consumer's page on the brand's node has the form; they post it.
	page := get(t, base+lotPath+"?lang=de", "text/html")
	m := regexp.MustCompile(`<form class="service" method="post" action="([^"]+)">\s*<input type="hidden" name="subject" value="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no service form:\n%s", page)
	}
	const msg1, msg2 = "Das Glas war beim Öffnen schon offen.", "Der Honig ist kristallisiert – ist das normal?"
	file := func(message string) (ticket string) {
		t.Helper()
		form := url.Values{"subject": {m[2]}, "lang": {"de"}, "topic": {"complaint"}, "message": {message}}
		req, _ := http.NewRequest("POST", base+m[1], strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := regexp.MustCompile(`tkt-[a-z2-7]{26}`).FindString(string(b))
		if resp.StatusCode != http.StatusCreated || id == "" || !strings.Contains(string(b), "Vielen Dank") {
			t.Fatalf("filing: %d\n%s", resp.StatusCode, b)
		}
		return id
	}
	bin := buildTrustline(t)
	answer := func(ticket, message string) {
		t.Helper()
		out, err := exec.Command(bin, "service", "answer", ticket, "--outcome", "answered", "--message", message,
			"--data-dir", cfg.DataDir, "--profile", testnet.Brand, "--testnet-dir", n.Dir(), "-o", "json").CombinedOutput()
		if err != nil {
			t.Fatalf("trustline service answer: %v\n%s", err, out)
		}
	}

	// Answered within the minute: the promise holds.
	t1 := file(msg1)
	filed := time.Now()
	answer(t1, "Bitte entschuldigen Sie; ein neues Glas ist unterwegs.")
	t.Logf("ticket %s answered %v after it was filed", t1, time.Since(filed).Round(time.Millisecond))
	held := waitFor(claims.Holds, "answered in time")
	_ = checkServiceReceipt(t, base, lotPath, anc.RPCURL, claim.ID, claims.Holds, []string{t1}, []string{msg1, msg2})

	// Left unanswered: once its minute is up the badge fails, with no new
	// ledger event, evaluated at the deadline whatever the clock.
	t2 := file(msg2)
	waitForReason(claims.Holds, "1 open, the first due by", "second ticket filed", 60*time.Second)
	idle := health(t, base)
	overdue := waitForReason(claims.Fails, "ticket "+t2+" filed on", "unanswered past its deadline", 3*time.Minute)
	// No transaction applied and no block: the ledger height (polled, so
	// it may lag the index by one) is at most the block indexed, plus one.
	if after := health(t, base); after.Index.Applied != idle.Index.Applied || after.Index.IndexBlock != idle.Index.IndexBlock || after.Index.Height > after.Index.IndexBlock+1 {
		t.Errorf("the badge failed with ledger activity: before %+v, after %+v", idle.Index, after.Index)
	}
	if !strings.Contains(overdue.Reason, "is unanswered after 1 min (limit 1 min); 1 of 2 tickets in the last 30 days answered in time") {
		t.Errorf("overdue ticket fails with %q", overdue.Reason)
	}
	time.Sleep(1500 * time.Millisecond)
	if again := verdict(); again.Status != claims.Fails || again.EvaluatedAt != overdue.EvaluatedAt || again.Reason != overdue.Reason {
		t.Errorf("the overdue verdict moved with the clock: %s at %s (%s), then %s at %s (%s)",
			overdue.Status, overdue.EvaluatedAt, overdue.Reason, again.Status, again.EvaluatedAt, again.Reason)
	}

	// Answered after the minute: it still fails, now for the late answer.
	answer(t2, "Ja, das ist normal: Honig kristallisiert mit der Zeit.")
	failed := waitForReason(claims.Fails, "was answered", "answered late", 60*time.Second)
	if !strings.Contains(failed.Reason, "ticket "+t2) || !strings.Contains(failed.Reason, "(limit 1 min); 1 of 2 tickets in the last 30 days answered in time") {
		t.Errorf("fails with %q", failed.Reason)
	}
	if held.Reason == failed.Reason {
		t.Error("the verdict's reason did not change")
	}
	final := checkServiceReceipt(t, base, lotPath, anc.RPCURL, claim.ID, claims.Fails, []string{t1, t2}, []string{msg1, msg2})
	// The overdue verdict's instant is the filing's ledger time (its
	// event's, in the receipt) plus the minute: the same on every node.
	if filedAt, ok := eventTime(t, final, overdue.Evidence); !ok || ledger.FormatTime(filedAt.Add(time.Minute+time.Nanosecond)) != overdue.EvaluatedAt {
		t.Errorf("overdue verdict evaluated at %s; ticket %s filed at %v (found %v): want the filing's time plus 1 min", overdue.EvaluatedAt, t2, filedAt, ok)
	}
	vctx, vcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer vcancel()
	serviceTamperTable(vctx, t, trustlineBinary(t), anc.RPCURL, final)

	// The brand deletes a message: the consumer's link finds nothing, the
	// verdict stays, as the ledger does.
	if out, err := exec.Command(bin, "service", "delete", t1, "--data-dir", cfg.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("trustline service delete: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "service", "list", "--data-dir", cfg.DataDir, "-o", "json").CombinedOutput()
	if err != nil || strings.Contains(string(out), t1) || !strings.Contains(string(out), t2) {
		t.Fatalf("trustline service list after delete: %v\n%s", err, out)
	}
	if r := verdict(); r.Status != claims.Fails {
		t.Errorf("after deleting a message the claim is %s", r.Status)
	}
}

func get(t *testing.T, u, accept string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// checkServiceReceipt fetches the lot's receipt once it is anchored with
// the latest verdict: it carries the service events of the tickets (and
// none of the messages), and verifies offline and on chain with the
// service claim re-evaluated to want; a receipt with a service event
// dropped or its verdict changed fails. It returns the receipt's file.
func checkServiceReceipt(t *testing.T, base, lotPath, rpcURL, claimID string, want claims.Status, tickets, messages []string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var data []byte
	var r *receipt.Receipt
	t0 := time.Now()
	for {
		resp, err := http.Get(base + lotPath + "?format=receipt")
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if r, err = receipt.Parse(data); err != nil {
				t.Fatal(err)
			}
			if len(r.Claims) == 1 && r.Claims[0].Status == want {
				break
			}
		} else if resp.StatusCode != http.StatusConflict {
			t.Fatalf("GET receipt: %d %s", resp.StatusCode, data)
		}
		if ctx.Err() != nil {
			t.Fatalf("no receipt with the service claim %s within 3 min: %s", want, data)
		}
		time.Sleep(500 * time.Millisecond)
	}
	service := 0
	for _, e := range r.Events {
		if e.Service {
			service++
		}
	}
	t.Logf("receipt after %v: %d events (%d service events), %d records, %d bytes", time.Since(t0).Round(time.Millisecond), len(r.Events), service, len(r.Records), len(data))
	if service != 2*len(tickets) {
		t.Errorf("receipt has %d service events, want %d", service, 2*len(tickets))
	}
	for _, tk := range tickets {
		if !strings.Contains(string(data), tk) {
			t.Errorf("receipt does not name ticket %s", tk)
		}
	}
	for _, m := range messages {
		if strings.Contains(string(data), m) {
			t.Errorf("receipt carries a consumer's message %q", m)
		}
	}
	rc, err := rpc.DialContext(ctx, rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	online := receipt.Options{Backend: ethclient.NewClient(rc), Anchor: ethanchor.Options{PollInterval: 200 * time.Millisecond}}
	for _, opts := range []receipt.Options{{}, online} {
		rep := mustVerify(ctx, t, r, opts, "receipt")
		if len(rep.Claims) != 1 || rep.Claims[0].Claim != claimID || rep.Claims[0].Recomputed == nil || rep.Claims[0].Recomputed.Status != want {
			t.Errorf("service claim re-evaluated: %+v", rep.Claims)
		}
	}
	// Tampering: the last service event dropped (an answer, or the late
	// answer hidden), or the verdict changed.
	last := -1
	for i, e := range r.Events {
		if e.Service {
			last = i
		}
	}
	for name, tamper := range map[string]func(r *receipt.Receipt){
		"service event dropped": func(r *receipt.Receipt) { r.Events = append(r.Events[:last:last], r.Events[last+1:]...) },
		"verdict changed": func(r *receipt.Receipt) {
			r.Claims[0].Status = map[claims.Status]claims.Status{claims.Holds: claims.Fails, claims.Fails: claims.Holds}[want]
		},
	} {
		tr, err := receipt.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		tamper(tr)
		rep, err := receipt.Verify(ctx, tr, receipt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() {
			t.Errorf("%s: the receipt still verifies", name)
		}
	}
	return data
}
