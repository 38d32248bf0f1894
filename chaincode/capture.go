package chaincode

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/ledger"
)

// CaptureContract states events that a member's own systems captured
// through its node's EPCIS 2.0 capture interface. The node maps each
// captured event onto the contract function that states that fact
// (Batch:CreateBatch for a commissioning with ILMD, Custody:Ship for a
// shipping, …) and calls Record with the captured event's id; Record runs
// that function unchanged — the same validation, the same authorisation of
// the caller — and additionally:
//
//   - refuses, before anything else, an id that is already on the ledger
//     (as a captured event's id or as a recorded event's own id) with
//     ErrExists, so a captured event is recorded at most once however often
//     it is sent and however captures race: two transactions stating the
//     same id read the same index key, so the later one fails Fabric's
//     read-set validation and, endorsed again, is refused;
//   - writes the id into the recorded event as the user extension
//     ledger.SourceEventIDMember (so it is part of the event's content and
//     hash, and every node sees it), and indexes it under
//     ledger.ObjectSourceEvent.
//
// The recorded event is the contract's statement of the fact: its
// eventTime is the transaction time and its id the CBV hash of what it
// states, as for every other write, so that receipts keep verifying event
// ids from content.
type CaptureContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*CaptureContract) GetName() string { return "Capture" }

// maxSourceEventID bounds a captured event id (a URI).
const maxSourceEventID = 512

// captureContext carries a captured event's id into the function that
// states it; begin reads it.
type captureContext struct {
	contractapi.TransactionContextInterface
	source string
	fn     string
	// recorded is the id of the event recorded for source.
	recorded string
}

// captureFunctions are the functions a captured event may be stated with,
// each with its argument count. Lookups only; nothing iterates it.
var captureFunctions = map[string]func(ctx contractapi.TransactionContextInterface, args []string) error{
	"Batch:CreateBatch": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&BatchContract{}).CreateBatch(ctx, a[0])
		return err
	},
	"Batch:Transform": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&BatchContract{}).Transform(ctx, a[0])
		return err
	},
	"Custody:Ship": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&CustodyContract{}).Ship(ctx, a[0])
		return err
	},
	"Custody:Receive": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&CustodyContract{}).Receive(ctx, a[0])
		return err
	},
	"Custody:RecordReadings": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&CustodyContract{}).RecordReadings(ctx, a[0])
		return err
	},
	"Custody:Pack": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&CustodyContract{}).Pack(ctx, a[0])
		return err
	},
	"Custody:Unpack": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&CustodyContract{}).Unpack(ctx, a[0])
		return err
	},
	"Lab:SubmitInspection": func(ctx contractapi.TransactionContextInterface, a []string) error {
		_, err := (&LabContract{}).SubmitInspection(ctx, a[0], a[1])
		return err
	},
	"Product:CommissionUnits": func(ctx contractapi.TransactionContextInterface, a []string) error {
		var serials []string
		if err := unmarshalStrict([]byte(a[1]), &serials); err != nil {
			return wrapf(ErrInvalid, err, "serials must be a JSON array of strings")
		}
		_, err := (&ProductContract{}).CommissionUnits(ctx, a[0], serials)
		return err
	},
}

var captureArgs = map[string]int{
	"Batch:CreateBatch": 1, "Batch:Transform": 1, "Custody:Ship": 1, "Custody:Receive": 1,
	"Custody:RecordReadings": 1, "Custody:Pack": 1, "Custody:Unpack": 1, "Lab:SubmitInspection": 2,
	"Product:CommissionUnits": 2,
}

// Record states the captured event sourceEventID with fn(args), args a
// JSON array of fn's string arguments.
func (*CaptureContract) Record(ctx contractapi.TransactionContextInterface, sourceEventID, fn, argsJSON string) (_ *ledger.CaptureRecord, err error) {
	run, ok := captureFunctions[fn]
	if err := func() error {
		if sourceEventID == "" || len(sourceEventID) > maxSourceEventID || !uriRE.MatchString(sourceEventID) {
			return errorf(ErrInvalid, "captured event id %q must be a URI of at most %d bytes", truncate(sourceEventID, 200), maxSourceEventID)
		}
		if !ok {
			return errorf(ErrInvalid, "%q does not state a captured event: want one of %v", fn, captureFunctionNames())
		}
		return nil
	}(); err != nil {
		classify(&err)
		return nil, err
	}
	var args []string
	if err := unmarshalStrict([]byte(argsJSON), &args); err != nil || len(args) != captureArgs[fn] {
		err = errorf(ErrInvalid, "arguments of %s must be a JSON array of %d strings", fn, captureArgs[fn])
		classify(&err)
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if id, err := t.capturedAs(sourceEventID); err != nil {
		return nil, err
	} else if id != "" {
		err = errorf(ErrExists, "EPCIS event %s is already recorded (as %s)", sourceEventID, id)
		classify(&err)
		return nil, err
	}
	cctx := &captureContext{TransactionContextInterface: ctx, source: sourceEventID, fn: fn}
	if err := run(cctx, args); err != nil {
		if r := (*rejection)(nil); !errors.As(err, &r) {
			classify(&err) // fn classifies its own errors
		}
		return nil, err
	}
	return &ledger.CaptureRecord{SourceEventID: sourceEventID, EventID: cctx.recorded, Function: fn}, nil
}

// capturedAs returns the ledger event id a captured event id is recorded
// as: through the capture index, or because it is a recorded event's own
// id; "" when it is new.
func (t *txn) capturedAs(source string) (string, error) {
	k, err := t.key(ledger.ObjectSourceEvent, source)
	if err != nil {
		return "", err
	}
	var id string
	if ok, err := t.get(k, &id); err != nil || ok {
		return id, err
	}
	ek, err := t.key(ledger.ObjectEvent, source)
	if err != nil {
		return "", err
	}
	if ok, err := t.exists(ek); err != nil || ok {
		if ok {
			return source, nil
		}
		return "", err
	}
	return "", nil
}

func captureFunctionNames() []string {
	names := make([]string, 0, len(captureArgs))
	for n := range captureArgs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sourceMember is the JSON value of ledger.SourceEventIDMember.
func sourceMember(source string) (json.RawMessage, error) {
	b, err := marshalCanonical(source)
	return json.RawMessage(b), err
}
