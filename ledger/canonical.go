package ledger

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/gowebpki/jcs"
)

// canonicalJSON is doc in its RFC 8785 (JCS) form, exactly as
// jcs.Transform gives it, errors included.
//
// Every leaf a node indexes is canonicalised to be hashed, and jcs builds
// each value as a string byte by byte: it was a third of the CPU of
// decoding a block (BenchmarkRebuild). The documents the chaincode writes
// are plain JSON (ASCII member names without escapes, strings, integers
// and decimals), for which the canonical form is the document with its
// whitespace removed, its members sorted and its numbers written as
// ECMAScript does: canonicalFast does that in one pass over the bytes.
// Anything outside that subset (escapes other than the short ones, a
// member name with an escape or a non-ASCII byte, duplicate names,
// anything jcs would refuse or read its own way) goes to jcs, so the two
// agree on every input (TestCanonicalJSON, FuzzCanonicalJSON). There is no
// other RFC 8785 implementation among the available modules.
func canonicalJSON(doc []byte) ([]byte, error) {
	if out, ok := canonicalFast(doc); ok {
		return out, nil
	}
	return jcs.Transform(doc)
}

// canonicalFast is canonicalJSON for the subset above; ok is false for
// anything else.
func canonicalFast(doc []byte) (out []byte, ok bool) {
	c := canonicalizer{in: doc, out: make([]byte, 0, len(doc))}
	c.ws()
	if c.i >= len(c.in) {
		return nil, false
	}
	switch c.in[c.i] {
	case '{', '[', '"': // jcs reads top-level scalars its own way
	default:
		return nil, false
	}
	if !c.value() {
		return nil, false
	}
	c.ws()
	if c.i != len(c.in) {
		return nil, false
	}
	return c.out, true
}

type canonicalizer struct {
	in  []byte
	i   int
	out []byte
	// members is scratch space for sorting an object's members.
	members []member
	tmp     []byte
}

// member is an object member written to out: its name (unescaped, equal
// to its bytes in the input) and where the member starts and ends in out.
type member struct {
	name       []byte
	start, end int
}

func (c *canonicalizer) ws() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canonicalizer) value() bool {
	if c.i >= len(c.in) {
		return false
	}
	switch b := c.in[c.i]; {
	case b == '{':
		return c.object()
	case b == '[':
		return c.array()
	case b == '"':
		return c.str()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	case b == '-' || b >= '0' && b <= '9':
		return c.number()
	}
	return false
}

func (c *canonicalizer) literal(lit string) bool {
	if !bytes.HasPrefix(c.in[c.i:], []byte(lit)) {
		return false
	}
	c.i += len(lit)
	c.out = append(c.out, lit...)
	return c.delimited()
}

// delimited reports whether a scalar ends where it should: jcs reads a
// scalar up to the next ',', ']' or '}', skipping whitespace within it.
func (c *canonicalizer) delimited() bool {
	c.ws()
	if c.i >= len(c.in) {
		return false
	}
	switch c.in[c.i] {
	case ',', ']', '}':
		return true
	}
	return false
}

// number writes a JSON number as ECMAScript does (jcs.NumberToJSON of its
// float64 value); integers of up to 15 digits are written as they are.
func (c *canonicalizer) number() bool {
	start := c.i
	if c.in[c.i] == '-' {
		c.i++
	}
	digits := c.i
	for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
		c.i++
	}
	n := c.i - digits
	if n == 0 || n > 1 && c.in[digits] == '0' {
		return false
	}
	plain := true
	if c.i < len(c.in) && c.in[c.i] == '.' {
		plain = false
		c.i++
		f := c.i
		for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
			c.i++
		}
		if c.i == f {
			return false
		}
	}
	if c.i < len(c.in) && (c.in[c.i] == 'e' || c.in[c.i] == 'E') {
		plain = false
		c.i++
		if c.i < len(c.in) && (c.in[c.i] == '+' || c.in[c.i] == '-') {
			c.i++
		}
		e := c.i
		for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
			c.i++
		}
		if c.i == e {
			return false
		}
	}
	tok := c.in[start:c.i]
	if plain && n <= 15 && !(n == 1 && c.in[digits] == '0' && digits > start) { // not -0
		c.out = append(c.out, tok...)
		return c.delimited()
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return false
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return false
	}
	c.out = append(c.out, s...)
	return c.delimited()
}

