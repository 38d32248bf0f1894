package consortium

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A chaincode upgrade is Fabric's lifecycle by vote: each member installs
// its own package of the new version on its peer (a CCaaS package naming
// its own chaincode server) and approves the definition at the next
// sequence for its organisation; once the channel's LifecycleEndorsement
// (a MAJORITY of members here) approved the same definition, anyone
// commits it, endorsed by the approving members' peers. The new
// definition carries the committed one's policy, plugins and collections
// over unchanged: only the version and sequence move.

// Errors of the upgrade commands, to test with errors.Is.
var (
	// ErrTooFewApprovals: commit refused before a majority approved.
	ErrTooFewApprovals = errors.New("too few approvals")
	// ErrNotProposed: approving a version no member has approved yet.
	ErrNotProposed = errors.New("no such upgrade proposed")
)

// Lifecycle is _lifecycle on one member's peer, as that member's admin;
// *Peer is the real one.
type Lifecycle interface {
	// Committed is the committed definition of chaincode name.
	Committed(ctx context.Context, channel, name string) (Definition, error)
	// Install installs a chaincode package on the peer and returns its id;
	// a package installed before is not an error.
	Install(ctx context.Context, pkg []byte) (string, error)
	// Approve approves d for the caller's organisation, with the package
	// the caller's peer runs it from, and waits for the approval's commit.
	Approve(ctx context.Context, channel string, d Definition, packageID string) error
	// Readiness says, for every member, whether it approved d.
	Readiness(ctx context.Context, channel string, d Definition) (map[string]bool, error)
	// Commit commits d, endorsed by the peers of endorsers, and waits for
	// its commit.
	Commit(ctx context.Context, channel string, d Definition, endorsers []string) error
	Close() error
}

// LifecycleDialer connects to the peer at addr as s, trusting tlsRoots.
type LifecycleDialer func(addr string, tlsRoots [][]byte, s *Signer) (Lifecycle, error)

// DialLifecycle is the real LifecycleDialer.
func DialLifecycle(addr string, tlsRoots [][]byte, s *Signer) (Lifecycle, error) {
	return DialPeer(addr, tlsRoots, s)
}

// Definition is a chaincode definition: what members approve and commit.
type Definition struct {
	Name                string
	Version             string
	Sequence            int64
	EndorsementPlugin   string
	ValidationPlugin    string
	ValidationParameter []byte
	Collections         *peer.CollectionConfigPackage
	InitRequired        bool
	// Approvals, of a committed definition, says which members approved
	// it.
	Approvals map[string]bool
}

func (d Definition) String() string {
	return fmt.Sprintf("%s version %s sequence %d", d.Name, d.Version, d.Sequence)
}

// Next is the definition of an upgrade of d to version.
func (d Definition) Next(version string) Definition {
	d.Version, d.Sequence, d.Approvals = version, d.Sequence+1, nil
	return d
}

// Upgrade is one member's part of an upgrade: its package, and the
// approvals of the definition so far.
type Upgrade struct {
	Definition Definition
	PackageID  string
	Approvals  map[string]bool
}

// ApproveUpgrade installs pkg on the caller's peer and approves the
// upgrade of chaincode name to version (the committed definition at the
// next sequence) for the caller's organisation, mspID. With proposed, it
// refuses (ErrNotProposed) unless another member approved that definition
// first; and when version is already committed without the caller's
// approval, it approves the committed definition: a member that approves
// late, after a majority committed, so that its peer runs the new version.
func ApproveUpgrade(ctx context.Context, lc Lifecycle, channel, name, version, mspID string, pkg []byte, proposed bool) (Upgrade, error) {
	cur, err := lc.Committed(ctx, channel, name)
	if err != nil {
		return Upgrade{}, err
	}
	d := cur.Next(version)
	switch {
	case cur.Version == version && (!proposed || cur.Approvals[mspID]):
		return Upgrade{}, fmt.Errorf("%w: %s is already at version %s (sequence %d): choose a new version", ErrInvalid, name, version, cur.Sequence)
	case cur.Version == version:
		d = cur
		d.Approvals = nil
	case proposed:
		approvals, err := lc.Readiness(ctx, channel, d)
		if err != nil {
			return Upgrade{}, err
		}
		if len(approvedBy(approvals)) == 0 {
			return Upgrade{}, fmt.Errorf("%w: no member approved %s yet: one proposes it with propose-upgrade first", ErrNotProposed, d)
		}
	}
	id, err := lc.Install(ctx, pkg)
	if err != nil {
		return Upgrade{}, fmt.Errorf("installing the package: %w", err)
	}
	if err := lc.Approve(ctx, channel, d, id); err != nil {
		return Upgrade{}, fmt.Errorf("approving %s: %w", d, err)
	}
	if d.Sequence == cur.Sequence {
		now, err := lc.Committed(ctx, channel, name)
		return Upgrade{Definition: d, PackageID: id, Approvals: now.Approvals}, err
	}
	approvals, err := lc.Readiness(ctx, channel, d)
	if err != nil {
		return Upgrade{}, err
	}
	return Upgrade{Definition: d, PackageID: id, Approvals: approvals}, nil
}

