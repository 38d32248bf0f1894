package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
)

// slowChain is an anchoring chain's JSON-RPC endpoint whose first answer
// (the chain id, the dial's first call) waits for during, a request to
// the node made while the node dials it.
type slowChain struct {
	once   sync.Once
	during func()
}

func (c *slowChain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.once.Do(c.during)
	result := `"0x539"` // eth_chainId
	if req.Method == "eth_getCode" {
		result = `"0x6001"`
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
}

// The swap of a rolling rebuild connects the rest of the node (here the
// anchoring chain, whose dial waits for a request to the node) before it
// takes the server's lock: a request made during the dial is answered by
// the old index, not held until the dial ends. Were the dial under the
// lock, request and dial would wait for each other until the probe's
// timeout.
func TestRollingSwapDialsBeforeTheLock(t *testing.T) {
	chain := fixtureChain(t, 40)
	dir := t.TempDir()
	live := filepath.Join(dir, "index")
	oldIndex(t, live, chain, index.Layout-1)

	src := &chainSource{chain: chain}
	n := &Node{cfg: Config{DataDir: dir, Peer: client.Config{Channel: "trustline"}}, log: quiet, serving: &servingHandler{}, src: src}
	r, err := openRolling(live, src, follower.Options{Logger: quiet}, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	n.roll = r
	n.serving.set(r.handler(n.baseAPIOptions()))
	ts := httptest.NewServer(n.serving)
	defer ts.Close()
	path := juicePath(t)

	type answer struct {
		code   int
		err    error
		during bool // the rebuild's status was still on /healthz
	}
	probed := make(chan answer, 1)
	chainSrv := httptest.NewServer(&slowChain{during: func() {
		hc := &http.Client{Timeout: 20 * time.Second}
		resp, err := hc.Get(ts.URL + path)
		if err != nil {
			probed <- answer{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		_, rebuilding := n.Rebuilding()
		probed <- answer{code: resp.StatusCode, during: rebuilding}
	}})
	defer chainSrv.Close()
	n.cfg.Anchoring = &AnchoringConfig{Enabled: true, RPCURL: chainSrv.URL, Contract: "0x00000000000000000000000000000000000000a1"}

	if err := r.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	idx, err := n.swapIn(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	select {
	case a := <-probed:
		if a.err != nil || a.code != http.StatusOK || !a.during {
			t.Fatalf("request during the chain's dial: %d %v (served by the old index: %v)", a.code, a.err, a.during)
		}
	default:
		t.Fatal("the chain was never dialed")
	}
	if idx != n.Index() || idx.Checkpoint().Layout != index.Layout || n.anc == nil {
		t.Fatalf("after the swap: index %p (node's %p), layout %d, anchoring %v", idx, n.Index(), idx.Checkpoint().Layout, n.anc != nil)
	}
	if code, _ := getJSON(t, ts.URL+path, nil); code != http.StatusOK {
		t.Fatalf("after the swap: %d", code)
	}
}
