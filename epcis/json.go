package epcis

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/trustline/trustline/internal/jsondec"
)

// Canonical returns the deterministic JSON encoding of v: struct fields in
// declaration order, map keys and extension members sorted, no HTML
// escaping and no trailing newline. Use it wherever bytes are hashed,
// signed or written to the ledger.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Hash returns the event hash ID of e (see HashEvent).
func (e *Event) Hash() (string, error) { return e.HashAs(CBV20) }

// HashAs returns the event's hash ID with hash version v.
func (e *Event) HashAs(v CBV) (string, error) {
	b, err := Canonical(e)
	if err != nil {
		return "", err
	}
	return HashEventAs(v, b)
}

// Hashes returns the event hash IDs of the document's events.
func (d *Document) Hashes() ([]string, error) {
	b, err := Canonical(d)
	if err != nil {
		return nil, err
	}
	return HashDocument(b)
}

// The aliases have the same fields but no methods, so that encoding/json
// handles the standard fields while the methods below add extensions.
type (
	eventAlias            Event
	errorDeclarationAlias ErrorDeclaration
	locationAlias         Location
	sensorElementAlias    SensorElement
	sensorMetadataAlias   SensorMetadata
	sensorReportAlias     SensorReport
	quantityElementAlias  QuantityElement
	persistentDispAlias   PersistentDisposition
	bizTransactionAlias   BizTransaction
	sourceAlias           Source
	destinationAlias      Destination
)

// Member names of each type, from the struct tags.
var (
	eventFields            = fieldNames(Event{})
	errorDeclarationFields = fieldNames(ErrorDeclaration{})
	locationFields         = fieldNames(Location{})
	sensorElementFields    = fieldNames(SensorElement{})
	sensorMetadataFields   = fieldNames(SensorMetadata{})
	sensorReportFields     = fieldNames(SensorReport{})
	quantityElementFields  = fieldNames(QuantityElement{})
	persistentDispFields   = fieldNames(PersistentDisposition{})
	bizTransactionFields   = fieldNames(BizTransaction{})
	sourceFields           = fieldNames(Source{})
	destinationFields      = fieldNames(Destination{})
)

func fieldNames(v any) map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// MarshalJSON writes the standard fields followed by the extensions.
func (e Event) MarshalJSON() ([]byte, error) {
	a := eventAlias(e)
	return marshalWithExtensions(&a, e.Extensions, eventFields)
}

// UnmarshalJSON reads an event, collecting namespaced members into
// Extensions and rejecting unknown standard-looking members.
func (e *Event) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var a eventAlias
	ext, err := unmarshalWithExtensions(data, &a, eventFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*e = Event(a)
	e.PlainDone()
	return nil
}

// dropEmpty turns empty lists into nil. Empty lists are omitted when
// encoding, so this makes a decoded event equal to its re-decoded self.
func (e *Event) dropEmpty() {
	e.CertificationInfo = nilIfEmpty(e.CertificationInfo)
	e.EPCList = nilIfEmpty(e.EPCList)
	e.ChildEPCs = nilIfEmpty(e.ChildEPCs)
	e.InputEPCList = nilIfEmpty(e.InputEPCList)
	e.OutputEPCList = nilIfEmpty(e.OutputEPCList)
	e.QuantityList = nilIfEmpty(e.QuantityList)
	e.ChildQuantityList = nilIfEmpty(e.ChildQuantityList)
	e.InputQuantityList = nilIfEmpty(e.InputQuantityList)
	e.OutputQuantityList = nilIfEmpty(e.OutputQuantityList)
	e.BizTransactionList = nilIfEmpty(e.BizTransactionList)
	e.SourceList = nilIfEmpty(e.SourceList)
	e.DestinationList = nilIfEmpty(e.DestinationList)
	e.SensorElementList = nilIfEmpty(e.SensorElementList)
	if len(e.ILMD) == 0 {
		e.ILMD = nil
	}
}

