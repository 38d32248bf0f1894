package chaincode

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/ledger"
)

// txn is one transaction's view of the ledger. Reads see the transaction's
// own pending writes (Fabric's stub does not), and writes are buffered
// until commit, which puts them and sets the one chaincode event. A
// function therefore validates and computes everything first; any error
// before commit leaves the ledger untouched.
type txn struct {
	stub shim.ChaincodeStubInterface
	fn   string
	msp  string
	id   string
	now  time.Time

	pending map[string][]byte
	order   []string
	// fetched are committed values read ahead by prefetch (nil: absent).
	fetched map[string][]byte
	// records are the payload's records by key, in first-write order.
	records   []payloadRecord
	recordIdx map[string]int
	// epcisKeys are the state keys of the EPCIS events recorded, in order.
	epcisKeys []string
	roles     *ledger.Roles
	lots      map[string]*lotState
	// capture is set when the function states a captured event
	// (Capture:Record): its first recorded event carries the captured id.
	capture *captureContext
}

type payloadRecord struct {
	key   string
	value any
}

// begin starts a transaction: the caller's MSP id comes from the creator's
// certificate, the time from the proposal's timestamp, never from arguments.
func begin(ctx contractapi.TransactionContextInterface) (*txn, error) {
	stub := ctx.GetStub()
	msp, err := callerMSP(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the caller's MSP id: %w", err)
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("reading the transaction timestamp: %w", err)
	}
	fn, _ := stub.GetFunctionAndParameters()
	t := &txn{
		stub: stub, fn: fn, msp: msp, id: stub.GetTxID(), now: ts.AsTime().UTC(),
		pending: map[string][]byte{}, recordIdx: map[string]int{}, lots: map[string]*lotState{},
	}
	if c, ok := ctx.(*captureContext); ok {
		// The payload names the function that states the fact.
		t.capture, t.fn = c, c.fn
	}
	return t, nil
}

// callerMSP is the MSP id of the transaction's creator. contractapi has
// already parsed the creator's certificate into ctx's identity (x509
// parsing is a measurable share of a call), so that one is used; but
// contractapi drops the parse error and leaves a nil *cid.ClientID, so
// without it the creator is parsed again from the stub for the error.
func callerMSP(ctx contractapi.TransactionContextInterface) (string, error) {
	if ci, ok := ctx.GetClientIdentity().(*cid.ClientID); ok && ci != nil {
		return ci.GetMSPID()
	}
	return cid.GetMSPID(ctx.GetStub())
}

// nowString is the transaction time in ledger.TimeLayout.
func (t *txn) nowString() string { return ledger.FormatTime(t.now) }

func (t *txn) key(objectType string, attrs ...string) (string, error) {
	k, err := t.stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s key %q", objectType, attrs)
	}
	return k, nil
}

// raw returns the value of key, pending writes first; nil if absent.
func (t *txn) raw(key string) ([]byte, error) {
	if v, ok := t.pending[key]; ok {
		return v, nil
	}
	if v, ok := t.fetched[key]; ok {
		return v, nil
	}
	v, err := t.stub.GetState(key)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return v, nil
}

// prefetch reads the committed values of keys in one round trip to the
// peer (GetMultipleStates; a peer without it answers key by key), for
// raw to serve later. Each round trip costs the chaincode server and the
// peer more than the read itself. A function prefetches only keys it then
// reads on its way to success, so that its read set stays what it was.
func (t *txn) prefetch(keys ...string) error {
	vs, err := t.stub.GetMultipleStates(keys...)
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	if len(vs) != len(keys) {
		return fmt.Errorf("reading state: %d values for %d keys", len(vs), len(keys))
	}
	if t.fetched == nil {
		t.fetched = make(map[string][]byte, len(keys))
	}
	for i, k := range keys {
		t.fetched[k] = vs[i]
	}
	return nil
}

// load reads the record stored under objectType and id; a missing record
// is ErrNotFound "no <what> "id"".
func load[T any](t *txn, what, objectType, id string) (*T, error) {
	k, err := t.key(objectType, id)
	if err != nil {
		return nil, err
	}
	var v T
	ok, err := t.get(k, &v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorf(ErrNotFound, "no %s %q", what, id)
	}
	return &v, nil
}

// get decodes the record at key into v and reports whether it exists.
func (t *txn) get(key string, v any) (bool, error) {
	b, err := t.raw(key)
	if err != nil || b == nil {
		return false, err
	}
	if err := unmarshalStrict(b, v); err != nil {
		return false, fmt.Errorf("decoding stored record: %w", err)
	}
	return true, nil
}

// exists reports whether key has a value.
func (t *txn) exists(key string) (bool, error) {
	b, err := t.raw(key)
	return b != nil, err
}

// putBytes buffers a write of b at key.
func (t *txn) putBytes(key string, b []byte) {
	if _, ok := t.pending[key]; !ok {
		t.order = append(t.order, key)
	}
	t.pending[key] = b
}

// putIndex buffers a derived index entry: stored, but not in the payload,
// since a node rebuilds it from the records.
func (t *txn) putIndex(key string, v any) error {
	b, err := marshalCanonical(v)
	if err != nil {
		return err
	}
	t.putBytes(key, b)
	return nil
}

