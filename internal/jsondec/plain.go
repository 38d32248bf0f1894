package jsondec

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// The plain decoder: a decoder of structs made of strings, numbers,
// booleans, nested structs, pointers to them and slices of them, for JSON
// in the form the chaincode and the index write it: compact, member names
// exactly the fields' names, strings without escapes, no nulls. A stored
// lot record decodes in about 40% of the fast decoder's time.
//
// Hand-written because both general decoders cost about 6 ns a byte on
// these records (reflection on every member) and a cold consumer page
// decodes a lot and a unit: what it accepts is a subset on which
// encoding/json's result is plain to state, and on anything outside it
// (an escape, null, whitespace, a member named otherwise, a map, an
// interface) it declines, and the caller decodes with the general decoder.
// A type with its own UnmarshalJSON gets the value's bytes, as
// encoding/json would call it, unless it is Aliased. FuzzPlain checks that
// where it accepts, encoding/json gives the same value.

// Aliased is a type with its own UnmarshalJSON that the plain decoder
// decodes as another type of the same fields without methods (its alias),
// then finishes. Its UnmarshalJSON must give that value on every input the
// plain decoder accepts for the alias: one with no member the alias lacks.
// The EPCIS types are: their methods collect the members the alias lacks
// as extensions, and otherwise decode the alias and tidy it.
//
// Through the methods (each a scan of the members and the v1 decoder's
// reflection, for every object), a stored event decoded in 2.7 times the
// time (BenchmarkDecodeEvent in package epcis).
type Aliased interface {
	json.Unmarshaler
	// PlainAlias returns the receiver as a pointer to its alias type.
	PlainAlias() any
	// PlainDone finishes a value decoded into its alias, as UnmarshalJSON
	// does after decoding the alias.
	PlainDone()
}

// plainType is how the plain decoder decodes one Go type; nil in the
// cache: it does not.
type plainType struct {
	kind   reflect.Kind
	fields map[string]int // structs: order's index by JSON name
	order  []plainField   // structs: the fields in declaration order
	elem   *plainType     // pointers and slices
	typ    reflect.Type
	// method: a type with its own UnmarshalJSON, called with the value's
	// bytes as encoding/json calls it.
	method bool
	// done: an Aliased struct, decoded as its alias, then finished.
	done bool
}

type plainField struct {
	name  string
	index int // the struct's field
	t     *plainType
}

var (
	plainTypes sync.Map // reflect.Type → *plainType (nil: not plain)
	plainMu    sync.Mutex

	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	aliasedType         = reflect.TypeFor[Aliased]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// plainOf is the plain decoding of t, or nil.
func plainOf(t reflect.Type) *plainType {
	if p, ok := plainTypes.Load(t); ok {
		return p.(*plainType)
	}
	plainMu.Lock()
	defer plainMu.Unlock()
	p := buildPlain(t, map[reflect.Type]*plainType{})
	plainTypes.Store(t, p)
	return p
}

// buildPlain makes t's plain decoding; building holds the structs being
// built, so that a recursive type refers to itself.
func buildPlain(t reflect.Type, building map[reflect.Type]*plainType) *plainType {
	if p, ok := building[t]; ok {
		return p
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(aliasedType) {
		return buildAliased(t, building)
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		return &plainType{kind: t.Kind(), typ: t, method: true}
	}
	if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil // encoding/json's rules for text
	}
	if t == numberType {
		return nil // a string kind that encoding/json reads as a number
	}
	p := &plainType{kind: t.Kind(), typ: t}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return p
	case reflect.Pointer:
		building[t] = p
		// To a struct, or a scalar (EPCIS's optional quantity): not to
		// a pointer, a slice, or what has a method of its own but
		// UnmarshalJSON.
		if p.elem = buildPlain(t.Elem(), building); p.elem == nil || !plainPointee(p.elem) {
			return nil
		}
		return p
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // base64
		}
		building[t] = p
		if p.elem = buildPlain(t.Elem(), building); p.elem == nil {
			return nil
		}
		return p
	case reflect.Struct:
		building[t] = p
		p.fields = map[string]int{}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				return nil // embedded: encoding/json's rules of promotion
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			if !plainName(name) || slices.Contains(strings.Split(opts, ","), "string") {
				return nil
			}
			ft := buildPlain(f.Type, building)
			if ft == nil {
				return nil
			}
			if _, dup := p.fields[name]; dup {
				return nil
			}
			p.fields[name] = len(p.order)
			p.order = append(p.order, plainField{name: name, index: i, t: ft})
		}
		if len(p.order) > 64 {
			return nil // more than seen's bits
		}
		return p
	}
	return nil
}