// CommitUpgrade commits the upgrade of name to version once a majority of
// the members approved it; earlier it refuses with ErrTooFewApprovals,
// giving the count. It returns the committed definition.
func CommitUpgrade(ctx context.Context, lc Lifecycle, channel, name, version string) (Definition, error) {
	cur, err := lc.Committed(ctx, channel, name)
	if err != nil {
		return Definition{}, err
	}
	if cur.Version == version {
		return Definition{}, fmt.Errorf("%w: %s is already at version %s (sequence %d)", ErrInvalid, name, version, cur.Sequence)
	}
	d := cur.Next(version)
	approvals, err := lc.Readiness(ctx, channel, d)
	if err != nil {
		return Definition{}, err
	}
	yes := approvedBy(approvals)
	if need := len(approvals)/2 + 1; len(yes) < need {
		who := "none"
		if len(yes) > 0 {
			who = strings.Join(yes, ", ")
		}
		return Definition{}, fmt.Errorf("%w: %d of %d members approved %s (%s); the channel's LifecycleEndorsement (MAJORITY) needs %d",
			ErrTooFewApprovals, len(yes), len(approvals), d, who, need)
	}
	if err := lc.Commit(ctx, channel, d, yes); err != nil {
		return Definition{}, fmt.Errorf("committing %s: %w", d, err)
	}
	return d, nil
}

func approvedBy(approvals map[string]bool) []string {
	var yes []string
	for org, ok := range approvals {
		if ok {
			yes = append(yes, org)
		}
	}
	slices.Sort(yes)
	return yes
}

// Peer is _lifecycle on a peer, as one organisation's admin: installs go
// to the peer's endorser service (they are not channel transactions),
// the rest through its Fabric Gateway.
type Peer struct {
	conn   *grpc.ClientConn
	gw     *client.Gateway
	signer *Signer
}

// DialPeer connects to the peer at addr (host:port), trusting the TLS
// roots given (PEM) for a certificate naming addr's host.
func DialPeer(addr string, tlsRoots [][]byte, s *Signer) (*Peer, error) {
	conn, err := dialTLS("peer", addr, tlsRoots)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(s.Cert)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("admin certificate: %w", err)
	}
	id, err := identity.NewX509Identity(s.MSPID, cert)
	if err != nil {
		conn.Close()
		return nil, err
	}
	gw, err := client.Connect(id, client.WithSign(s.Sign), client.WithClientConnection(conn))
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Peer{conn: conn, gw: gw, signer: s}, nil
}

// Close closes the connection.
func (p *Peer) Close() error { return errors.Join(p.gw.Close(), p.conn.Close()) }

const lifecycleCC = "_lifecycle"

func (p *Peer) contract(channel string) *client.Contract {
	return p.gw.GetNetwork(channel).GetContract(lifecycleCC)
}

// Committed implements Lifecycle.
func (p *Peer) Committed(ctx context.Context, channel, name string) (Definition, error) {
	b, err := p.contract(channel).EvaluateWithContext(ctx, "QueryChaincodeDefinition",
		client.WithBytesArguments(mustMarshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: name})))
	if err != nil {
		return Definition{}, fmt.Errorf("reading the committed definition of %s: %w", name, err)
	}
	var r lifecycle.QueryChaincodeDefinitionResult
	if err := proto.Unmarshal(b, &r); err != nil {
		return Definition{}, err
	}
	return Definition{Name: name, Version: r.Version, Sequence: r.Sequence, EndorsementPlugin: r.EndorsementPlugin,
		ValidationPlugin: r.ValidationPlugin, ValidationParameter: r.ValidationParameter, Collections: r.Collections,
		InitRequired: r.InitRequired, Approvals: r.Approvals}, nil
}

// Install implements Lifecycle: a proposal to the peer's endorser, signed
// by the admin (installing needs the peer's local admin).
func (p *Peer) Install(ctx context.Context, pkg []byte) (string, error) {
	sp, err := p.proposal("", lifecycleCC, "InstallChaincode", mustMarshal(&lifecycle.InstallChaincodeArgs{ChaincodeInstallPackage: pkg}))
	if err != nil {
		return "", err
	}
	resp, err := peer.NewEndorserClient(p.conn).ProcessProposal(ctx, sp)
	if err != nil {
		return "", err
	}
	if r := resp.GetResponse(); r.GetStatus() != 200 {
		if strings.Contains(r.GetMessage(), "already successfully installed") {
			if _, id, ok := strings.Cut(r.GetMessage(), "package ID '"); ok {
				return strings.TrimRight(strings.TrimSpace(id), "')"), nil
			}
		}
		return "", fmt.Errorf("peer refused the install: %d %s", r.GetStatus(), r.GetMessage())
	}
	var res lifecycle.InstallChaincodeResult
	if err := proto.Unmarshal(resp.GetResponse().GetPayload(), &res); err != nil {
		return "", err
	}
	return res.PackageId, nil
}

