package consortium_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/consortium"
)

func TestBlockSigners(t *testing.T) {
	sig := func(id uint32) *common.MetadataSignature {
		ih, _ := proto.Marshal(&common.IdentifierHeader{Identifier: id})
		return &common.MetadataSignature{IdentifierHeader: ih, Signature: []byte{1}}
	}
	block := func(sigs ...*common.MetadataSignature) *common.Block {
		md, _ := proto.Marshal(&common.Metadata{Value: []byte("v"), Signatures: sigs})
		return &common.Block{Header: &common.BlockHeader{Number: 7}, Metadata: &common.BlockMetadata{Metadata: [][]byte{md, nil, nil, nil, nil}}}
	}
	for _, tc := range []struct {
		name    string
		block   *common.Block
		want    []uint32
		wantErr bool
	}{
		{"three of four decided", block(sig(2), sig(4), sig(1)), []uint32{2, 4, 1}, false},
		{"a signature without identifier header is skipped", block(sig(3), &common.MetadataSignature{Signature: []byte{1}}), []uint32{3}, false},
		{"no signatures", block(), nil, false},
		{"no metadata", &common.Block{Header: &common.BlockHeader{Number: 7}}, nil, true},
		{"garbled metadata", &common.Block{Header: &common.BlockHeader{Number: 7}, Metadata: &common.BlockMetadata{Metadata: [][]byte{{0xff, 0xff}}}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := consortium.BlockSigners(tc.block)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Errorf("BlockSigners = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// fakeConsenter is one orderer as Consenters sees it: its height and who
// signed its newest block.
type fakeConsenter struct {
	height  uint64
	signers []uint32
	down    bool
}

type fakeConsenters struct {
	mu     sync.Mutex
	by     map[string]*fakeConsenter // by address
	blocks int                       // blocks asked for
}

func (f *fakeConsenters) dial(addr string, _ [][]byte, _ *consortium.Signer) (consortium.OrdererClient, error) {
	c := f.by[addr]
	if c == nil || c.down {
		return nil, fmt.Errorf("orderer at %s: connection refused", addr)
	}
	return &fakeConsenterClient{f: f, c: c}, nil
}

type fakeConsenterClient struct {
	consortium.OrdererClient // only Height, Block and Close are asked
	f                        *fakeConsenters
	c                        *fakeConsenter
}

func (o *fakeConsenterClient) Height(context.Context, string) (uint64, error) { return o.c.height, nil }
func (o *fakeConsenterClient) Close() error                                   { return nil }

func (o *fakeConsenterClient) Block(_ context.Context, _ string, n uint64) (*common.Block, error) {
	o.f.mu.Lock()
	o.f.blocks++
	o.f.mu.Unlock()
	if n != o.c.height-1 {
		return nil, errors.New("fake: only the newest block")
	}
	var sigs []*common.MetadataSignature
	for _, id := range o.c.signers {
		ih, _ := proto.Marshal(&common.IdentifierHeader{Identifier: id})
		sigs = append(sigs, &common.MetadataSignature{IdentifierHeader: ih, Signature: []byte{1}})
	}
	md, _ := proto.Marshal(&common.Metadata{Signatures: sigs})
	return &common.Block{Header: &common.BlockHeader{Number: n}, Metadata: &common.BlockMetadata{Metadata: [][]byte{md}}}, nil
}

// TestConsentersCatchingUp: a consenter that answers at a height close to
// the others' is still unhealthy while it catches up (its newest block
// pulled from the others, without its signature) as long as blocks are
// being cut; when every consenter is at one height, no block is asked.
func TestConsentersCatchingUp(t *testing.T) {
	cc, orgs := channel(t)
	cons, err := cc.Consenters()
	if err != nil {
		t.Fatal(err)
	}
	addr := func(k *common.Consenter) string { return fmt.Sprintf("%s:%d", k.Host, k.Port) }
	for _, tc := range []struct {
		name       string
		set        func(i int, k *common.Consenter) *fakeConsenter
		unhealthy  map[int]string // consenter index: error containing
		wantBlocks bool
	}{
		{"one height, nobody signed", func(int, *common.Consenter) *fakeConsenter { return &fakeConsenter{height: 50} }, nil, false},
		{"heights differ, each decided its newest block", func(i int, k *common.Consenter) *fakeConsenter {
			return &fakeConsenter{height: uint64(50 - i%2), signers: []uint32{k.Id, 99}}
		}, nil, true},
		{"the last one pulled its newest block", func(i int, k *common.Consenter) *fakeConsenter {
			if i == 3 {
				return &fakeConsenter{height: 47, signers: []uint32{cons[0].Id, cons[1].Id, cons[2].Id}}
			}
			return &fakeConsenter{height: 50, signers: []uint32{k.Id}}
		}, map[int]string{3: "catching up: at height 47 (the highest consenter at 50), its newest block was pulled from the other consenters"}, true},
		{"down and far behind", func(i int, k *common.Consenter) *fakeConsenter {
			switch i {
			case 0:
				return &fakeConsenter{down: true}
			case 1:
				return &fakeConsenter{height: 30, signers: []uint32{k.Id}}
			}
			return &fakeConsenter{height: 50}
		}, map[int]string{0: "connection refused", 1: "at height 30, 20 blocks behind the highest consenter (50)"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeConsenters{by: map[string]*fakeConsenter{}}
			for i, k := range cons {
				f.by[addr(k)] = tc.set(i, k)
			}
			states, err := consortium.Consenters(context.Background(), cc, signer(t, orgs[0]), f.dial)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range states {
				want, bad := tc.unhealthy[i]
				if st.Healthy() == bad || (bad && !strings.Contains(st.Err, want)) {
					t.Errorf("consenter %d (%s): healthy %v, error %q; want unhealthy %v naming %q", st.ID, st.Address, st.Healthy(), st.Err, bad, want)
				}
			}
			if (f.blocks > 0) != tc.wantBlocks {
				t.Errorf("%d blocks asked; want some: %v", f.blocks, tc.wantBlocks)
			}
		})
	}
}