func nilIfEmpty[S ~[]T, T any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func (d ErrorDeclaration) MarshalJSON() ([]byte, error) {
	a := errorDeclarationAlias(d)
	return marshalWithExtensions(&a, d.Extensions, errorDeclarationFields)
}

func (d *ErrorDeclaration) UnmarshalJSON(data []byte) error {
	var a errorDeclarationAlias
	ext, err := unmarshalWithExtensions(data, &a, errorDeclarationFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*d = ErrorDeclaration(a)
	d.PlainDone()
	return nil
}

func (l Location) MarshalJSON() ([]byte, error) {
	a := locationAlias(l)
	return marshalWithExtensions(&a, l.Extensions, locationFields)
}

func (l *Location) UnmarshalJSON(data []byte) error {
	var a locationAlias
	ext, err := unmarshalWithExtensions(data, &a, locationFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*l = Location(a)
	return nil
}

func (s SensorElement) MarshalJSON() ([]byte, error) {
	a := sensorElementAlias(s)
	return marshalWithExtensions(&a, s.Extensions, sensorElementFields)
}

func (s *SensorElement) UnmarshalJSON(data []byte) error {
	var a sensorElementAlias
	ext, err := unmarshalWithExtensions(data, &a, sensorElementFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*s = SensorElement(a)
	s.PlainDone()
	return nil
}

func (s SensorMetadata) MarshalJSON() ([]byte, error) {
	a := sensorMetadataAlias(s)
	return marshalWithExtensions(&a, s.Extensions, sensorMetadataFields)
}

func (s *SensorMetadata) UnmarshalJSON(data []byte) error {
	var a sensorMetadataAlias
	ext, err := unmarshalWithExtensions(data, &a, sensorMetadataFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*s = SensorMetadata(a)
	return nil
}

func (s SensorReport) MarshalJSON() ([]byte, error) {
	a := sensorReportAlias(s)
	return marshalWithExtensions(&a, s.Extensions, sensorReportFields)
}

func (s *SensorReport) UnmarshalJSON(data []byte) error {
	var a sensorReportAlias
	ext, err := unmarshalWithExtensions(data, &a, sensorReportFields, true)
	if err != nil {
		return err
	}
	a.Extensions = ext
	*s = SensorReport(a)
	return nil
}

// The following types have no extension point; unmarshalling them is
// strict so that no member is silently dropped (which would change the
// event hash after a round trip).

func (q *QuantityElement) UnmarshalJSON(data []byte) error {
	var a quantityElementAlias
	if _, err := unmarshalWithExtensions(data, &a, quantityElementFields, false); err != nil {
		return err
	}
	*q = QuantityElement(a)
	return nil
}

func (p *PersistentDisposition) UnmarshalJSON(data []byte) error {
	var a persistentDispAlias
	if _, err := unmarshalWithExtensions(data, &a, persistentDispFields, false); err != nil {
		return err
	}
	*p = PersistentDisposition(a)
	p.PlainDone()
	return nil
}

func (b *BizTransaction) UnmarshalJSON(data []byte) error {
	var a bizTransactionAlias
	if _, err := unmarshalWithExtensions(data, &a, bizTransactionFields, false); err != nil {
		return err
	}
	*b = BizTransaction(a)
	return nil
}

func (s *Source) UnmarshalJSON(data []byte) error {
	var a sourceAlias
	if _, err := unmarshalWithExtensions(data, &a, sourceFields, false); err != nil {
		return err
	}
	*s = Source(a)
	return nil
}

func (d *Destination) UnmarshalJSON(data []byte) error {
	var a destinationAlias
	if _, err := unmarshalWithExtensions(data, &a, destinationFields, false); err != nil {
		return err
	}
	*d = Destination(a)
	return nil
}

// MarshalJSON writes one URI as a string and several as an array.
func (u URIList) MarshalJSON() ([]byte, error) {
	if len(u) == 1 {
		return Canonical(u[0])
	}
	return Canonical([]string(u))
}

// UnmarshalJSON accepts a string or an array of strings.
func (u *URIList) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*u = URIList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return &Error{Field: "certificationInfo", Reason: "must be a string or an array of strings", Err: err}
	}
	*u = many
	return nil
}

// UnmarshalJSON reads ILMD members, compacting their values so that a
// decoded event compares equal to its re-encoded self.
func (m *ILMD) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*m = nil
		return nil
	}
	out := make(ILMD, len(raw))
	for k, v := range raw {
		out[k] = compactRaw(v)
	}
	*m = out
	return nil
}

// MarshalJSON writes [] for an empty list; EPCIS requires the array.
func (l EventList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return Canonical([]Event(l))
}

// marshalWithExtensions encodes the alias struct and appends the extension
// members in sorted order.
func marshalWithExtensions(alias any, ext map[string]json.RawMessage, known map[string]bool) ([]byte, error) {
	b, err := Canonical(alias)
	if err != nil || len(ext) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(ext))
	for k := range ext {
		if !isExtensionName(k) || known[k] {
			return nil, &Error{Field: k, Reason: `extension member name must have the form "prefix:name"`}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // drop the closing brace
	sep := len(b) > 2       // "{}" has no members yet
	for _, k := range keys {
		if sep {
			buf.WriteByte(',')
		}
		sep = true
		name, _ := Canonical(k)
		buf.Write(name)
		buf.WriteByte(':')
		if err := json.Compact(&buf, ext[k]); err != nil || len(ext[k]) == 0 {
			return nil, &Error{Field: k, Reason: "extension value is not valid JSON", Err: err}
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// unmarshalWithExtensions decodes the known members of a JSON object into
// alias and returns the extension members (compacted). Any other member is
// an error; so is any member at all when allowExt is false and the name is
// unknown.
func unmarshalWithExtensions(data []byte, alias any, known map[string]bool, allowExt bool) (map[string]json.RawMessage, error) {
	// Every member is a known one (the common case, and always so for the
	// events trustline stores): decode data as it is. Collecting the
	// members into a map first, at every level of nesting, made decoding a
	// stored event ten times slower than a plain struct decode.
	if membersKnown(data, known) {
		return nil, jsondec.Unmarshal(data, alias)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, err
	}
	if members == nil { // JSON null
		return nil, nil
	}
	std := make(map[string]json.RawMessage, len(members))
	var ext map[string]json.RawMessage
	var unknown []string
	for k, v := range members {
		switch {
		case known[k]:
			std[k] = v
		case allowExt && isExtensionName(k):
			if ext == nil {
				ext = map[string]json.RawMessage{}
			}
			ext[k] = compactRaw(v)
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown) // report the same member on every peer
		reason := "unknown member"
		if allowExt {
			reason += `; user extensions need a namespace prefix ("tl:name")`
		}
		return nil, &Error{Field: unknown[0], Reason: reason}
	}
	b, err := json.Marshal(std)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, alias); err != nil {
		return nil, err
	}
	return ext, nil
}

// membersKnown reports whether scanMembers reads data and finds only
// names in known: it runs for every object of every event decoded.
func membersKnown(data []byte, known map[string]bool) bool {
	return scanMembers(data, func(name []byte) bool { return known[string(name)] })
}

// scanMembers calls fn with each member name of the JSON object data,
// without decoding the values (encoding/json has no way to do that short
// of a map of every value); false if fn returns false, or for anything it
// does not read plainly (not an object, an escaped name), which the caller
// then decodes the slow way. It relies on data being valid JSON
// (encoding/json checks the whole input before it calls an UnmarshalJSON
// method).
func scanMembers(data []byte, fn func(name []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i++
	first := true
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' && first {
			return true
		}
		if i >= len(data) || data[i] != '"' {
			return false
		}
		j := i + 1
		for j < len(data) && data[j] != '"' {
			if data[j] == '\\' {
				return false
			}
			j++
		}
		if j >= len(data) || !fn(data[i+1:j]) {
			return false
		}
		first = false
		i = skipSpace(data, j+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, skipValue(data, i+1))
		switch {
		case i < len(data) && data[i] == ',':
			i++
		case i < len(data) && data[i] == '}':
			return true
		default:
			return false
		}
	}
}

// skipValue returns the index just after the JSON value that starts at or
// after i (or the index of the ',' or '}' that ends a bare literal).
func skipValue(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := stringEnd(data, i+1)
			if depth == 0 {
				return end
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// stringEnd returns the index just after the quote that ends the JSON
// string whose contents start at i (len(data) if none does).
func stringEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// isExtensionName reports whether name looks like "prefix:localName".
func isExtensionName(name string) bool {
	prefix, local, ok := strings.Cut(name, ":")
	return ok && prefix != "" && local != ""
}

func isNull(data []byte) bool { return string(bytes.TrimSpace(data)) == "null" }

func compactRaw(v json.RawMessage) json.RawMessage {
	if v == nil {
		return nil
	}
	if jsondec.IsCompact(v) {
		// Decoded values are copies (json.RawMessage): nothing to copy
		// again, as for every stored event's @context.
		return v
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return v
	}
	return buf.Bytes()
}
