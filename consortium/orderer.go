package consortium

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// OrdererClient is what membership changes ask of an orderer; *Orderer is
// the real one.
type OrdererClient interface {
	Block(ctx context.Context, channel string, number uint64) (*common.Block, error)
	Height(ctx context.Context, channel string) (uint64, error)
	Config(ctx context.Context, channel string) (*ChannelConfig, error)
	ConfigBlock(ctx context.Context, channel string) ([]byte, error)
	Submit(ctx context.Context, u *Update) error
	Close() error
}

// Dialer connects to the orderer at addr as s, trusting tlsRoots.
type Dialer func(addr string, tlsRoots [][]byte, s *Signer) (OrdererClient, error)

// Dial is the real Dialer.
func Dial(addr string, tlsRoots [][]byte, s *Signer) (OrdererClient, error) {
	return DialOrderer(addr, tlsRoots, s)
}

// Orderer is a connection to one orderer of a channel, as one identity:
// its Deliver service gives blocks (and so the channel's configuration and
// height), its Broadcast service takes config updates.
type Orderer struct {
	addr   string
	conn   *grpc.ClientConn
	signer *Signer
}

// DialOrderer connects to the orderer at addr (host:port), trusting the
// TLS roots given (PEM) for a certificate naming addr's host.
func DialOrderer(addr string, tlsRoots [][]byte, s *Signer) (*Orderer, error) {
	conn, err := dialTLS("orderer", addr, tlsRoots)
	if err != nil {
		return nil, err
	}
	return &Orderer{addr: addr, conn: conn, signer: s}, nil
}

// Address is the orderer's address.
func (o *Orderer) Address() string { return o.addr }

// Close closes the connection.
func (o *Orderer) Close() error { return o.conn.Close() }

// envelope is a signed envelope of type typ on channel carrying data.
func (o *Orderer) envelope(typ common.HeaderType, channel string, data []byte) (*common.Envelope, error) {
	shdr, err := o.signer.signatureHeader()
	if err != nil {
		return nil, err
	}
	payload := mustMarshal(&common.Payload{
		Header: &common.Header{
			ChannelHeader: mustMarshal(&common.ChannelHeader{
				Type: int32(typ), ChannelId: channel, Timestamp: timestamppb.Now(),
			}),
			SignatureHeader: shdr,
		},
		Data: data,
	})
	sig, err := o.signer.sign(payload)
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload, Signature: sig}, nil
}

// newest asks for the newest block in Block.
const newest = math.MaxUint64

// Newest, as a block number, asks for the newest block.
const Newest = newest

// Block returns block number of channel (newest: the newest block).
func (o *Orderer) Block(ctx context.Context, channel string, number uint64) (*common.Block, error) {
	pos := &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: number}}}
	if number == newest {
		pos = &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}
	}
	env, err := o.envelope(common.HeaderType_DELIVER_SEEK_INFO, channel, mustMarshal(&orderer.SeekInfo{
		Start: pos, Stop: pos, Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY,
	}))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	stream, err := orderer.NewAtomicBroadcastClient(o.conn).Deliver(ctx)
	if err != nil {
		return nil, fmt.Errorf("orderer at %s: %w", o.addr, err)
	}
	if err := stream.Send(env); err != nil {
		return nil, fmt.Errorf("orderer at %s: %w", o.addr, err)
	}
	var block *common.Block
	for {
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("orderer at %s: %w", o.addr, err)
		}
		switch t := resp.Type.(type) {
		case *orderer.DeliverResponse_Block:
			block = t.Block
		case *orderer.DeliverResponse_Status:
			if t.Status != common.Status_SUCCESS {
				return nil, fmt.Errorf("orderer at %s: delivering block: %s", o.addr, t.Status)
			}
			if block == nil {
				return nil, fmt.Errorf("orderer at %s: no block", o.addr)
			}
			return block, nil
		}
	}
}

// Height returns the channel's height at this orderer.
func (o *Orderer) Height(ctx context.Context, channel string) (uint64, error) {
	b, err := o.Block(ctx, channel, newest)
	if err != nil {
		return 0, err
	}
	return b.GetHeader().GetNumber() + 1, nil
}

// Config returns the channel's latest configuration and the number of the
// config block that holds it.
func (o *Orderer) Config(ctx context.Context, channel string) (*ChannelConfig, error) {
	b, err := o.Block(ctx, channel, newest)
	if err != nil {
		return nil, err
	}
	n, err := LastConfigIndex(b)
	if err != nil {
		return nil, err
	}
	if n != b.GetHeader().GetNumber() {
		if b, err = o.Block(ctx, channel, n); err != nil {
			return nil, err
		}
	}
	return configFromBlock(b)
}

