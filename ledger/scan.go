package ledger

import (
	"encoding/json"
	"strings"
)

// scanRecordLists is json.Unmarshal(payload, &raw) for a payload that
// encoding/json has already decoded into an Event (so it is valid JSON and
// its record lists are arrays or null), without a second full pass of
// encoding/json over it: a hand-written walk of the top-level object that
// only splits the six record lists into their elements (sub-slices of
// payload) and skips every other member's value. Rebuilding an index does
// this for every payload of the ledger. ok is false, and the caller uses
// encoding/json, on anything it does not read the way encoding/json does
// without thinking: a member name with an escape or a byte outside ASCII
// (encoding/json folds case by Unicode rules), or a list that is neither an
// array nor null.
func scanRecordLists(p []byte) (raw payloadRecords, ok bool) {
	i := skipWS(p, 0)
	if i >= len(p) || p[i] != '{' {
		return raw, false
	}
	i = skipWS(p, i+1)
	if i < len(p) && p[i] == '}' {
		return raw, skipWS(p, i+1) == len(p)
	}
	for {
		if i >= len(p) || p[i] != '"' {
			return raw, false
		}
		end, escaped := stringEnd(p, i)
		if end < 0 || escaped {
			return raw, false
		}
		name := p[i+1 : end]
		for _, c := range name {
			if c >= 0x80 {
				return raw, false
			}
		}
		i = skipWS(p, end+1)
		if i >= len(p) || p[i] != ':' {
			return raw, false
		}
		i = skipWS(p, i+1)
		if list := raw.list(name); list != nil {
			elems, next, ok := scanArray(p, i)
			if !ok {
				return raw, false
			}
			*list, i = elems, next // a list given twice: the last, as encoding/json
		} else if i = skipValue(p, i); i < 0 {
			return raw, false
		}
		i = skipWS(p, i)
		switch {
		case i < len(p) && p[i] == ',':
			i = skipWS(p, i+1)
		case i < len(p) && p[i] == '}':
			return raw, skipWS(p, i+1) == len(p)
		default:
			return raw, false
		}
	}
}

// list is the record list of raw that encoding/json decodes a member of
// that name (ASCII) into, or nil: names match ignoring case.
func (raw *payloadRecords) list(name []byte) *[]json.RawMessage {
	for _, l := range [...]struct {
		name string
		list *[]json.RawMessage
	}{{"products", &raw.Products}, {"lots", &raw.Lots}, {"labSigners", &raw.LabSigners}, {"inspections", &raw.Inspections},
		{"claims", &raw.Claims}, {"serviceChains", &raw.Service}} {
		if asciiEqualFold(l.name, name) {
			return l.list
		}
	}
	return nil
}

// scanArray splits the array (or null) at p[i] into its elements, and
// returns the index after it.
func scanArray(p []byte, i int) ([]json.RawMessage, int, bool) {
	if strings.HasPrefix(string(p[i:min(i+4, len(p))]), "null") {
		return nil, i + 4, true
	}
	if p[i] != '[' {
		return nil, 0, false
	}
	out := []json.RawMessage{}
	i = skipWS(p, i+1)
	if i < len(p) && p[i] == ']' {
		return out, i + 1, true
	}
	for {
		end := skipValue(p, i)
		if end < 0 {
			return nil, 0, false
		}
		out = append(out, p[i:end:end])
		i = skipWS(p, end)
		switch {
		case i < len(p) && p[i] == ',':
			i = skipWS(p, i+1)
		case i < len(p) && p[i] == ']':
			return out, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// skipValue returns the index after the JSON value at p[i] (-1 if it
// does not end): p is valid JSON, so a value ends where its brackets
// close, or at the first delimiter for a literal.
func skipValue(p []byte, i int) int {
	if i >= len(p) {
		return -1
	}
	switch p[i] {
	case '"':
		end, _ := stringEnd(p, i)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{', '[':
		depth := 0
		for ; i < len(p); i++ {
			switch p[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				end, _ := stringEnd(p, i)
				if end < 0 {
					return -1
				}
				i = end
			}
		}
		return -1
	}
	for ; i < len(p); i++ {
		switch p[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

func skipWS(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

func asciiEqualFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := range len(b) {
		x, y := s[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
