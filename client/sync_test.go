package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
)

// fakePeers answers the fake gateway's queries: qscc GetChainInfo with a
// height scripted per organisation and poll number (1-based), and the
// role table with members.
type fakePeers struct {
	height  func(org string, n int) (uint64, error)
	members []string
	roles   func(n int) error

	mu      sync.Mutex
	polls   map[string]int
	rolesN  int
	queries []string // chaincode functions other than the two above
}

func (p *fakePeers) evaluate(orgs []string, cc, fn string, args []string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case cc == "qscc" && fn == "GetChainInfo":
		if len(orgs) != 1 || len(args) != 1 || args[0] != client.DefaultChannel {
			return nil, status.Errorf(codes.InvalidArgument, "GetChainInfo %v to %v, want the channel to one organisation", args, orgs)
		}
		if p.polls == nil {
			p.polls = map[string]int{}
		}
		p.polls[orgs[0]]++
		h, err := p.height(orgs[0], p.polls[orgs[0]])
		if err != nil {
			return nil, err
		}
		return proto.Marshal(&common.BlockchainInfo{Height: h})
	case fn == client.FnGetRoles:
		p.rolesN++
		if p.roles != nil {
			if err := p.roles(p.rolesN); err != nil {
				return nil, err
			}
		}
		r := ledger.Roles{Version: 1}
		for _, m := range p.members {
			r.Members = append(r.Members, ledger.Member{MSPID: m, Roles: []ledger.Role{ledger.RoleBrand}})
		}
		return json.Marshal(r)
	default:
		p.queries = append(p.queries, fn)
		return []byte(`{"id":"https://id.gs1.org/01/09506000134352/10/L1","custodian":"SupplierMSP"}`), nil
	}
}

func (p *fakePeers) pollsOf(org string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polls[org]
}

func (p *fakePeers) polled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var orgs []string
	for o := range p.polls {
		orgs = append(orgs, o)
	}
	slices.Sort(orgs)
	return orgs
}

func (p *fakePeers) rolesCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rolesN
}

// The fake gateway commits every write in block 7: a peer has it at height 8.
const fakeBlock = 7

func caughtUp(string, int) (uint64, error) { return fakeBlock + 1, nil }

var fourOrgs = []string{"BrandMSP", "LabMSP", "LogisticsMSP", "SupplierMSP"}

