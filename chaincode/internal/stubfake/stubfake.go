// Package stubfake is an in-memory Fabric peer for chaincode unit tests: a
// world state with the shim's composite-key encoding, ordered range and
// partial-composite-key queries, per-key history, chaincode events, and
// transaction creators that are real X.509 certificates inside real
// msp.SerializedIdentity protobufs, so the cid package works unchanged.
//
// It keeps Fabric's transaction semantics where they matter to chaincode
// correctness: reads see only committed state (never the transaction's own
// writes), writes are buffered and committed only when the transaction
// succeeds, and the last SetEvent of a transaction is the one delivered.
package stubfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Identity is a transaction creator: an MSP id and an X.509 certificate.
type Identity struct {
	MSPID string
	Cert  *x509.Certificate
	// Serialized is the msp.SerializedIdentity protobuf GetCreator returns.
	Serialized []byte
}

// NewIdentity creates a client identity of mspID with a fresh P-256 key and
// a self-signed certificate whose subject CN is commonName.
func NewIdentity(mspID, commonName string) (Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Identity{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName, OrganizationalUnit: []string{"client"}, Organization: []string{mspID}},
		Issuer:       pkix.Name{CommonName: "ca." + mspID},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Identity{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Identity{}, err
	}
	ser, err := proto.Marshal(&msp.SerializedIdentity{
		Mspid:   mspID,
		IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	})
	if err != nil {
		return Identity{}, err
	}
	return Identity{MSPID: mspID, Cert: cert, Serialized: ser}, nil
}

// Write is one state change of a transaction. Delete is true for DelState.
type Write struct {
	Key    string
	Value  []byte
	Delete bool
}

// Event is a chaincode event set by a transaction.
type Event struct {
	Name    string
	Payload []byte
}

// Modification is one committed change of a key, as GetHistoryForKey reports it.
type Modification struct {
	TxID     string
	Time     time.Time
	Value    []byte
	IsDelete bool
}

// Ledger is the committed world state of one channel and chaincode.
type Ledger struct {
	channel string
	state   map[string][]byte
	history map[string][]Modification // oldest first
	txSeq   int
}

// NewLedger returns an empty ledger for channel.
func NewLedger(channel string) *Ledger {
	return &Ledger{channel: channel, state: map[string][]byte{}, history: map[string][]Modification{}}
}

// Tx describes the transaction to run.
type Tx struct {
	Creator Identity
	// Time is the transaction timestamp the client put in the proposal.
	Time time.Time
	// ID is the transaction id; one is made up when empty.
	ID        string
	Transient map[string][]byte
	// FailCall, when positive, makes the FailCall-th call the chaincode
	// makes to a ledger API of the stub (state reads and writes, queries,
	// history, composite keys, events, creator, timestamp) return an
	// error, to test that every such error aborts the transaction.
	FailCall int
}

// ErrInjected is the error of an injected fault.
var ErrInjected = errors.New("injected fault")

// Result is what a transaction did. Writes and Events are those the
// chaincode attempted, whether or not the transaction was committed.
type Result struct {
	Response  *peer.Response
	Writes    []Write
	Events    []Event
	Committed bool
	TxID      string
	// Faulted reports whether Tx.FailCall's fault fired.
	Faulted bool
	// Calls are the ledger API calls the transaction made, in order
	// ("GetState", "PutState", "FinishWriteBatch", …): each is a message
	// to the peer.
	Calls []string
}

// OK reports whether the chaincode returned a success status.
func (r Result) OK() bool { return r.Response.GetStatus() < shim.ERRORTHRESHOLD }

// Event returns the event Fabric would deliver: the last one set.
func (r Result) Event() (Event, bool) {
	if len(r.Events) == 0 {
		return Event{}, false
	}
	return r.Events[len(r.Events)-1], true
}

// Invoke runs cc with args as tx and commits its writes when it succeeds,
// as a submitted transaction.
func (l *Ledger) Invoke(cc shim.Chaincode, tx Tx, args ...string) Result {
	return l.run(cc, tx, true, args)
}

// Evaluate runs cc with args as tx without committing anything, as a query.
func (l *Ledger) Evaluate(cc shim.Chaincode, tx Tx, args ...string) Result {
	return l.run(cc, tx, false, args)
}

func (l *Ledger) run(cc shim.Chaincode, tx Tx, commit bool, args []string) Result {
	l.txSeq++
	if tx.ID == "" {
		tx.ID = fmt.Sprintf("%064x", l.txSeq)
	}
	s := l.NewStub(tx, args...)
	resp := cc.Invoke(s)
	res := Result{Response: resp, Writes: s.Writes(), Events: append([]Event(nil), s.events...), TxID: tx.ID, Faulted: s.Faulted, Calls: s.ops}
	if commit && res.OK() {
		l.commit(tx, res.Writes)
		res.Committed = true
	}
	return res
}

func (l *Ledger) commit(tx Tx, writes []Write) {
	for _, w := range writes {
		if w.Delete {
			delete(l.state, w.Key)
		} else {
			l.state[w.Key] = w.Value
		}
		l.history[w.Key] = append(l.history[w.Key], Modification{TxID: tx.ID, Time: tx.Time, Value: w.Value, IsDelete: w.Delete})
	}
}

