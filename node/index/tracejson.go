package index

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

// AppendTraceJSON appends to dst the trace of Trace(gtin, lot, serial) as
// encoding/json's Encoder writes it with SetEscapeHTML(false): the same
// bytes, final newline included. It is the resolver's hot path: stored
// records (unit, product, lot, recall, shipment) and events are copied
// through instead of being decoded and encoded again. That is exact
// because setJSON stored them with json.Marshal of the same types, whose
// output re-encodes to itself except where it escaped <, > or & (\u00…):
// such a record, and a lot whose recall flags change it, is decoded and
// encoded as Trace does. Records copied through are not validated again:
// they are json.Marshal's output, and Pebble checksums every block.
func (x *Index) AppendTraceJSON(dst []byte, gtin, lot, serial string) ([]byte, error) {
	return x.AppendTraceJSONOf(dst, gtin, lot, serial, nil)
}

// AppendTraceJSONOf is AppendTraceJSON that also calls read (when not nil)
// with each subject the trace was read from, so that a cache of it can be
// dropped when a commit writes one (Change.Subjects).
func (x *Index) AppendTraceJSONOf(dst []byte, gtin, lot, serial string, read func(Subject)) ([]byte, error) {
	// Subjects are made only for a caller that takes them (most cold
	// requests are not kept: their subjects were a tenth of the
	// allocations).
	noted := read != nil
	r := x.newReader()
	r.useArena() // everything read is written to b before close
	defer r.close()
	b := bytes.NewBuffer(dst)
	b.WriteString(`{"id":`)
	appendJSON(b, digitallink.Link{GTIN: gtin, Lot: lot, Serial: serial}.String())
	if serial != "" {
		raw, k, ulot, ok, err := r.unitRaw(gtin, lot, serial) // tracerec.go
		if err != nil {
			return dst, err
		}
		if !ok {
			return dst, notFound("unit %s", digitallink.Link{GTIN: gtin, Serial: serial}.String())
		}
		if lot != "" && ulot != lot {
			var u ledger.Unit
			if err := jsondec.Unmarshal(raw, &u); err != nil {
				return dst, corrupt(k, err)
			}
			return dst, notFound("unit %s of lot %s (the serial belongs to lot %s)", serial, lotLink(gtin, lot), u.LotID)
		}
		lot = ulot
		if noted {
			read(UnitSubject(gtin, serial))
		}
		b.WriteString(`,"unit":`)
		if err := appendRecord[ledger.Unit](b, raw); err != nil {
			return dst, err
		}
	}
	rawLot, via, ok, err := r.lotRaw(gtin, lot) // tracerec.go
	if err != nil {
		return dst, err
	}
	if !ok {
		return dst, notFound("lot %s", lotLink(gtin, lot))
	}
	if noted {
		read(LotSubject(gtin, lot))
		read(ProductSubject(gtin))
	}
	// The lot is decoded only when recall flags change it or its last
	// shipment (part of the trace) cannot be read off directly.
	var l *ledger.LotSummary
	shipment, _, plain := stringField(rawLot, "lastShipment")
	if len(via) > 0 || !plain {
		l = new(ledger.LotSummary)
		if err := jsondec.Unmarshal(rawLot, l); err != nil {
			return dst, corrupt(key(tLot, gtin, lot), err)
		}
		l.RecalledVia = append(l.RecalledVia, via...)
		shipment = l.LastShipment
	}
	if p, _, ok, err := r.product(gtin); err == nil && ok { // productcache.go
		b.WriteString(`,"product":`)
		if err := appendRecord[ledger.Product](b, p); err != nil {
			return dst, err
		}
	}
	b.WriteString(`,"lot":`)
	if len(via) > 0 {
		l.Status = ledger.StatusRecalled
		appendJSON(b, l)
	} else if l != nil {
		appendJSON(b, l)
	} else if err := appendRecord[ledger.LotSummary](b, rawLot); err != nil {
		return dst, err
	}
	b.WriteString(`,"events":[`)
	n := 0
	err = r.lotEvents(gtin, lot, func(ev []byte) error { // tracerec.go
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		// Stored events are valid JSON (they were parsed when applied);
		// without whitespace they are already compact.
		if bytes.IndexByte(ev, ' ') < 0 && bytes.IndexByte(ev, '\n') < 0 && bytes.IndexByte(ev, '\t') < 0 && bytes.IndexByte(ev, '\r') < 0 {
			b.Write(ev)
			return nil
		}
		return json.Compact(b, ev)
	})
	if err != nil {
		return dst, err
	}
	b.WriteByte(']')
	link := r.linkOf(gtin, lot)
	for _, dir := range []string{ledger.Upstream, ledger.Downstream} {
		tr, err := r.walk(link, dir)
		if err != nil {
			return dst, err
		}
		for _, l := range tr.Lots {
			if noted {
				read(LotSubject(l.GTIN, l.Lot))
			}
		}
		b.WriteString(`,"` + dir + `":`)
		appendJSON(b, tr)
	}
	if rc, ok, err := r.recallRaw(gtin, lot); err == nil && ok {
		b.WriteString(`,"recall":`)
		if err := appendRecord[ledger.Recall](b, rc); err != nil {
			return dst, err
		}
	}
	if shipment != "" {
		if noted {
			read(ShipmentSubject(shipment))
		}
		if s, ok, err := r.get(key(tShipment, shipment)); err == nil && ok {
			b.WriteString(`,"shipment":`)
			if err := appendRecord[ledger.Shipment](b, s); err != nil {
				return dst, err
			}
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// corrupt is getJSON's error for a value under k that does not decode.
func corrupt(k []byte, err error) error {
	return fmt.Errorf("index: corrupt value under %q: %w", k, err)
}

// stringField reads the string member name of the JSON object raw without
// decoding it: raw is json.Marshal's output for a type in which no other
// object has a member of that name, and since a quote inside a string is
// escaped, `"name":` can only be that member. plain is false when its
// value has escapes or is not a string: the caller decodes raw.
func stringField(raw []byte, name string) (v string, found, plain bool) {
	i := bytes.Index(raw, []byte(`"`+name+`":`))
	if i < 0 {
		return "", false, true
	}
	rest := raw[i+len(name)+3:]
	if len(rest) == 0 || rest[0] != '"' {
		return "", true, false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 || bytes.IndexByte(rest[1:1+end], '\\') >= 0 {
		return "", true, false
	}
	return string(rest[1 : 1+end]), true, true
}

// appendRecord appends a stored record as encoding T without HTML
// escaping would: as stored, unless json.Marshal escaped something.
func appendRecord[T any](b *bytes.Buffer, raw []byte) error {
	if !bytes.Contains(raw, []byte(`\u00`)) {
		b.Write(raw)
		return nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	appendJSON(b, v)
	return nil
}

// appendJSON appends v as an Encoder without HTML escaping writes it,
// without the newline. Strings that need no escaping and traces without
// lots or edges (most lots have none) are written directly: an Encoder
// was about a twentieth of a cold trace request.
func appendJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case string:
		if plainString(v) {
			b.WriteByte('"')
			b.WriteString(v)
			b.WriteByte('"')
			return
		}
	case ledger.Trace:
		if len(v.Lots) == 0 && len(v.Edges) == 0 && v.Lots != nil && v.Edges != nil && plainString(v.Lot) && plainString(v.Direction) {
			b.WriteString(`{"lot":"`)
			b.WriteString(v.Lot)
			b.WriteString(`","direction":"`)
			b.WriteString(v.Direction)
			b.WriteString(`","lots":[],"edges":[]}`)
			return
		}
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // trace values always encode
	b.Truncate(b.Len() - 1)
}

// plainString reports whether s encodes as itself between quotes: printable
// ASCII without a quote or a backslash (an Encoder without HTML escaping
// escapes nothing else in ASCII).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