// proposal is a signed proposal invoking fn of chaincode cc with arg, on
// channel ("" for the peer itself), as the peer's fabric-gateway or peer
// CLI would build it.
func (p *Peer) proposal(channel, cc, fn string, arg []byte) (*peer.SignedProposal, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	creator := mustMarshal(&mspproto.SerializedIdentity{Mspid: p.signer.MSPID, IdBytes: p.signer.Cert})
	txid := sha256.Sum256(append(slices.Clone(nonce), creator...))
	hdr := mustMarshal(&common.Header{
		ChannelHeader: mustMarshal(&common.ChannelHeader{
			Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: channel, TxId: hex.EncodeToString(txid[:]),
			Timestamp: timestamppb.Now(),
			Extension: mustMarshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: cc}}),
		}),
		SignatureHeader: mustMarshal(&common.SignatureHeader{Creator: creator, Nonce: nonce}),
	})
	input := mustMarshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: cc},
		Input: &peer.ChaincodeInput{Args: [][]byte{[]byte(fn), arg}},
	}})
	prop := mustMarshal(&peer.Proposal{Header: hdr, Payload: mustMarshal(&peer.ChaincodeProposalPayload{Input: input})})
	sig, err := p.signer.sign(prop)
	if err != nil {
		return nil, err
	}
	return &peer.SignedProposal{ProposalBytes: prop, Signature: sig}, nil
}

// Approve implements Lifecycle: endorsed by the caller's own peer only, as
// an approval writes to the organisation's own implicit collection.
func (p *Peer) Approve(ctx context.Context, channel string, d Definition, packageID string) error {
	arg := mustMarshal(&lifecycle.ApproveChaincodeDefinitionForMyOrgArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version, EndorsementPlugin: d.EndorsementPlugin,
		ValidationPlugin: d.ValidationPlugin, ValidationParameter: d.ValidationParameter, Collections: d.Collections,
		InitRequired: d.InitRequired,
		Source: &lifecycle.ChaincodeSource{Type: &lifecycle.ChaincodeSource_LocalPackage{
			LocalPackage: &lifecycle.ChaincodeSource_Local{PackageId: packageID}}},
	})
	return p.submit(ctx, channel, "ApproveChaincodeDefinitionForMyOrg", arg, []string{p.signer.MSPID})
}

// Readiness implements Lifecycle.
func (p *Peer) Readiness(ctx context.Context, channel string, d Definition) (map[string]bool, error) {
	arg := mustMarshal(&lifecycle.CheckCommitReadinessArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version, EndorsementPlugin: d.EndorsementPlugin,
		ValidationPlugin: d.ValidationPlugin, ValidationParameter: d.ValidationParameter, Collections: d.Collections,
		InitRequired: d.InitRequired,
	})
	b, err := p.contract(channel).EvaluateWithContext(ctx, "CheckCommitReadiness", client.WithBytesArguments(arg))
	if err != nil {
		return nil, fmt.Errorf("checking the approvals of %s: %w", d, err)
	}
	var r lifecycle.CheckCommitReadinessResult
	if err := proto.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return r.Approvals, nil
}

// Commit implements Lifecycle.
func (p *Peer) Commit(ctx context.Context, channel string, d Definition, endorsers []string) error {
	arg := mustMarshal(&lifecycle.CommitChaincodeDefinitionArgs{
		Sequence: d.Sequence, Name: d.Name, Version: d.Version, EndorsementPlugin: d.EndorsementPlugin,
		ValidationPlugin: d.ValidationPlugin, ValidationParameter: d.ValidationParameter, Collections: d.Collections,
		InitRequired: d.InitRequired,
	})
	return p.submit(ctx, channel, "CommitChaincodeDefinition", arg, endorsers)
}

// submit endorses fn of _lifecycle on the peers of endorsers, submits it
// and waits for its commit on the caller's peer.
func (p *Peer) submit(ctx context.Context, channel, fn string, arg []byte, endorsers []string) error {
	prop, err := p.contract(channel).NewProposal(fn, client.WithBytesArguments(arg), client.WithEndorsingOrganizations(endorsers...))
	if err != nil {
		return err
	}
	tx, err := prop.EndorseWithContext(ctx)
	if err != nil {
		return err
	}
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		return err
	}
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return err
	}
	if !st.Successful {
		return fmt.Errorf("transaction %s not valid: %s", st.TransactionID, st.Code)
	}
	return nil
}
