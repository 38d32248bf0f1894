package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
)

// CBV is a version of the event hash algorithm, as it appears in the hash
// URI's "ver" parameter.
type CBV string

// The event hash versions implemented here. They differ in where user
// extensions inside standard fields go and in the sensorElementList
// wrapper (see CBV21); both leave certificationInfo, errorDeclaration,
// eventID and recordTime out of the hash.
const (
	// CBV20 is the hash of CBV 2.0 §8.9: user extensions inside standard
	// fields are appended after the ILMD, prefixed by their field path; the
	// sensorElementList wrapper is not named.
	CBV20 CBV = "CBV2.0"
	// CBV21 is the hash of CBV 2.1: user extensions inside a standard field
	// follow that field's standard members; the sensorElementList wrapper is
	// named; the ILMD is sorted with the event-level extensions.
	CBV21 CBV = "CBV2.1"
)

// HashVersion is the version of HashEvent and HashDocument.
const HashVersion = CBV20

// Current is the version trustline gives the events it records. Ids of
// other versions stay valid: verify an id with the version it names
// (VersionOf, CheckEventID).
const Current = CBV21

// ParseCBV reads a version as given on a command line: "2.0", "2.1",
// "CBV2.0" or "CBV2.1".
func ParseCBV(s string) (CBV, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "2.0", "CBV2.0":
		return CBV20, nil
	case "2.1", "CBV2.1":
		return CBV21, nil
	}
	return "", &Error{Field: "ver", Reason: "unknown CBV hash version " + strconv.Quote(s) + " (want 2.0 or 2.1)"}
}

// VersionOf is the hash version an event hash id names in its "ver"
// parameter ("ni:///sha-256;<hex>?ver=CBV2.1").
func VersionOf(id string) (CBV, error) {
	_, q, ok := strings.Cut(id, "?")
	if !strings.HasPrefix(id, "ni:///sha-256;") || !ok {
		return "", &Error{Field: "eventID", Reason: "not an event hash id: " + strconv.Quote(id)}
	}
	for _, p := range strings.Split(q, "&") {
		if v, ok := strings.CutPrefix(p, "ver="); ok {
			switch CBV(v) {
			case CBV20, CBV21:
				return CBV(v), nil
			}
			return "", &Error{Field: "eventID", Reason: "unknown hash version " + strconv.Quote(v) + " in " + strconv.Quote(id)}
		}
	}
	return "", &Error{Field: "eventID", Reason: "no ver= in event hash id " + strconv.Quote(id)}
}

// HashEventID recomputes an event's hash id with the version that id names:
// an event recorded under CBV 2.0 keeps verifying after new events get
// CBV 2.1 ids.
func HashEventID(id string, eventJSON []byte) (string, error) {
	v, err := VersionOf(id)
	if err != nil {
		return "", err
	}
	return HashEventAs(v, eventJSON)
}

// HashEvent returns the EPCIS event hash ID of one event in EPCIS 2.0 JSON
// or JSON-LD, as specified in CBV 2.0 §8.9 ("ni:///sha-256;<hex>?ver=CBV2.0").
//
// An "@context" member of the event declares namespace prefixes for user
// extensions; it is not itself hashed. Without it the well-known prefixes
// (gs1, cbv, epcis, cbvmda and tl) apply.
func HashEvent(eventJSON []byte) (string, error) { return HashEventAs(CBV20, eventJSON) }

// HashEventAs is HashEvent with hash version v.
func HashEventAs(v CBV, eventJSON []byte) (string, error) {
	pre, err := PreHashEventAs(v, eventJSON)
	if err != nil {
		return "", err
	}
	return hashPreHash(v, pre), nil
}

// HashDocument returns the CBV 2.0 event hash IDs of all events of an
// EPCISDocument or EPCISQueryDocument in JSON-LD, in document order.
func HashDocument(docJSON []byte) ([]string, error) { return HashDocumentAs(CBV20, docJSON) }

// HashDocumentAs is HashDocument with hash version v.
func HashDocumentAs(v CBV, docJSON []byte) ([]string, error) {
	pres, err := PreHashDocumentAs(v, docJSON)
	if err != nil {
		return nil, err
	}
	hashes := make([]string, len(pres))
	for i, p := range pres {
		hashes[i] = hashPreHash(v, p)
	}
	return hashes, nil
}

// PreHashEvent returns the canonical CBV 2.0 pre-hash string of an event:
// the text whose SHA-256 digest is the event hash. It is meant for
// debugging hash mismatches between implementations.
func PreHashEvent(eventJSON []byte) (string, error) { return PreHashEventAs(CBV20, eventJSON) }