// put buffers a write of record v at key and lists v in the event payload.
// v must be one of the ledger record types (a pointer is dereferenced at
// commit, so later changes to the same record are reflected).
func (t *txn) put(key string, v any) error {
	if err := t.putIndex(key, v); err != nil {
		return err
	}
	if i, ok := t.recordIdx[key]; ok {
		t.records[i].value = v
		return nil
	}
	t.recordIdx[key] = len(t.records)
	t.records = append(t.records, payloadRecord{key, v})
	return nil
}

// commit writes every buffered value and sets the transaction's chaincode
// event, exactly once. The event is slim (ledger.Written): it names each
// record by its state key, in the lists and order of a complete payload,
// and the records' bytes travel once, as the transaction's writes.
func (t *txn) commit() error {
	w := &ledger.Written{}
	ev := ledger.Event{Function: t.fn, MSPID: t.msp, TxID: t.id, Timestamp: t.nowString(), Written: w}
	for _, k := range t.epcisKeys {
		pk, err := ledger.SplitKey(k)
		if err != nil {
			return fmt.Errorf("internal error: EPCIS event key: %w", err)
		}
		w.EPCIS = append(w.EPCIS, pk)
	}
	for _, r := range t.records {
		// Anchored records carry the schema they are written in, which
		// their ids then cover (ledger.RecordSchema).
		switch v := r.value.(type) {
		case *ledger.Product:
			v.SchemaVersion = ledger.RecordSchema
		case *ledger.LotSummary:
			v.SchemaVersion = ledger.RecordSchema
		case *ledger.LabSigner:
			v.SchemaVersion = ledger.RecordSchema
		case *ledger.InspectionRecord:
			v.SchemaVersion = ledger.RecordSchema
		case *ledger.Claim:
			v.SchemaVersion = ledger.RecordSchema
		case *ledger.ServiceChain:
			v.SchemaVersion = ledger.RecordSchema
		}
		// Re-encode records put by pointer: the stored bytes must be the final value.
		b, err := marshalCanonical(r.value)
		if err != nil {
			return err
		}
		t.pending[r.key] = b
		k, err := ledger.SplitKey(r.key)
		if err != nil {
			return fmt.Errorf("internal error: record key: %w", err)
		}
		switch r.value.(type) {
		case *ledger.Product:
			w.Products = append(w.Products, k)
		case *ledger.LotSummary:
			w.Lots = append(w.Lots, k)
		case *ledger.Unit:
			w.Units = append(w.Units, k)
		case *ledger.Shipment:
			w.Shipments = append(w.Shipments, k)
		case *ledger.LogisticUnit:
			w.LogisticUnits = append(w.LogisticUnits, k)
		case *ledger.LabSigner:
			w.LabSigners = append(w.LabSigners, k)
		case *ledger.InspectionRecord:
			w.Inspections = append(w.Inspections, k)
		case *ledger.Recall:
			w.Recalls = append(w.Recalls, k)
		case *ledger.Roles:
			w.Roles = k
		case *ledger.RoleProposal:
			w.RoleProposals = append(w.RoleProposals, k)
		case *ledger.Claim:
			w.Claims = append(w.Claims, k)
		case *ledger.Location:
			w.Locations = append(w.Locations, k)
		case *ledger.ServiceChain:
			w.ServiceChains = append(w.ServiceChains, k)
		default:
			return fmt.Errorf("internal error: record of type %T has no place in the event payload", r.value)
		}
	}
	payload, err := marshalCanonical(ev)
	if err != nil {
		return err
	}
	// The writes go to the peer as one message (Fabric 3's write batching;
	// a peer without it takes them one by one as before): a hand-off writes
	// four to six keys, and each message is a round trip the peer handles.
	t.stub.StartWriteBatch()
	for _, k := range t.order {
		if err := t.stub.PutState(k, t.pending[k]); err != nil {
			return fmt.Errorf("writing state: %w", err)
		}
	}
	if err := t.stub.FinishWriteBatch(); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	if err := t.stub.SetEvent(ledger.EventName, payload); err != nil {
		return fmt.Errorf("setting the chaincode event: %w", err)
	}
	return nil
}

// loadRoles returns the role table; ok is false before Governance:Init.
func (t *txn) loadRoles() (ledger.Roles, bool, error) {
	if t.roles != nil {
		return *t.roles, true, nil
	}
	k, err := t.key(ledger.ObjectRoles)
	if err != nil {
		return ledger.Roles{}, false, err
	}
	var r ledger.Roles
	ok, err := t.get(k, &r)
	if err != nil || !ok {
		return ledger.Roles{}, false, err
	}
	t.roles = &r
	return r, true, nil
}

// requireMember checks that the caller's MSP is in the role table.
func (t *txn) requireMember() (ledger.Roles, error) {
	r, ok, err := t.loadRoles()
	if err != nil {
		return r, err
	}
	if !ok {
		return r, errorf(ErrState, "roles are not initialised: call Governance:Init first")
	}
	if _, ok := r.Member(t.msp); !ok {
		return r, errorf(ErrForbidden, "%s is not a member of the consortium and cannot call %s", t.msp, t.fn)
	}
	return r, nil
}

// requireRole checks that the caller's MSP holds role.
func (t *txn) requireRole(role ledger.Role) error {
	r, err := t.requireMember()
	if err != nil {
		return err
	}
	if !r.Has(t.msp, role) {
		return errorf(ErrForbidden, "%s does not hold role %q, which %s requires", t.msp, role, t.fn)
	}
	return nil
}
