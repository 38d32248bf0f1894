package epcis

import (
	"strings"
)

// node is the element tree the pre-hash string is built from: the same
// (name, text, children) triples as in the reference implementation, so
// that JSON and XML events map to one structure.
type node struct {
	name     string
	text     string
	children []*node
	// pair marks a (type, value) pair of a bizTransaction, source or
	// destination; its children are the type (optional) and the value.
	pair bool
}

// compareNodes orders nodes like Python orders (name, text, children)
// tuples.
func compareNodes(a, b *node) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	if c := strings.Compare(a.text, b.text); c != 0 {
		return c
	}
	for i := 0; i < len(a.children) && i < len(b.children); i++ {
		if c := compareNodes(a.children[i], b.children[i]); c != 0 {
			return c
		}
	}
	return len(a.children) - len(b.children)
}

// namespaces maps JSON-LD prefixes to namespace URIs.
type namespaces map[string]string

// newNamespaces collects the prefix definitions of the given @context
// values (a string, an object or an array of both) on top of the
// well-known prefixes. "gs1" always means https://ref.gs1.org/voc/, as in
// the reference implementation.
func newNamespaces(contexts ...*jsonValue) namespaces {
	ns := namespaces{}
	for k, v := range wellKnownNamespaces {
		ns[k] = v
	}
	var add func(*jsonValue)
	add = func(c *jsonValue) {
		switch {
		case c == nil:
		case c.kind == jsonArray:
			for _, e := range c.arr {
				if e.kind == jsonObject {
					add(e)
				}
			}
		case c.kind == jsonObject:
			for i, k := range c.keys {
				if v := c.vals[i]; v.kind == jsonString {
					ns[k] = v.str
				}
			}
		}
	}
	for _, c := range contexts {
		add(c)
	}
	ns["gs1"] = vocBase
	return ns
}

// key expands "prefix:name" to "{namespace}name".
func (ns namespaces) key(k string) string {
	prefix, local, ok := strings.Cut(k, ":")
	if !ok {
		return k
	}
	if uri, found := ns[prefix]; found {
		return "{" + uri + "}" + local
	}
	return k
}

// value expands compact IRIs of GS1 vocabularies ("gs1:Temperature",
// "cbv:Comp-x") in values; other prefixes stay as they are.
func (ns namespaces) value(v string) string {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		return v
	}
	uri, found := ns[prefix]
	if !found {
		return v
	}
	uri = strings.NewReplacer("{", "", "}", "").Replace(uri)
	if strings.HasPrefix(uri, "https://ref.gs1.org") || strings.HasPrefix(uri, "https://gs1.org") {
		return uri + local
	}
	return v
}

// expandedPrefixes are the vocabularies whose bare-string terms are
// replaced by their full URIs (CBV 2.0 §8.9 rule 16).
var expandedPrefixes = []string{"https://ref.gs1.org/cbv", "https://gs1.org/voc", "https://ref.gs1.org/voc"}