// ConfigBlock returns the latest config block, marshalled (for an orderer
// joining the channel).
func (o *Orderer) ConfigBlock(ctx context.Context, channel string) ([]byte, error) {
	b, err := o.Block(ctx, channel, newest)
	if err != nil {
		return nil, err
	}
	n, err := LastConfigIndex(b)
	if err != nil {
		return nil, err
	}
	if b, err = o.Block(ctx, channel, n); err != nil {
		return nil, err
	}
	return proto.Marshal(b)
}

// Submit sends the update, with its signatures, to the orderer as a
// config update envelope signed by o's identity, and returns once the
// orderer accepted it (it is then ordered into the next config block).
func (o *Orderer) Submit(ctx context.Context, u *Update) error {
	cue := &common.ConfigUpdateEnvelope{ConfigUpdate: u.ConfigUpdate}
	for _, s := range u.Signatures {
		cue.Signatures = append(cue.Signatures, &common.ConfigSignature{SignatureHeader: s.SignatureHeader, Signature: s.Signature})
	}
	env, err := o.envelope(common.HeaderType_CONFIG_UPDATE, u.Channel, mustMarshal(cue))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := orderer.NewAtomicBroadcastClient(o.conn).Broadcast(ctx)
	if err != nil {
		return fmt.Errorf("orderer at %s: %w", o.addr, err)
	}
	if err := stream.Send(env); err != nil {
		return fmt.Errorf("orderer at %s: %w", o.addr, err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("orderer at %s: %w", o.addr, err)
	}
	if resp.Status != common.Status_SUCCESS {
		return &RejectedError{Status: resp.Status.String(), Info: resp.Info}
	}
	return stream.CloseSend()
}

// RejectedError is an orderer's refusal of a config update.
type RejectedError struct{ Status, Info string }

func (e *RejectedError) Error() string {
	return "the orderer refused the update: " + e.Status + ": " + e.Info
}

// ConsenterState is one consenter's health as seen from outside: its
// channel height through its Deliver service, or why it could not be
// asked, or why it does not count towards a quorum.
type ConsenterState struct {
	ID      uint32 `json:"id"`
	MSPID   string `json:"mspId"`
	Address string `json:"address"`
	Height  uint64 `json:"height,omitempty"`
	Err     string `json:"error,omitempty"`
}

// Healthy reports whether the consenter answered and takes part in the
// consensus.
func (c ConsenterState) Healthy() bool { return c.Err == "" }

// MaxLag is how many blocks a consenter may trail the highest one and
// still count as healthy (blocks are cut every few hundred milliseconds
// under load, and the heights are read one after another).
const MaxLag = 10

// Consenters asks every consenter of cc for its height, as s, in
// parallel. A consenter that does not answer within a few seconds, or
// trails the highest by more than MaxLag blocks, is marked unhealthy; so
// is one that is still catching up, when the consenters' heights differ
// (blocks are being cut): its newest block does not carry its own
// signature.
//
// A height close to the others' does not say that an orderer takes part
// in the consensus. SmartBFT writes the signatures of the quorum that
// decided a block into each deciding node's copy, its own among them; an
// orderer that fell behind (a restart) pulls the blocks it missed from the
// others, and those carry only theirs. Under a steady load such a sync
// takes longer than the others take to decide the next blocks, so a
// restarted orderer lands a few blocks behind, syncs again, and can go on
// so for tens of seconds, its height always within a few blocks of the
// others'. Meanwhile the channel runs on the remaining consenters: a
// consenter change (or the loss of one more) then leaves no quorum until a
// view change. It was measured on the testnet: a follower's certificate
// renewal submitted while another orderer restarted a few seconds before
// was still catching up stalled commits 6.9 s, against 1.1 s otherwise.
func Consenters(ctx context.Context, cc *ChannelConfig, s *Signer, dial Dialer) ([]ConsenterState, error) {
	cons, err := cc.Consenters()
	if err != nil {
		return nil, err
	}
	out := make([]ConsenterState, len(cons))
	tlsRoots := make([][][]byte, len(cons))
	// ask runs f on each consenter that is still healthy, in parallel,
	// with a connection to it; an error marks it unhealthy.
	ask := func(f func(ctx context.Context, o OrdererClient, st *ConsenterState) error) {
		var wg sync.WaitGroup
		for i := range out {
			if !out[i].Healthy() {
				continue
			}
			wg.Add(1)
			go func(st *ConsenterState, roots [][]byte) {
				defer wg.Done()
				o, err := dial(st.Address, roots, s)
				if err != nil {
					st.Err = err.Error()
					return
				}
				defer o.Close()
				hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if err := f(hctx, o, st); err != nil {
					if errors.Is(hctx.Err(), context.DeadlineExceeded) {
						err = errors.New("no answer within 5s")
					}
					st.Err = err.Error()
				}
			}(&out[i], tlsRoots[i])
		}
		wg.Wait()
	}
	for i, k := range cons {
		out[i] = ConsenterState{ID: k.Id, MSPID: k.MspId, Address: net.JoinHostPort(k.Host, strconv.Itoa(int(k.Port)))}
		msp, err := cc.MSP(k.MspId)
		if err != nil {
			out[i].Err = err.Error()
			continue
		}
		tlsRoots[i] = msp.TlsRootCerts
	}
	ask(func(ctx context.Context, o OrdererClient, st *ConsenterState) (err error) {
		st.Height, err = o.Height(ctx, cc.Channel)
		return err
	})
	var top uint64
	for _, c := range out {
		top = max(top, c.Height)
	}
	heights := map[uint64]bool{}
	for i, c := range out {
		if c.Healthy() && c.Height+MaxLag < top {
			out[i].Err = fmt.Sprintf("at height %d, %d blocks behind the highest consenter (%d)", c.Height, top-c.Height, top)
		}
		if out[i].Healthy() {
			heights[c.Height] = true
		}
	}
	if len(heights) <= 1 {
		return out, nil // no block cut while asking: nobody is catching up
	}
	ask(func(ctx context.Context, o OrdererClient, st *ConsenterState) error {
		b, err := o.Block(ctx, cc.Channel, st.Height-1)
		if err != nil {
			return err
		}
		signers, err := BlockSigners(b)
		if err != nil {
			return err
		}
		if !slices.Contains(signers, st.ID) {
			return fmt.Errorf("catching up: at height %d (the highest consenter at %d), its newest block was pulled from the other consenters, not decided with them", st.Height, top)
		}
		return nil
	})
	return out, nil
}

// BlockSigners returns the consenter ids whose SmartBFT signatures block b
// carries (read, not verified).
func BlockSigners(b *common.Block) ([]uint32, error) {
	mds := b.GetMetadata().GetMetadata()
	if len(mds) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return nil, fmt.Errorf("block %d has no signatures metadata", b.GetHeader().GetNumber())
	}
	var md common.Metadata
	if err := proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
		return nil, fmt.Errorf("block %d: signatures metadata: %w", b.GetHeader().GetNumber(), err)
	}
	var ids []uint32
	for _, sig := range md.GetSignatures() {
		var ih common.IdentifierHeader
		if len(sig.GetIdentifierHeader()) == 0 || proto.Unmarshal(sig.GetIdentifierHeader(), &ih) != nil {
			continue
		}
		ids = append(ids, ih.GetIdentifier())
	}
	return ids, nil
}