// PreHashEventAs is PreHashEvent with hash version v.
func PreHashEventAs(ver CBV, eventJSON []byte) (string, error) {
	prof, err := profileOf(ver)
	if err != nil {
		return "", err
	}
	v, err := parseJSON(eventJSON)
	if err != nil {
		return "", &Error{Field: "event", Reason: "invalid JSON: " + err.Error(), Err: err}
	}
	if v.kind != jsonObject {
		return "", &Error{Field: "event", Reason: "event is not a JSON object"}
	}
	return preHash(prof, v, nil)
}

// PreHashDocument returns the CBV 2.0 pre-hash strings of all events of a
// document.
func PreHashDocument(docJSON []byte) ([]string, error) { return PreHashDocumentAs(CBV20, docJSON) }

// PreHashDocumentAs is PreHashDocument with hash version v.
func PreHashDocumentAs(ver CBV, docJSON []byte) ([]string, error) {
	prof, err := profileOf(ver)
	if err != nil {
		return nil, err
	}
	doc, err := parseJSON(docJSON)
	if err != nil {
		return nil, &Error{Field: "document", Reason: "invalid JSON: " + err.Error(), Err: err}
	}
	events, err := documentEvents(doc)
	if err != nil {
		return nil, err
	}
	pres := make([]string, 0, len(events))
	for i, ev := range events {
		p, err := preHash(prof, ev, doc.member("@context"))
		if err != nil {
			return nil, prefixField(err, "eventList["+itoa(i)+"]")
		}
		pres = append(pres, p)
	}
	return pres, nil
}

func hashPreHash(v CBV, pre string) string {
	sum := sha256.Sum256([]byte(pre))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=" + string(v)
}

// profile is what distinguishes the hash versions, as the reference
// implementation's version profiles do.
type profile struct {
	// inlineExtensions: user extensions inside a standard field follow the
	// field's standard members (2.1), rather than a trailing block
	// prefixed by the field path (2.0).
	inlineExtensions bool
	// sensorElementList: the wrapper's name is part of the string (2.1).
	sensorElementList bool
}

func profileOf(v CBV) (profile, error) {
	switch v {
	case CBV20:
		return profile{}, nil
	case CBV21:
		return profile{inlineExtensions: true, sensorElementList: true}, nil
	}
	return profile{}, &Error{Field: "ver", Reason: "unknown CBV hash version " + strconv.Quote(string(v))}
}

// documentEvents finds the event list of an EPCISDocument (epcisBody.eventList
// or epcisBody.event) or an EPCISQueryDocument
// (epcisBody.queryResults.resultsBody.eventList).
func documentEvents(doc *jsonValue) ([]*jsonValue, error) {
	if doc.kind != jsonObject {
		return nil, &Error{Field: "document", Reason: "document is not a JSON object"}
	}
	body := doc.member("epcisBody")
	if body == nil || body.kind != jsonObject {
		return nil, &Error{Field: "epcisBody", Reason: "document has no epcisBody object"}
	}
	list := body.member("eventList")
	field := "epcisBody.eventList"
	if list == nil {
		if ev := body.member("event"); ev != nil {
			list, field = &jsonValue{kind: jsonArray, arr: []*jsonValue{ev}}, "epcisBody.event"
		} else if qr := body.member("queryResults"); qr != nil {
			list, field = qr.member("resultsBody").member("eventList"), "epcisBody.queryResults.resultsBody.eventList"
		}
	}
	if list == nil || list.kind != jsonArray {
		return nil, &Error{Field: field, Reason: "document has no event list"}
	}
	for i, ev := range list.arr {
		if ev.kind != jsonObject {
			return nil, &Error{Field: field + "[" + itoa(i) + "]", Reason: "event is not a JSON object"}
		}
	}
	return list.arr, nil
}