// State returns the committed value of key, or nil.
func (l *Ledger) State(key string) []byte { return l.state[key] }

// Keys returns every committed key in order.
func (l *Ledger) Keys() []string {
	keys := make([]string, 0, len(l.state))
	for k := range l.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Snapshot returns a copy of the committed state, to compare before and after.
func (l *Ledger) Snapshot() map[string]string {
	m := make(map[string]string, len(l.state))
	for k, v := range l.state {
		m[k] = string(v)
	}
	return m
}

// NewStub returns a stub for one transaction on l, for tests that call
// chaincode code directly rather than through Invoke.
func (l *Ledger) NewStub(tx Tx, args ...string) *Stub {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return &Stub{ledger: l, tx: tx, args: b, writes: map[string]Write{}}
}

// Stub implements shim.ChaincodeStubInterface for one transaction.
type Stub struct {
	// Embedded so that methods added to the interface by newer shims
	// compile; they panic if called, which a test will show.
	shim.ChaincodeStubInterface

	ledger     *Ledger
	tx         Tx
	args       [][]byte
	writes     map[string]Write
	writeOrder []string
	events     []Event
	calls      int
	ops        []string
	// batching is set between StartWriteBatch and FinishWriteBatch.
	batching bool
	// Faulted reports whether the injected fault fired.
	Faulted bool
}

// fault counts a ledger API call and fails the one Tx.FailCall names.
func (s *Stub) fault(op string) error {
	s.calls++
	s.ops = append(s.ops, op)
	if s.tx.FailCall > 0 && s.calls == s.tx.FailCall {
		s.Faulted = true
		return fmt.Errorf("%s: %w", op, ErrInjected)
	}
	return nil
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

// ErrNotSupported is returned by APIs trustline must not use: rich queries
// (the network runs LevelDB), private data and chaincode-to-chaincode calls.
var ErrNotSupported = errors.New("not supported by this network")

// Writes returns the transaction's writes in the order first made.
func (s *Stub) Writes() []Write {
	out := make([]Write, 0, len(s.writeOrder))
	for _, k := range s.writeOrder {
		out = append(out, s.writes[k])
	}
	return out
}

// Events returns every SetEvent call of the transaction.
func (s *Stub) Events() []Event { return append([]Event(nil), s.events...) }

func (s *Stub) GetArgs() [][]byte { return s.args }

func (s *Stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

func (s *Stub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	if len(a) == 0 {
		return "", []string{}
	}
	return a[0], a[1:]
}

func (s *Stub) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

func (s *Stub) GetTxID() string      { return s.tx.ID }
func (s *Stub) GetChannelID() string { return s.ledger.channel }

func (s *Stub) InvokeChaincode(string, [][]byte, string) *peer.Response {
	return &peer.Response{Status: shim.ERROR, Message: ErrNotSupported.Error()}
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("invalid key %x: not valid UTF-8", key)
	}
	return nil
}

func (s *Stub) GetState(key string) ([]byte, error) {
	if err := s.fault("GetState"); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return clone(s.ledger.state[key]), nil
}

// GetMultipleStates reads keys in one ledger call, as a peer that
// supports it (Fabric 3) answers them.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if err := s.fault("GetMultipleStates"); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		out[i] = clone(s.ledger.state[k])
	}
	return out, nil
}

func (s *Stub) PutState(key string, value []byte) error {
	// A batched write reaches the peer only at FinishWriteBatch, which is
	// where it can fail.
	if !s.batching {
		if err := s.fault("PutState"); err != nil {
			return err
		}
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) == 0 {
		// The peer stores an empty value as a delete; chaincode should not rely on it.
		return fmt.Errorf("empty value for key %q", key)
	}
	s.write(Write{Key: key, Value: clone(value)})
	return nil
}

func (s *Stub) DelState(key string) error {
	if !s.batching {
		if err := s.fault("DelState"); err != nil {
			return err
		}
	}
	if err := checkKey(key); err != nil {
		return err
	}
	s.write(Write{Key: key, Delete: true})
	return nil
}

func (s *Stub) write(w Write) {
	if _, ok := s.writes[w.Key]; !ok {
		s.writeOrder = append(s.writeOrder, w.Key)
	}
	s.writes[w.Key] = w
}

// StartWriteBatch makes the following writes one call to the ledger, made
// by FinishWriteBatch, as a peer that supports write batching (Fabric 3)
// takes them.
func (s *Stub) StartWriteBatch() { s.batching = true }

// FinishWriteBatch sends the writes since StartWriteBatch: one ledger call
// (and one point where a fault can be injected); nothing without a batch.
func (s *Stub) FinishWriteBatch() error {
	if !s.batching {
		return nil
	}
	s.batching = false
	return s.fault("FinishWriteBatch")
}

func (s *Stub) SetStateValidationParameter(string, []byte) error { return ErrNotSupported }
func (s *Stub) GetStateValidationParameter(string) ([]byte, error) {
	return nil, nil
}