// plainPointee: a pointer to p is plain.
func plainPointee(p *plainType) bool {
	switch p.kind {
	case reflect.Pointer, reflect.Slice:
		return p.method
	}
	return true
}

// buildAliased makes the plain decoding of an Aliased t: its alias's, on
// t's values, finished by PlainDone. nil (the decoder declines) if the
// alias is not a plain struct of t's layout.
func buildAliased(t reflect.Type, building map[reflect.Type]*plainType) *plainType {
	p := &plainType{kind: reflect.Struct, typ: t, done: true}
	building[t] = p // before the alias's fields, which may refer to t
	a := reflect.TypeOf(reflect.New(t).Interface().(Aliased).PlainAlias())
	if a == nil || a.Kind() != reflect.Pointer || t.Kind() != reflect.Struct ||
		a.Elem() == t || !a.Elem().ConvertibleTo(t) || a.Elem().Kind() != reflect.Struct {
		return nil
	}
	pa := buildPlain(a.Elem(), building)
	if pa == nil || pa.kind != reflect.Struct || pa.method || pa.done {
		return nil
	}
	p.fields, p.order = pa.fields, pa.order
	return p
}

// plainName: a name of ASCII letters, digits and - _ . $ @ : (JSON
// without escapes, and what encoding/json takes as a valid tag).
func plainName(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '$' || c == '@' || c == ':') {
			return false
		}
	}
	return s != ""
}

// plain decodes data into v when v is a non-nil pointer to a zero struct
// of a plain type and data is in the plain form. It reports whether it
// did; when it did not, v is unchanged.
func plain(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	t := rv.Type().Elem()
	if t.Kind() != reflect.Struct {
		return false
	}
	p := plainOf(t)
	if p == nil || p.method {
		return false
	}
	dst := rv.Elem()
	if !zeroMemory(rv.UnsafePointer(), t.Size()) {
		return false // encoding/json merges into what is there
	}
	d := plainDecoder{data: data}
	if !d.value(p, dst) || d.i != len(data) {
		dst.SetZero() // as it was
		return false
	}
	return true
}