// preHash computes the pre-hash string of one event.
func preHash(prof profile, event, docContext *jsonValue) (string, error) {
	ns := newNamespaces(docContext, event.member("@context"))
	event = event.without("@context")
	replaceBareStrings(event, ns)

	t := event.member("type")
	if t == nil || t.kind != jsonString || t.str == "" {
		return "", &Error{Field: "type", Reason: "event has no type"}
	}
	root, err := ns.toTree(event)
	if err != nil {
		return "", err
	}
	root, err = correctStructure(root)
	if err != nil {
		return "", err
	}

	standard := prof.preHashInOrder(&root.children, propOrder)

	if prof.inlineExtensions {
		// CBV 2.1: field extensions are already inline; the ILMD and the
		// event-level extensions follow, sorted together.
		rest := filterNodes(root.children, func(c *node) bool { return !ignoredInHash[c.name] })
		out := "eventType=" + t.str + standard
		if len(rest) > 0 {
			out += genericPreHash(rest)
		}
		return out, nil
	}

	// CBV 2.0 then appends, in this order: the ILMD, user extensions inside
	// standard fields (prefixed by the field path) and the event-level user
	// extensions, each block sorted.
	var ilmd []*node
	root.children = filterNodes(root.children, func(c *node) bool {
		if c.name == "ilmd" {
			ilmd = append(ilmd, c)
			return false
		}
		return true
	})
	var fieldExt []string
	for _, p := range propOrder {
		if p.sub == nil {
			continue
		}
		for _, c := range snapshot(root.children) {
			if c.pair || c.name != p.name {
				continue
			}
			if inner := prof.fieldExtensions(c.children, p.sub); inner != "" {
				fieldExt = append(fieldExt, prof.displayName(p.name)+inner)
				root.children = removeNode(root.children, c)
			}
		}
	}
	rest := filterNodes(root.children, func(c *node) bool { return !ignoredInHash[c.name] })

	var b strings.Builder
	b.WriteString("eventType=" + t.str)
	b.WriteString(standard)
	if len(ilmd) > 0 {
		b.WriteString(genericPreHash(ilmd))
	}
	b.WriteString(strings.Join(fieldExt, ""))
	if len(rest) > 0 {
		b.WriteString(genericPreHash(rest))
	}
	return b.String(), nil
}

// ignoredInHash are event members that never take part in the hash.
var ignoredInHash = map[string]bool{
	"recordTime": true, "eventID": true, "type": true,
	"errorDeclaration": true, "certificationInfo": true,
}

// prop is one entry of the canonical property order (CBV 2.0 §8.9.3).
type prop struct {
	name  string
	sub   []prop
	pairs bool // a list of (type, value) pairs: bizTransaction, source, destination
}

var (
	epcOrder      = []prop{{name: "epc"}}
	quantityOrder = []prop{{name: "quantityElement", sub: []prop{{name: "epcClass"}, {name: "quantity"}, {name: "uom"}}}}
	propOrder     = []prop{
		{name: "eventTime"},
		{name: "eventTimeZoneOffset"},
		{name: "epcList", sub: epcOrder},
		{name: "parentID"},
		{name: "inputEPCList", sub: epcOrder},
		{name: "childEPCs", sub: epcOrder},
		{name: "quantityList", sub: quantityOrder},
		{name: "childQuantityList", sub: quantityOrder},
		{name: "inputQuantityList", sub: quantityOrder},
		{name: "outputEPCList", sub: epcOrder},
		{name: "outputQuantityList", sub: quantityOrder},
		{name: "action"},
		{name: "transformationID"},
		{name: "bizStep"},
		{name: "disposition"},
		{name: "persistentDisposition", sub: []prop{{name: "set"}, {name: "unset"}}},
		{name: "readPoint", sub: []prop{{name: "id"}}},
		{name: "bizLocation", sub: []prop{{name: "id"}}},
		{name: "bizTransactionList", pairs: true},
		{name: "sourceList", pairs: true},
		{name: "destinationList", pairs: true},
		{name: "sensorElementList", sub: []prop{{name: "sensorElement", sub: []prop{
			{name: "sensorMetadata", sub: props("time", "startTime", "endTime", "deviceID",
				"deviceMetadata", "rawData", "dataProcessingMethod", "bizRules")},
			{name: "sensorReport", sub: props("type", "exception", "deviceID", "deviceMetadata",
				"rawData", "dataProcessingMethod", "time", "microorganism", "chemicalSubstance",
				"value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
				"minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
				"coordinateReferenceSystem")},
		}}}},
	}
)

func props(names ...string) []prop {
	p := make([]prop, len(names))
	for i, n := range names {
		p[i] = prop{name: n}
	}
	return p
}

// displayName: CBV 2.0 leaves the sensorElementList wrapper out of the
// pre-hash string, CBV 2.1 names it.
func (prof profile) displayName(name string) string {
	if name == "sensorElementList" && !prof.sensorElementList {
		return ""
	}
	return name
}