const (
	compositeNS        = "\x00"
	maxRune            = utf8.MaxRune
	emptyKeySubstitute = "\x01"
)

func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if err := s.fault("GetStateByRange"); err != nil {
		return nil, err
	}
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	for _, k := range []string{startKey, endKey} {
		if strings.HasPrefix(k, compositeNS) {
			return nil, fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return s.rangeIter(startKey, endKey, 0, ""), nil
}

func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	it := s.rangeIter(startKey, endKey, pageSize, bookmark)
	return it, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(it.kvs)), Bookmark: it.bookmark}, nil
}

func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	if err := s.fault("GetStateByPartialCompositeKey"); err != nil {
		return nil, err
	}
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	return s.rangeIter(start, start+string(maxRune), 0, ""), nil
}

func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	it := s.rangeIter(start, start+string(maxRune), pageSize, bookmark)
	return it, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(it.kvs)), Bookmark: it.bookmark}, nil
}

// rangeIter returns committed keys in [start, end) (end "" = unbounded) in
// byte order, as LevelDB does. A bookmark is the key to resume at.
func (s *Stub) rangeIter(start, end string, pageSize int32, bookmark string) *kvIter {
	if bookmark != "" && bookmark > start {
		start = bookmark
	}
	var keys []string
	for k := range s.ledger.state {
		if k >= start && (end == "" || k < end) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	it := &kvIter{}
	if pageSize > 0 && len(keys) > int(pageSize) {
		it.bookmark = keys[pageSize]
		keys = keys[:pageSize]
	}
	for _, k := range keys {
		it.kvs = append(it.kvs, &queryresult.KV{Namespace: "trustline", Key: k, Value: clone(s.ledger.state[k])})
	}
	return it
}

func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	if err := s.fault("CreateCompositeKey"); err != nil {
		return "", err
	}
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, compositeNS) || !strings.HasSuffix(compositeKey, "\x00") || len(compositeKey) < 2 {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	parts := strings.Split(compositeKey[1:len(compositeKey)-1], "\x00")
	return parts[0], parts[1:], nil
}

func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrNotSupported
}

func (s *Stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, ErrNotSupported
}

func (s *Stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if err := s.fault("GetHistoryForKey"); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	mods := s.ledger.history[key]
	it := &historyIter{}
	// Newest first, as Fabric 2+ returns history.
	for i := len(mods) - 1; i >= 0; i-- {
		m := mods[i]
		it.mods = append(it.mods, &queryresult.KeyModification{
			TxId: m.TxID, Value: clone(m.Value), Timestamp: timestamppb.New(m.Time), IsDelete: m.IsDelete,
		})
	}
	return it, nil
}

func (s *Stub) GetPrivateData(string, string) ([]byte, error)     { return nil, ErrNotSupported }
func (s *Stub) GetPrivateDataHash(string, string) ([]byte, error) { return nil, ErrNotSupported }
func (s *Stub) PutPrivateData(string, string, []byte) error       { return ErrNotSupported }
func (s *Stub) DelPrivateData(string, string) error               { return ErrNotSupported }
func (s *Stub) PurgePrivateData(string, string) error             { return ErrNotSupported }
func (s *Stub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return ErrNotSupported
}
func (s *Stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, ErrNotSupported
}
func (s *Stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrNotSupported
}
func (s *Stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrNotSupported
}
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrNotSupported
}

func (s *Stub) GetCreator() ([]byte, error) {
	if err := s.fault("GetCreator"); err != nil {
		return nil, err
	}
	if len(s.tx.Creator.Serialized) == 0 {
		return nil, errors.New("transaction has no creator")
	}
	return s.tx.Creator.Serialized, nil
}

func (s *Stub) GetTransient() (map[string][]byte, error) { return s.tx.Transient, nil }
func (s *Stub) GetBinding() ([]byte, error)              { return []byte(s.tx.ID), nil }
func (s *Stub) GetDecorations() map[string][]byte        { return nil }

func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) {
	return nil, ErrNotSupported
}

func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if err := s.fault("GetTxTimestamp"); err != nil {
		return nil, err
	}
	if s.tx.Time.IsZero() {
		return nil, errors.New("transaction has no timestamp")
	}
	return timestamppb.New(s.tx.Time), nil
}

func (s *Stub) SetEvent(name string, payload []byte) error {
	if err := s.fault("SetEvent"); err != nil {
		return err
	}
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.events = append(s.events, Event{Name: name, Payload: clone(payload)})
	return nil
}

type kvIter struct {
	kvs      []*queryresult.KV
	pos      int
	bookmark string
	closed   bool
}

func (it *kvIter) HasNext() bool { return !it.closed && it.pos < len(it.kvs) }
func (it *kvIter) Close() error  { it.closed = true; return nil }
func (it *kvIter) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.pos++
	return it.kvs[it.pos-1], nil
}

type historyIter struct {
	mods   []*queryresult.KeyModification
	pos    int
	closed bool
}

func (it *historyIter) HasNext() bool { return !it.closed && it.pos < len(it.mods) }
func (it *historyIter) Close() error  { it.closed = true; return nil }
func (it *historyIter) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.pos++
	return it.mods[it.pos-1], nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
