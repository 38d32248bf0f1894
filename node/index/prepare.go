package index

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

// Prepared is what applying a payload needs that depends on the payload
// alone: its EPCIS events decoded, and the content hashes of its leaves
// (events and anchored records). That is most of the work of an apply and
// needs no index state, so a follower prepares the payloads of the blocks
// it has received on every core (Prepare) and applies them in order.
type Prepared struct {
	epcis  []preparedEPCIS
	leaves []preparedLeaf // EPCIS events, then records
	lots   []preparedLot  // the lot records, in payload order
	// records are the anchored records, in payload order (ledger.Event.Records).
	records []ledger.Record
	payload []byte // the payload ev was decoded from, if given
	err     error
}

type preparedEPCIS struct {
	f  epcis.Event
	at string // eventTime as a key (eventTimeKey)
}

// preparedLeaf is a leaf's id and the value of its b entry without the
// transaction id: space, hex SHA-256 of the content.
type preparedLeaf struct {
	id, sum string
}

// preparedLot is a lot record: the lot's Digital Link and the record's id.
type preparedLot struct {
	lot, record string
}

// Prepare prepares ev for Tx.Prepared. Errors are kept for the apply,
// which rejects the payload with an *ApplyError as it would unprepared.
// The anchored records' ids are those of ev's values encoded (ledger.Event.Records):
// a follower, which has the payload ev was decoded from, uses PreparePayload.
func Prepare(ev *ledger.Event) *Prepared { return PreparePayload(ev, nil) }

// PreparePayload is Prepare for ev decoded from payload: the anchored
// records are taken, and their ids computed, from the payload's bytes
// (ledger.PayloadRecords), so that the index stores and anchors them as
// recorded, whatever this version's record types drop or reorder.
func PreparePayload(ev *ledger.Event, payload []byte) *Prepared {
	p := &Prepared{epcis: make([]preparedEPCIS, len(ev.EPCIS)), payload: payload}
	p.err = p.prepare(ev)
	return p
}

func (p *Prepared) prepare(ev *ledger.Event) error {
	for i, raw := range ev.EPCIS {
		e := &p.epcis[i]
		if err := jsondec.Unmarshal(raw, &e.f); err != nil {
			return fmt.Errorf("EPCIS event %d: %w", i, err)
		}
		if !validComponent(e.f.EventID) {
			return fmt.Errorf("EPCIS event %d: eventID %q", i, e.f.EventID)
		}
		at, err := eventTimeKey(e.f.EventTime)
		if err != nil {
			return fmt.Errorf("EPCIS event %d: %w", i, err)
		}
		e.at = at
		if err := p.leaf(e.f.EventID, raw); err != nil {
			return err
		}
	}
	// The records claims rest on are leaves too (ledger.Record), so that a
	// receipt proves them as it proves events.
	var recs []ledger.Record
	var err error
	if p.payload != nil {
		recs, err = ledger.DecodedPayloadRecords(ev, p.payload)
		if n := len(ev.Products) + len(ev.Lots) + len(ev.LabSigners) + len(ev.Inspections) + len(ev.Claims) + len(ev.ServiceChains); err == nil && len(recs) != n {
			err = fmt.Errorf("the payload has %d anchored records, its decoded event %d", len(recs), n)
		}
		p.payload = nil
	} else {
		recs, err = ev.Records()
	}
	if err != nil {
		return err
	}
	p.records = recs
	lot, svc := 0, 0
	for _, r := range recs {
		if r.Schema > 0 {
			// Already in its RFC 8785 form, which canonicalising again
			// would not change: hashed as it is.
			h := sha256.Sum256(r.JSON)
			p.leaves = append(p.leaves, preparedLeaf{id: r.ID, sum: " " + hex.EncodeToString(h[:])})
		} else if err := p.leaf(r.ID, r.JSON); err != nil {
			return err
		}
		if r.Kind == ledger.RecordLot && lot < len(ev.Lots) {
			l := ev.Lots[lot]
			lot++
			if !validComponent(l.ID) {
				return fmt.Errorf("lot %q", l.ID)
			}
			p.lots = append(p.lots, preparedLot{lot: l.ID, record: r.ID})
		}
		if k, ok := serviceStateEntry(ev, r, &svc); ok { // servicechain.go
			p.lots = append(p.lots, preparedLot{lot: k, record: r.ID})
		}
	}
	return nil
}

func (p *Prepared) leaf(id string, doc []byte) error {
	h, err := ledger.ContentHash(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	p.leaves = append(p.leaves, preparedLeaf{id: id, sum: " " + hex.EncodeToString(h[:])})
	return nil
}

// applyTx writes the index updates of the payload ev recorded at pos into
// w; p is ev prepared, nil to prepare it here.
func applyTx(w writer, pos Position, ev *ledger.Event, p *Prepared) error {
	if p == nil {
		p = Prepare(ev)
	}
	if p.err != nil {
		return &ApplyError{Pos: pos, Err: p.err}
	}
	if err := applyEvent(w, ev, p); err != nil {
		return &ApplyError{Pos: pos, Err: err}
	}
	if err := applyPositions(w, pos, p); err != nil { // blocks.go
		return &ApplyError{Pos: pos, Err: err}
	}
	if err := applyRecords(w, ev, p); err != nil { // records.go
		return &ApplyError{Pos: pos, Err: err}
	}
	return nil
}
