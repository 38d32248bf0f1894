package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// TestBrowserMerkleCheck runs the consumer page's WebCrypto check of each
// event's Merkle path, from the lot's receipt, in headless Chromium:
// windows of odd sizes (so that paths skip levels), every anchored event
// shows ✓, the event whose path was tampered with shows ✗ for its path, and
// an event the page shows but the receipt does not carry ✗ for that.
func TestBrowserMerkleCheck(t *testing.T) {
	ctx := phoneBrowser(t)
	idx := fixture(t)
	tr, err := idx.Trace(gtinJuice, "J2509-03", "B000142")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, raw := range tr.Events {
		var ev struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.EventID)
	}
	if len(ids) < 3 {
		t.Fatalf("fixture trace has %d events", len(ids))
	}
	// Each event in its own window among other leaves: sizes 1+i*3. The
	// page's script checks them from the receipt (a version 2 one: bare
	// leaves).
	rc := receipt.Receipt{Version: 2, Subject: receipt.Subject{DigitalLink: "https://id.gs1.org" + juicePath}}
	var views []AnchorView
	for i, id := range ids {
		leaves := []string{id}
		for j := range i * 3 {
			leaves = append(leaves, fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", i*100+j))
		}
		w := merkle.NewWindow(leaves)
		tree := w.Tree()
		li, _ := w.Index(id)
		proof, err := tree.Proof(li)
		if err != nil {
			t.Fatal(err)
		}
		path := make([]common.Hash, len(proof))
		for k, h := range proof {
			path[k] = common.Hash(h)
		}
		block := uint64(10 * i)
		rc.Windows = append(rc.Windows, receipt.Window{Channel: "trustline", FromBlock: block, ToBlock: block + 9, Size: uint64(w.Len()), Root: common.Hash(tree.Root()),
			Anchors: []receipt.Anchor{{ChainID: 1337, TxHash: common.Hash{byte(i + 1)}, BlockNumber: uint64(10 + i)}}})
		rc.Events = append(rc.Events, receipt.Event{Event: tr.Events[i], EventID: id, TxID: fmt.Sprintf("tx%d", i), Block: block, Window: i, LeafIndex: uint64(li), Path: path})
		views = append(views, AnchorView{EventID: id, Anchored: true, ChainID: 1337, Block: uint64(10 + i), TxHash: fmt.Sprintf("0x%064x", i), Anchors: 2})
	}
	bad := len(views) - 1
	if len(rc.Events[bad].Path) == 0 {
		t.Fatal("the tampered event has no path")
	}
	rc.Events[bad].Path[0][0] ^= 0xff
	// An event the page shows that the receipt does not carry.
	missing := len(views)
	views = append(views, AnchorView{EventID: "ni:///sha-256;" + strings.Repeat("ab", 32) + "?ver=CBV2.1", Anchored: true, ChainID: 1337, Block: 99,
		TxHash: fmt.Sprintf("0x%064x", 99), Anchors: 1})
	doc, err := rc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r := New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.URL.Path == ScriptPath:
			js, _ := r.Script()
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(js)
			return
		case req.URL.Query().Get("format") == "receipt":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
			return
		}
		p, err := TracePage(idx, tr, Links{})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p.Anchors = views
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = r.Page(w, p)
	}))
	defer srv.Close()

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+juicePath), chromedp.WaitVisible(chromedp.CSS(".merkle-check.bad"))); err != nil {
		t.Fatal(err)
	}
	// The checks run concurrently: wait until every one has written its mark.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.merkle-check:empty').length === 0`)); err != nil {
		t.Fatal(err)
	}
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.merkle-check'), e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != len(views) {
		t.Fatalf("%d marks for %d anchored events: %q", len(marks), len(views), marks)
	}
	for i, m := range marks {
		want := "✓ Merkle path checked in your browser"
		switch i {
		case bad:
			want = "✗ Merkle path does not match"
		case missing:
			want = "✗ Not in the lot's receipt: nothing proves this event"
		}
		if m != want {
			t.Errorf("event %d: %q, want %q", i, m, want)
		}
	}
}
