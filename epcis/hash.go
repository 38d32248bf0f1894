package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// HashVersion is the version of the event hash algorithm implemented here,
// as it appears in the hash URI.
const HashVersion = "CBV2.0"

// HashEvent returns the EPCIS event hash ID of one event in EPCIS 2.0 JSON
// or JSON-LD, as specified in CBV 2.0 §8.9 ("ni:///sha-256;<hex>?ver=CBV2.0").
//
// An "@context" member of the event declares namespace prefixes for user
// extensions; it is not itself hashed. Without it the well-known prefixes
// (gs1, cbv, epcis, cbvmda and tl) apply.
func HashEvent(eventJSON []byte) (string, error) {
	pre, err := PreHashEvent(eventJSON)
	if err != nil {
		return "", err
	}
	return hashPreHash(pre), nil
}

// HashDocument returns the event hash IDs of all events of an
// EPCISDocument or EPCISQueryDocument in JSON-LD, in document order.
func HashDocument(docJSON []byte) ([]string, error) {
	pres, err := PreHashDocument(docJSON)
	if err != nil {
		return nil, err
	}
	hashes := make([]string, len(pres))
	for i, p := range pres {
		hashes[i] = hashPreHash(p)
	}
	return hashes, nil
}

// PreHashEvent returns the canonical pre-hash string of an event: the text
// whose SHA-256 digest is the event hash. It is meant for debugging hash
// mismatches between implementations.
func PreHashEvent(eventJSON []byte) (string, error) {
	v, err := parseJSON(eventJSON)
	if err != nil {
		return "", &Error{Field: "event", Reason: "invalid JSON: " + err.Error(), Err: err}
	}
	if v.kind != jsonObject {
		return "", &Error{Field: "event", Reason: "event is not a JSON object"}
	}
	return preHash(v, nil)
}

// PreHashDocument returns the pre-hash strings of all events of a document.
func PreHashDocument(docJSON []byte) ([]string, error) {
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
		p, err := preHash(ev, doc.member("@context"))
		if err != nil {
			return nil, prefixField(err, "eventList["+itoa(i)+"]")
		}
		pres = append(pres, p)
	}
	return pres, nil
}

func hashPreHash(pre string) string {
	sum := sha256.Sum256([]byte(pre))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=" + HashVersion
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

// preHash computes the CBV 2.0 pre-hash string of one event.
func preHash(event, docContext *jsonValue) (string, error) {
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

	standard := preHashInOrder(&root.children, propOrder)

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
			if inner := fieldExtensions(c.children, p.sub); inner != "" {
				fieldExt = append(fieldExt, displayName(p.name)+inner)
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
// pre-hash string.
func displayName(name string) string {
	if name == "sensorElementList" {
		return ""
	}
	return name
}

// preHashInOrder renders the children named in order, sorting repeated
// elements, and removes every child it fully consumed. What is left over
// afterwards are user extensions (and unknown members).
func preHashInOrder(children *[]*node, order []prop) string {
	var b strings.Builder
	for _, p := range order {
		var values []string
		for _, c := range snapshot(*children) {
			if c.pair || c.name != p.name {
				continue
			}
			if s := childPreHash(c, p); s != "" {
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
	return b.String()
}

func childPreHash(c *node, p prop) string {
	var grand string
	switch {
	case p.pairs:
		if len(c.children) > 0 && allPairs(c.children) {
			grand = genericPreHash(c.children)
			c.children = nil
		}
	case p.sub != nil:
		grand = preHashInOrder(&c.children, p.sub)
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
	return displayName(c.name) + text + grand
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
func fieldExtensions(children []*node, order []prop) string {
	var parts []string
	for _, p := range order {
		if p.sub == nil {
			continue
		}
		for _, c := range children {
			if c.pair || c.name != p.name {
				continue
			}
			if inner := fieldExtensions(c.children, p.sub); inner != "" {
				parts = append(parts, displayName(p.name)+inner)
			}
		}
	}
	var direct []*node
	for _, c := range children {
		// The reference recognises extensions by "{namespace/}name".
		if !c.pair && strings.Contains(c.name, "{") && strings.Contains(c.name, "/}") {
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