// CheckConsenterChange refuses a consenter change unless every consenter
// that stays is healthy (Fabric's advice: change the consenter set only
// while all the others are up and in step). states are from Consenters.
func (u *Update) CheckConsenterChange(states []ConsenterState) error {
	if !u.Consenter {
		return nil
	}
	for _, st := range states {
		if !u.Remains(st) {
			continue
		}
		if !st.Healthy() {
			return fmt.Errorf("%w: consenter %d (%s at %s) %s; a consenter set is changed only while every remaining consenter is healthy",
				ErrUnhealthy, st.ID, st.MSPID, st.Address, st.Err)
		}
	}
	return nil
}

// Remains reports whether consenter st stays a consenter after u: every
// one but the member a removal removes.
func (u *Update) Remains(st ConsenterState) bool {
	return !(u.Kind == KindRemove && st.MSPID == u.MSPID)
}

// dialTLS opens a gRPC connection to the kind ("peer", "orderer") at addr
// (host:port), trusting the TLS roots given (PEM) for a certificate naming
// addr's host, with room for large blocks and config updates.
func dialTLS(kind, addr string, tlsRoots [][]byte) (*grpc.ClientConn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", kind, addr, err)
	}
	pool := x509.NewCertPool()
	for _, r := range tlsRoots {
		pool.AppendCertsFromPEM(r)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, host)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(100<<20), grpc.MaxCallSendMsgSize(100<<20)))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", kind, addr, err)
	}
	return conn, nil
}