// preHashInOrder renders the children named in order, sorting repeated
// elements, and removes every child it fully consumed. What is left over
// afterwards are user extensions (and unknown members). Under CBV 2.1 the
// user extensions of a standard field are rendered here too, after its
// standard members.
func (prof profile) preHashInOrder(children *[]*node, order []prop) string {
	var ext []*node
	if prof.inlineExtensions {
		ext = gatherExtensions(children)
	}
	var b strings.Builder
	for _, p := range order {
		var values []string
		for _, c := range snapshot(*children) {
			if c.pair || c.name != p.name {
				continue
			}
			if s := prof.childPreHash(c, p); s != "" {
				values = append(values, s)
			}
			if len(c.children) == 0 {
				*children = removeNode(*children, c)
			}
		}
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(v)
		}
	}
	if len(ext) > 0 {
		b.WriteString(genericPreHash(ext))
	}
	return b.String()
}

// gatherExtensions removes and returns the user extensions among a standard
// field's members, as the CBV 2.1 reference does: not at the event's top
// level (recognised, as there, by an eventTime or action member), and not
// from a field with a single member.
func gatherExtensions(children *[]*node) []*node {
	if len(*children) <= 1 {
		return nil
	}
	for _, c := range *children {
		if !c.pair && (strings.Contains(c.name, "eventTime") || strings.Contains(c.name, "action")) {
			return nil
		}
	}
	var ext []*node
	*children = filterNodes(*children, func(c *node) bool {
		if isExtension(c) {
			ext = append(ext, c)
			return false
		}
		return true
	})
	return ext
}

// isExtension recognises a user extension, as the reference does, by its
// "{namespace/}name".
func isExtension(c *node) bool {
	return !c.pair && strings.Contains(c.name, "{") && strings.Contains(c.name, "/}")
}

func (prof profile) childPreHash(c *node, p prop) string {
	var grand string
	switch {
	case p.pairs:
		if len(c.children) > 0 && allPairs(c.children) {
			grand = genericPreHash(c.children)
			c.children = nil
		}
	case p.sub != nil:
		grand = prof.preHashInOrder(&c.children, p.sub)
	}
	var text string
	if c.text != "" {
		t := pyStrip(c.text)
		if isTimeField(c.name) {
			t = normaliseTimestamp(t)
		} else {
			t = canonize(t)
		}
		if t != "" {
			text = "=" + t
		}
	}
	if text == "" && grand == "" {
		return ""
	}
	return prof.displayName(c.name) + text + grand
}

func isTimeField(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "time") && !strings.Contains(n, "offset")
}

func allPairs(nodes []*node) bool {
	for _, n := range nodes {
		if !n.pair {
			return false
		}
	}
	return true
}

// genericPreHash renders elements outside the property order (ILMD, user
// extensions): name=value plus nested elements, siblings sorted.
func genericPreHash(children []*node) string {
	values := make([]string, 0, len(children))
	for _, c := range children {
		if c.pair {
			values = append(values, genericPreHash(c.children))
			continue
		}
		text := pyStrip(c.text)
		if text != "" {
			text = "=" + canonize(text)
		}
		values = append(values, c.name+text+genericPreHash(c.children))
	}
	if len(children) > 1 && shouldSort(children) {
		sort.Strings(values)
	}
	return strings.Join(values, "")
}

// shouldSort keeps (type, value) pairs of business transactions, sources and
// destinations in their order: type first.
func shouldSort(children []*node) bool {
	for _, c := range children {
		if !c.pair && (c.name == "bizTransaction" || c.name == "source" || c.name == "destination") {
			return false
		}
	}
	return true
}

// fieldExtensions renders the user extensions left inside a standard field
// with an extension point (readPoint, sensorElement, sensorMetadata, ...):
// nested fields first, in property order, then the field's own extensions.
func (prof profile) fieldExtensions(children []*node, order []prop) string {
	var parts []string
	for _, p := range order {
		if p.sub == nil {
			continue
		}
		for _, c := range children {
			if c.pair || c.name != p.name {
				continue
			}
			if inner := prof.fieldExtensions(c.children, p.sub); inner != "" {
				parts = append(parts, prof.displayName(p.name)+inner)
			}
		}
	}
	var direct []*node
	for _, c := range children {
		if isExtension(c) {
			direct = append(direct, c)
		}
	}
	if len(direct) > 0 {
		parts = append(parts, genericPreHash(direct))
	}
	return strings.Join(parts, "")
}

func snapshot(nodes []*node) []*node { return append([]*node(nil), nodes...) }

func removeNode(nodes []*node, n *node) []*node {
	for i, c := range nodes {
		if c == n {
			return append(nodes[:i:i], nodes[i+1:]...)
		}
	}
	return nodes
}

func filterNodes(nodes []*node, keep func(*node) bool) []*node {
	var out []*node
	for _, n := range nodes {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}