func TestPeerSync(t *testing.T) {
	ctx := context.Background()
	fake := func(p *fakePeers) *fakeGateway { return &fakeGateway{evaluate: p.evaluate} }

	t.Run("no wait unless asked", func(t *testing.T) {
		p := &fakePeers{height: caughtUp, members: fourOrgs}
		var r client.Receipt
		if _, err := connectFake(t, fake(p)).Ship(ctx, shipReq, client.WithReceipt(&r)); err != nil || r.Sync != nil {
			t.Fatalf("%v, receipt %+v", err, r)
		}
		if got := p.polled(); len(got) != 0 || p.rolesCalls() != 0 {
			t.Fatalf("polled %v, roles read %d times", got, p.rolesCalls())
		}
	})

	t.Run("waits until each organisation's peer has the block", func(t *testing.T) {
		p := &fakePeers{height: func(org string, n int) (uint64, error) {
			if org == "LogisticsMSP" && n < 4 {
				return fakeBlock, nil // one block behind, three polls long
			}
			return fakeBlock + 1, nil
		}}
		c := connectFake(t, fake(p), client.WithPeerSync("LogisticsMSP", "LabMSP", "LogisticsMSP"))
		var r client.Receipt
		if _, err := c.Ship(ctx, shipReq, client.WithReceipt(&r)); err != nil || r.Sync != nil || r.BlockNumber != fakeBlock {
			t.Fatalf("%v, receipt %+v", err, r)
		}
		if n := p.pollsOf("LogisticsMSP"); n != 4 {
			t.Errorf("logistics polled %d times, want 4 (until its height passed the block)", n)
		}
		if n := p.pollsOf("LabMSP"); n != 1 {
			t.Errorf("lab polled %d times, want 1", n)
		}
	})

	t.Run("all members from the role table, read once", func(t *testing.T) {
		p := &fakePeers{height: caughtUp, members: fourOrgs}
		c := connectFake(t, fake(p), client.WithPeerSync(client.AllMembers))
		for range 2 {
			if _, err := c.Ship(ctx, shipReq); err != nil {
				t.Fatal(err)
			}
		}
		if got := p.polled(); !slices.Equal(got, fourOrgs) {
			t.Errorf("polled %v, want %v", got, fourOrgs)
		}
		if n := p.rolesCalls(); n != 1 {
			t.Errorf("role table read %d times, want 1", n)
		}
		if m, err := c.Members(ctx); err != nil || !slices.Equal(m, fourOrgs) {
			t.Errorf("Members: %v, %v", m, err)
		}
	})

	t.Run("a peer that does not catch up: committed, with a SyncError", func(t *testing.T) {
		p := &fakePeers{height: func(org string, _ int) (uint64, error) {
			switch org {
			case "LogisticsMSP":
				return fakeBlock, nil
			case "LabMSP":
				return 0, status.Error(codes.Unavailable, "peer0.lab unreachable")
			}
			return fakeBlock + 1, nil
		}, members: fourOrgs}
		var handled []*client.SyncError
		c := connectFake(t, fake(p), client.WithPeerSync(client.AllMembers), client.WithPeerSyncTimeout(50*time.Millisecond),
			client.WithPeerSyncHandler(func(e *client.SyncError) { handled = append(handled, e) }))
		var r client.Receipt
		sh, err := c.Ship(ctx, shipReq, client.WithReceipt(&r))
		if err != nil || sh == nil {
			t.Fatalf("the write failed: %+v, %v", sh, err)
		}
		e := r.Sync
		if e == nil || len(handled) != 1 || handled[0] != e {
			t.Fatalf("receipt %+v, handler got %v", r, handled)
		}
		if e.Function != client.FnShip || e.TransactionID != r.TransactionID || e.BlockNumber != fakeBlock || !errors.Is(e, context.DeadlineExceeded) {
			t.Errorf("SyncError %+v", e)
		}
		if len(e.Lagging) != 2 || e.Lagging[0].MSPID != "LabMSP" || e.Lagging[0].Err == nil ||
			e.Lagging[1] != (client.PeerLag{MSPID: "LogisticsMSP", Height: fakeBlock}) {
			t.Errorf("lagging %+v, want the lab (unreachable) then logistics (at height 7)", e.Lagging)
		}
		msg := e.Error()
		for _, want := range []string{"Custody:Ship: transaction " + r.TransactionID + " committed in block 7", "LabMSP (no answer: peer0.lab unreachable)", "LogisticsMSP (at height 7)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message on more than one line: %q", msg)
		}
	})

	t.Run("members unknown: committed, with a SyncError", func(t *testing.T) {
		p := &fakePeers{height: caughtUp, roles: func(int) error { return status.Error(codes.PermissionDenied, "access denied") }}
		var r client.Receipt
		c := connectFake(t, fake(p), client.WithPeerSync(client.AllMembers))
		if _, err := c.Ship(ctx, shipReq, client.WithReceipt(&r)); err != nil {
			t.Fatal(err)
		}
		if r.Sync == nil || len(r.Sync.Lagging) != 0 || !strings.HasSuffix(r.Sync.Error(), "committed in block 7, but the consortium's members, whose peers to wait for, could not be read: access denied") {
			t.Fatalf("receipt %+v", r)
		}
		if got := p.polled(); len(got) != 0 {
			t.Errorf("polled %v", got)
		}
	})

	t.Run("WaitForOrganizations overrides the client's", func(t *testing.T) {
		p := &fakePeers{height: caughtUp, members: fourOrgs}
		c := connectFake(t, fake(p), client.WithPeerSync(client.AllMembers))
		if _, err := c.Ship(ctx, shipReq, client.WaitForOrganizations()); err != nil {
			t.Fatal(err)
		}
		if got := p.polled(); len(got) != 0 || p.rolesCalls() != 0 {
			t.Fatalf("WaitForOrganizations(): polled %v, roles read %d times", got, p.rolesCalls())
		}
		if _, err := c.Ship(ctx, shipReq, client.WaitForOrganizations("LogisticsMSP")); err != nil {
			t.Fatal(err)
		}
		if got := p.polled(); !slices.Equal(got, []string{"LogisticsMSP"}) || p.rolesCalls() != 0 {
			t.Fatalf("WaitForOrganizations(logistics): polled %v, roles read %d times", got, p.rolesCalls())
		}
		// And asks for a wait of a client connected without one.
		p2 := &fakePeers{height: caughtUp}
		if _, err := connectFake(t, fake(p2)).Ship(ctx, shipReq, client.WaitForOrganizations("LabMSP")); err != nil {
			t.Fatal(err)
		}
		if got := p2.polled(); !slices.Equal(got, []string{"LabMSP"}) {
			t.Fatalf("polled %v", got)
		}
	})

	t.Run("queries never wait", func(t *testing.T) {
		p := &fakePeers{height: caughtUp, members: fourOrgs}
		c := connectFake(t, fake(p), client.WithPeerSync(client.AllMembers))
		if _, err := c.Lot(ctx, shipReq.Lot, client.WaitForOrganizations("LabMSP")); err != nil {
			t.Fatal(err)
		}
		if got := p.polled(); len(got) != 0 || p.rolesCalls() != 0 || !slices.Equal(p.queries, []string{client.FnGetLot}) {
			t.Fatalf("polled %v, roles read %d times, queries %v", got, p.rolesCalls(), p.queries)
		}
	})

	t.Run("WaitForBlock and LedgerHeight", func(t *testing.T) {
		p := &fakePeers{height: func(org string, n int) (uint64, error) { return uint64(10 + n), nil }}
		c := connectFake(t, fake(p))
		if h, err := c.LedgerHeight(ctx, "LabMSP"); err != nil || h != 11 {
			t.Fatalf("LedgerHeight: %d, %v", h, err)
		}
		if err := c.WaitForBlock(ctx, 13, "LogisticsMSP"); err != nil {
			t.Fatal(err)
		}
		if n := p.pollsOf("LogisticsMSP"); n != 4 {
			t.Errorf("polled %d times, want 4 (heights 11 to 14)", n)
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		err := c.WaitForBlock(tctx, 1000, "BrandMSP")
		var se *client.SyncError
		if !errors.As(err, &se) || se.BlockNumber != 1000 || len(se.Lagging) != 1 || se.Lagging[0].MSPID != "BrandMSP" || se.Lagging[0].Height < 11 {
			t.Fatalf("got %v", err)
		}
		if !strings.HasPrefix(se.Error(), "block 1000: the peers of BrandMSP (at height ") {
			t.Errorf("message %q", se.Error())
		}
		if err := c.WaitForBlock(ctx, 1000); err != nil {
			t.Errorf("no organisation to wait for: %v", err)
		}
	})
}