// zeroMemory reports whether the n bytes at p are all zero: then the value
// there is its type's zero value. (Some zero values have other bytes, an
// empty string that points somewhere: plain declines those, as it may.)
// reflect.Value.IsZero was a tenth of decoding an EPCIS event.
func zeroMemory(p unsafe.Pointer, n uintptr) bool {
	b := unsafe.Slice((*byte)(p), n)
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 { // one load, any alignment
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

type plainDecoder struct {
	data  []byte
	i     int
	depth int // of nesting: encoding/json refuses more than 10,000
	// strs is a copy of data that the decoded strings share: one
	// allocation instead of one a string.
	strs string
}

// string is data[from:to] as a string, from the shared copy.
func (d *plainDecoder) string(from, to int) string {
	if d.strs == "" {
		d.strs = string(d.data)
	}
	return d.strs[from:to]
}

// value decodes the value at d.i into v, of type p.
func (d *plainDecoder) value(p *plainType, v reflect.Value) bool {
	if d.depth++; d.depth > maxPlainDepth {
		return false
	}
	ok := d.decode(p, v)
	d.depth--
	return ok
}

func (d *plainDecoder) decode(p *plainType, v reflect.Value) bool {
	if p.method {
		// encoding/json sets a pointer to nil on null (and calls the
		// method with "null" otherwise): left to it.
		start := d.i
		if d.lit("null") || !d.skip() {
			return false
		}
		u := v.Addr().Interface().(json.Unmarshaler)
		return u.UnmarshalJSON(d.data[start:d.i:d.i]) == nil
	}
	switch p.kind {
	case reflect.String:
		start := d.i + 1
		if _, ok := d.str(); !ok {
			return false
		}
		v.SetString(d.string(start, d.i-1))
		return true
	case reflect.Bool:
		switch {
		case d.lit("true"):
			v.SetBool(true)
		case d.lit("false"):
			v.SetBool(false)
		default:
			return false
		}
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := d.number()
		if !ok {
			return false
		}
		x, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v.OverflowInt(x) {
			return false
		}
		v.SetInt(x)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := d.number()
		if !ok {
			return false
		}
		x, err := strconv.ParseUint(n, 10, 64)
		if err != nil || v.OverflowUint(x) {
			return false
		}
		v.SetUint(x)
		return true
	case reflect.Float32, reflect.Float64:
		n, ok := d.number()
		if !ok {
			return false
		}
		x, err := strconv.ParseFloat(n, v.Type().Bits())
		if err != nil || v.OverflowFloat(x) {
			return false
		}
		v.SetFloat(x)
		return true
	case reflect.Pointer:
		e := reflect.New(p.typ.Elem())
		if !d.value(p.elem, e.Elem()) {
			return false
		}
		v.Set(e)
		return true
	case reflect.Slice:
		if !d.byte('[') {
			return false
		}
		s := reflect.MakeSlice(p.typ, 0, 4)
		if !d.byte(']') {
			for {
				s = reflect.Append(s, reflect.Zero(p.typ.Elem()))
				if !d.value(p.elem, s.Index(s.Len()-1)) {
					return false
				}
				if d.byte(']') {
					break
				}
				if !d.byte(',') {
					return false
				}
			}
		}
		v.Set(s)
		return true
	case reflect.Struct:
		if !d.structValue(p, v) {
			return false
		}
		if p.done {
			v.Addr().Interface().(Aliased).PlainDone()
		}
		return true
	}
	return false
}

// structValue decodes the object at d.i into v, a struct of type p.
func (d *plainDecoder) structValue(p *plainType, v reflect.Value) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	var seen uint64 // the fields decoded
	next := 0       // the field expected next: members come in order
	for {
		name, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		k := next
		if k >= len(p.order) || p.order[k].name != string(name) {
			if k, ok = p.fields[string(name)]; !ok { // not copied: a map index
				return false // unknown, or named otherwise: the general decoder's rules
			}
		}
		next = k + 1
		f := p.order[k]
		if seen&(1<<k) != 0 && (f.t.kind == reflect.Pointer || f.t.kind == reflect.Struct) {
			return false // a repeated member: encoding/json merges
		}
		seen |= 1 << k
		if !d.value(f.t, v.Field(f.index)) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *plainDecoder) byte(c byte) bool {
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *plainDecoder) lit(s string) bool {
	if len(d.data)-d.i >= len(s) && string(d.data[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// str reads a string without escapes or control characters, of valid
// UTF-8: its bytes are its value.
func (d *plainDecoder) str() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	b, start := d.data, d.i
	ascii := true
	for i := start; i < len(b); i++ {
		if !strStop[b[i]] {
			continue
		}
		switch c := b[i]; {
		case c == '"':
			s := b[start:i]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			d.i = i + 1
			return s, true
		case c >= 0x80:
			ascii = false
		default: // an escape or a control character
			return nil, false
		}
	}
	return nil, false
}

// strStop are the bytes str looks at: the quote, the backslash, control
// characters and non-ASCII.
var strStop = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80
	}
	return t
}()

// maxPlainDepth bounds the nesting the plain decoder follows, well within
// encoding/json's limit.
const maxPlainDepth = 1000

// skip passes over one JSON value without whitespace, checking its syntax
// as encoding/json does before it decodes: strings may hold escapes and
// any bytes from 0x80 (encoding/json passes invalid UTF-8 on to a
// method), not control characters.
func (d *plainDecoder) skip() bool {
	if d.depth++; d.depth > maxPlainDepth {
		return false
	}
	ok := d.skipValue()
	d.depth--
	return ok
}

// plainValid reports whether src is one JSON value without whitespace
// and nothing after it, by skip's check.
func plainValid(src []byte) bool {
	d := plainDecoder{data: src}
	return d.skip() && d.i == len(src)
}

func (d *plainDecoder) skipValue() bool {
	if d.i >= len(d.data) {
		return false
	}
	switch d.data[d.i] {
	case '"':
		return d.skipStr()
	case '{':
		d.i++
		if d.byte('}') {
			return true
		}
		for {
			if !d.skipStr() || !d.byte(':') || !d.skip() {
				return false
			}
			if d.byte('}') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case '[':
		d.i++
		if d.byte(']') {
			return true
		}
		for {
			if !d.skip() {
				return false
			}
			if d.byte(']') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case 't':
		return d.lit("true")
	case 'f':
		return d.lit("false")
	case 'n':
		return d.lit("null")
	}
	return d.skipNumber()
}

// skipStr passes over a string, escapes included.
func (d *plainDecoder) skipStr() bool {
	if !d.byte('"') {
		return false
	}
	b := d.data
	for i := d.i; i < len(b); i++ {
		if !strStop[b[i]] {
			continue
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return true
		case c >= 0x80:
		case c == '\\':
			i++
			if i >= len(b) {
				return false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return false
				}
				for _, h := range b[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
	return false
}

// number reads a JSON number (RFC 8259's grammar) and returns its text.
func (d *plainDecoder) number() (string, bool) {
	start := d.i
	if !d.skipNumber() {
		return "", false
	}
	return string(d.data[start:d.i]), true
}

// skipNumber passes over a JSON number.
func (d *plainDecoder) skipNumber() bool {
	b := d.data
	i := d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	d.i = i
	return true
}