func hasExpandedPrefix(s string) bool {
	for _, p := range expandedPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// replaceBareStrings replaces bare-string vocabulary values ("shipping",
// "in_transit", "Temperature") by the web URIs a JSON-LD processor expands
// them to. Like the reference implementation it first collects every
// expanded GS1 vocabulary URI of the event and then replaces any string
// value that is the unambiguous last segment of one of them.
//
// Unlike the reference, which pools the URIs of a whole document, the pool
// is per event, so that an event's hash does not depend on its neighbours.
func replaceBareStrings(event *jsonValue, ns namespaces) {
	expanded := map[string]bool{}
	collectExpanded(event, "event", "", ns, expanded)
	if len(expanded) == 0 {
		return
	}
	var replace func(v *jsonValue)
	replace = func(v *jsonValue) {
		switch v.kind {
		case jsonString:
			match, n := "", 0
			for uri := range expanded {
				if strings.HasSuffix(uri, "-"+v.str) || strings.HasSuffix(uri, "/"+v.str) {
					match = uri
					n++
				}
			}
			if n == 1 {
				v.str = match
			}
		case jsonArray:
			for _, e := range v.arr {
				replace(e)
			}
		case jsonObject:
			for _, e := range v.vals {
				replace(e)
			}
		}
	}
	replace(event)
}

// collectExpanded walks the event like a JSON-LD expansion with the EPCIS
// context would, recording the GS1 vocabulary URIs it produces. ctx is the
// enclosing object's role and key the member holding v.
func collectExpanded(v *jsonValue, ctx, key string, ns namespaces, out map[string]bool) {
	switch v.kind {
	case jsonString:
		s := v.str
		if hasExpandedPrefix(s) {
			out[s] = true
		}
		if table := vocabularyOf(ctx, key); table != nil {
			if uri, ok := table[s]; ok {
				out[uri] = true
			}
		}
		if idTypedFields[key] {
			if prefix, local, ok := strings.Cut(s, ":"); ok {
				if uri, found := ns[prefix]; found && hasExpandedPrefix(uri+local) {
					out[uri+local] = true
				}
			}
		}
	case jsonArray:
		for _, e := range v.arr {
			collectExpanded(e, ctx, key, ns, out)
		}
	case jsonObject:
		inner := key
		if ctx == "event" && key == "" {
			inner = "event"
		}
		for i, k := range v.keys {
			collectExpanded(v.vals[i], inner, k, ns, out)
		}
	}
}

// vocabularyOf returns the bare-string terms of a "@vocab" typed field.
func vocabularyOf(ctx, key string) map[string]string {
	switch ctx + "." + key {
	case "event.bizStep":
		return bizStepTerms
	case "event.disposition", "persistentDisposition.set", "persistentDisposition.unset":
		return dispositionTerms
	case "bizTransactionList.type":
		return bizTransactionTypeTerms
	case "sourceList.type", "destinationList.type":
		return sourceDestTypeTerms
	case "errorDeclaration.reason":
		return errorReasonTerms
	case "sensorReport.type":
		return measurementTypeTerms
	case "sensorReport.exception":
		return sensorExceptionTerms
	case "sensorReport.component":
		return componentTerms
	}
	return nil
}

// toTree converts JSON to the element tree. Object members become child
// elements named by their (namespace-expanded) key; array elements become
// repeated elements; siblings are sorted, except inside business
// transaction, source and destination entries where order carries meaning.
func (ns namespaces) toTree(v *jsonValue) (*node, error) {
	switch v.kind {
	case jsonArray:
		n := &node{}
		for _, e := range v.arr {
			c, err := ns.toTree(e)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		if !arrayHasPairName(v) {
			sortNodes(n.children)
		}
		return n, nil
	case jsonObject:
		n := &node{}
		if t := v.member("type"); t != nil {
			if t.kind != jsonString {
				return nil, &Error{Field: "type", Reason: "type is not a string"}
			}
			n.name = t.str
		}
		if t := v.member("#text"); t != nil && t.kind == jsonString {
			n.text = t.str
		}
		for i, k := range v.keys {
			switch k {
			case "#text", "rdfs:comment", "comment":
				continue
			}
			val := v.vals[i]
			c, err := ns.toTree(val)
			if err != nil {
				return nil, err
			}
			name := ns.key(k)
			if val.kind == jsonArray {
				for _, e := range c.children {
					n.children = append(n.children, &node{name: name, text: e.text, children: e.children})
				}
				continue
			}
			c.name = name
			n.children = append(n.children, c)
		}
		if v.member("bizTransaction") == nil && v.member("source") == nil && v.member("destination") == nil {
			sortNodes(n.children)
		}
		return n, nil
	case jsonString:
		return &node{text: ns.value(v.str)}, nil
	case jsonNumber:
		return &node{text: jsonNumberText(v.str)}, nil
	case jsonBool:
		if v.b {
			return &node{text: "true"}, nil
		}
		return &node{text: "false"}, nil
	}
	return &node{text: "None"}, nil // what the reference makes of null
}

func arrayHasPairName(v *jsonValue) bool {
	for _, e := range v.arr {
		if e.kind == jsonString && (e.str == "bizTransaction" || e.str == "source" || e.str == "destination") {
			return true
		}
	}
	return false
}

// sortNodes is a stable insertion-free sort on compareNodes.
func sortNodes(nodes []*node) {
	// sort.SliceStable would do; a local merge keeps the comparison explicit.
	if len(nodes) < 2 {
		return
	}
	mid := len(nodes) / 2
	left := append([]*node(nil), nodes[:mid]...)
	right := append([]*node(nil), nodes[mid:]...)
	sortNodes(left)
	sortNodes(right)
	i, j := 0, 0
	for k := range nodes {
		if j >= len(right) || (i < len(left) && compareNodes(left[i], right[j]) <= 0) {
			nodes[k] = left[i]
			i++
		} else {
			nodes[k] = right[j]
			j++
		}
	}
}

// pairLists hold (type, value) entries.
var pairLists = map[string]bool{"bizTransactionList": true, "sourceList": true, "destinationList": true}

// correctStructure maps the JSON element tree onto the XML one the
// algorithm is defined on: list members get their XML element names (epc,
// quantityElement, sensorElement, ...), childEPCs are wrapped, and business
// transactions, sources and destinations become (type, value) pairs.
func correctStructure(n *node) (*node, error) {
	var rest []*node
	type list struct {
		name  string
		elems []*node
	}
	var lists []*list
	byName := map[string]*list{}
	var childEPCs []*node
	for _, c := range n.children {
		if !c.pair && strings.HasSuffix(c.name, "List") {
			l := byName[c.name]
			if l == nil {
				l = &list{name: c.name}
				byName[c.name] = l
				lists = append(lists, l)
			}
			l.elems = append(l.elems, &node{name: strings.TrimSuffix(c.name, "List"), text: c.text, children: c.children})
			continue
		}
		rest = append(rest, c)
	}
	for _, l := range lists {
		ln := &node{name: l.name, children: l.elems}
		if pairLists[l.name] {
			pairs := make([]*node, len(l.elems))
			for i, e := range l.elems {
				p, err := pairOf(l.name, e)
				if err != nil {
					return nil, err
				}
				pairs[i] = p
			}
			ln.children = pairs
		}
		rest = append(rest, ln)
	}
	kept := rest[:0]
	for _, c := range rest {
		if c.name == "childEPCs" && !c.pair {
			childEPCs = append(childEPCs, &node{name: "epc", text: c.text})
			continue
		}
		kept = append(kept, c)
	}
	rest = kept
	if len(childEPCs) > 0 {
		rest = append(rest, &node{name: "childEPCs", children: childEPCs})
	}
	for i, c := range rest {
		if c.pair || pairLists[c.name] {
			continue
		}
		fixed, err := correctStructure(c)
		if err != nil {
			return nil, err
		}
		rest[i] = fixed
	}
	n.children = rest
	switch {
	case n.name == "inputEPC" || n.name == "outputEPC":
		n.name = "epc"
	case n.name == "inputQuantity" || n.name == "outputQuantity" || n.name == "childQuantity" ||
		(n.name == "quantity" && len(n.children) > 0):
		n.name = "quantityElement"
	}
	return n, nil
}

// pairOf turns a bizTransactionList/sourceList/destinationList entry into a
// (type, value) pair. The type comes first whatever the JSON member order,
// as in the XML serialisation where it is an attribute.
func pairOf(listName string, e *node) (*node, error) {
	valueName := e.name // "bizTransaction", "source", "destination"
	var typ, val *node
	for _, c := range e.children {
		switch {
		case c.name == "type" && typ == nil:
			typ = c
		case c.name == valueName && val == nil:
			val = c
		}
	}
	if val == nil {
		return nil, &Error{Field: listName, Reason: "entry has no " + valueName}
	}
	p := &node{pair: true}
	if typ != nil {
		p.children = append(p.children, typ)
	}
	p.children = append(p.children, val)
	return p, nil
}