// TestPeerSyncSharesPolls: concurrent writes waiting for the same
// organisations share one height query in flight per organisation, instead
// of each polling every peer.
func TestPeerSyncSharesPolls(t *testing.T) {
	var mu sync.Mutex
	inFlight, most := map[string]int{}, 0
	p := &fakePeers{members: fourOrgs}
	p.height = func(org string, n int) (uint64, error) {
		if n < 5 {
			return fakeBlock, nil // four polls behind
		}
		return fakeBlock + 1, nil
	}
	gw := &fakeGateway{evaluate: func(orgs []string, cc, fn string, args []string) ([]byte, error) {
		if cc == "qscc" {
			mu.Lock()
			inFlight[orgs[0]]++
			most = max(most, inFlight[orgs[0]])
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			defer func() { mu.Lock(); inFlight[orgs[0]]--; mu.Unlock() }()
		}
		return p.evaluate(orgs, cc, fn, args)
	}}
	c := connectFake(t, gw, client.WithPeerSync(client.AllMembers))
	const writes = 32
	var wg sync.WaitGroup
	for range writes {
		wg.Go(func() {
			var r client.Receipt
			if _, err := c.Ship(context.Background(), shipReq, client.WithReceipt(&r)); err != nil || r.Sync != nil {
				t.Errorf("%v, receipt %+v", err, r)
			}
		})
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d height queries in flight to one peer at once, want 1", most)
	}
	for _, org := range fourOrgs {
		// Five polls reach the block; a few more may start when a write
		// begins its wait while a poll is out.
		if n := p.pollsOf(org); n < 5 || n > 5+writes/4 {
			t.Errorf("%s polled %d times for %d writes, want 5 to %d", org, n, writes, 5+writes/4)
		}
	}
}
