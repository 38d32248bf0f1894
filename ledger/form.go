package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// # Event forms
//
// The chaincode event has had two forms: complete (the records inline) and
// slim (Written: the records by key, their bytes in the write set). A node
// that does not know a form would decode it into an Event without records
// (encoding/json drops members it does not know) and index the transaction
// as one that wrote nothing: silently, and for good, since the index is
// only ever replayed forward. So a payload with a member this version's
// Event does not have is an event of a form this node does not know
// (CheckForm), and a node stops on it, to be upgraded, rather than skip it.
// Members of the records themselves are not concerned: those are read by
// their schema versions (record.go).

// ErrUnknownForm is a chaincode event payload with a top-level member this
// version does not know: a newer form of the event.
var ErrUnknownForm = errors.New("a chaincode event form this version does not know (upgrade it)")

// eventMembers are the names of Event's members, as encoding/json matches
// them.
var eventMembers = func() []string {
	var out []string
	t := reflect.TypeFor[Event]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}()

// CheckForm returns an error wrapping ErrUnknownForm, naming the member,
// if the payload, a JSON object that decodes into an Event, has a
// top-level member Event does not have. Members are matched as
// encoding/json matches them, ignoring case.
func CheckForm(payload []byte) error {
	// A hand-written scan of the top level: encoding/json has no way to
	// list an object's members without decoding or copying each value, and
	// this runs on every event a node indexes. It reads a payload that
	// encoding/json has already accepted, so it only needs to find the
	// members' names at depth 1, skipping strings and nested values.
	depth := 0
	expectKey := false
	for i := 0; i < len(payload); i++ {
		switch c := payload[i]; c {
		case '{', '[':
			depth++
			expectKey = c == '{' && depth == 1
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			end, escaped := stringEnd(payload, i)
			if end < 0 {
				return fmt.Errorf("chaincode event payload: unterminated string")
			}
			if expectKey {
				name := string(payload[i+1 : end])
				if escaped {
					var ok bool
					if name, ok = unquote(payload[i : end+1]); !ok {
						return fmt.Errorf("chaincode event payload: member name %s", payload[i:end+1])
					}
				}
				if !knownMember(name) {
					return fmt.Errorf("member %q: %w", name, ErrUnknownForm)
				}
				expectKey = false
			}
			i = end
		}
	}
	return nil
}

// stringEnd is the index of the quote that ends the JSON string starting
// at b[start] (-1 if none), and whether it holds an escape.
func stringEnd(b []byte, start int) (int, bool) {
	escaped := false
	for j := start + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, escaped
}

func knownMember(name string) bool {
	for _, m := range eventMembers {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// unquote is the JSON string q decoded.
func unquote(q []byte) (string, bool) {
	var s string
	err := json.Unmarshal(q, &s)
	return s, err == nil
}