// str copies a string: jcs writes the characters it unescapes back with
// the same short escapes, and every other byte as it is, except "\/",
// which it writes as "/"; \u escapes are left to jcs.
func (c *canonicalizer) str() bool {
	c.i++ // '"'
	c.out = append(c.out, '"')
	for {
		j := c.i
		for j < len(c.in) && c.in[j] != '"' && c.in[j] != '\\' && c.in[j] >= 0x20 {
			j++
		}
		c.out = append(c.out, c.in[c.i:j]...)
		c.i = j
		if j >= len(c.in) || c.in[j] < 0x20 {
			return false
		}
		if c.in[j] == '"' {
			c.i++
			c.out = append(c.out, '"')
			return true
		}
		if j+1 >= len(c.in) {
			return false
		}
		switch e := c.in[j+1]; e {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			c.out = append(c.out, '\\', e)
		case '/':
			c.out = append(c.out, '/')
		default:
			return false
		}
		c.i += 2
	}
}

func (c *canonicalizer) array() bool {
	c.i++ // '['
	c.out = append(c.out, '[')
	c.ws()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		c.out = append(c.out, ']')
		return true
	}
	for {
		c.ws()
		if !c.value() {
			return false
		}
		c.ws()
		if c.i >= len(c.in) {
			return false
		}
		switch c.in[c.i] {
		case ',':
			c.i++
			c.out = append(c.out, ',')
		case ']':
			c.i++
			c.out = append(c.out, ']')
			return true
		default:
			return false
		}
	}
}

func (c *canonicalizer) object() bool {
	c.i++ // '{'
	c.out = append(c.out, '{')
	c.ws()
	if c.i < len(c.in) && c.in[c.i] == '}' {
		c.i++
		c.out = append(c.out, '}')
		return true
	}
	first := len(c.members) // members of enclosing objects are below
	sorted := true
	for {
		c.ws()
		if c.i >= len(c.in) || c.in[c.i] != '"' {
			return false
		}
		// A name without escapes or non-ASCII bytes sorts by its bytes as
		// by its UTF-16 code units.
		j := c.i + 1
		for j < len(c.in) && c.in[j] != '"' && c.in[j] != '\\' && c.in[j] >= 0x20 && c.in[j] < 0x80 {
			j++
		}
		if j >= len(c.in) || c.in[j] != '"' {
			return false
		}
		m := member{name: c.in[c.i+1 : j], start: len(c.out)}
		if n := len(c.members); n > first {
			switch bytes.Compare(c.members[n-1].name, m.name) {
			case 0:
				return false // a duplicate: jcs refuses it
			case 1:
				sorted = false
			}
		}
		c.out = append(c.out, c.in[c.i:j+1]...)
		c.i = j + 1
		c.ws()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return false
		}
		c.i++
		c.out = append(c.out, ':')
		c.ws()
		if !c.value() {
			return false
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
		c.ws()
		if c.i >= len(c.in) {
			return false
		}
		if c.in[c.i] == ',' {
			c.i++
			c.out = append(c.out, ',')
			continue
		}
		if c.in[c.i] != '}' {
			return false
		}
		c.i++
		break
	}
	ms := c.members[first:]
	if !sorted && !c.sortMembers(ms) {
		return false
	}
	c.members = c.members[:first]
	c.out = append(c.out, '}')
	return true
}

// sortMembers rewrites the members ms, written to out in input order and
// separated by commas, in the order of their names.
func (c *canonicalizer) sortMembers(ms []member) bool {
	start, end := ms[0].start, ms[len(ms)-1].end
	c.tmp = append(c.tmp[:0], c.out[start:end]...)
	// Sorted in place: ms is scratch space, dropped once the object is
	// written. An object has a dozen members or so, which an insertion
	// sort orders without slices.SortFunc's calls through a closure (a
	// twentieth of decoding a block, with the copy it sorted).
	if len(ms) <= 24 {
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && bytes.Compare(ms[j-1].name, ms[j].name) > 0; j-- {
				ms[j-1], ms[j] = ms[j], ms[j-1]
			}
		}
	} else {
		slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.name, b.name) })
	}
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(ms[i-1].name, ms[i].name) {
			return false
		}
	}
	c.out = c.out[:start]
	for i, m := range ms {
		if i > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.tmp[m.start-start:m.end-start]...)
	}
	return true
}
