package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonValue is a parsed JSON value that keeps object members in document
// order. The event hash needs that order in a few places (it mirrors the
// reference implementation, which works on Python dicts).
type jsonValue struct {
	kind jsonKind
	str  string // string value, or the literal text of a number
	b    bool
	arr  []*jsonValue
	keys []string     // object member names, first occurrence order
	vals []*jsonValue // object member values (last occurrence wins)
}

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// parseJSON parses exactly one JSON value.
func parseJSON(data []byte) (*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the input ended inside a value
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			v := &jsonValue{kind: jsonArray}
			for dec.More() {
				e, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return v, nil
		case '{':
			v := &jsonValue{kind: jsonObject}
			index := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T, not a string", kt)
				}
				e, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if i, dup := index[key]; dup {
					v.vals[i] = e // like a Python dict: last value, first position
					continue
				}
				index[key] = len(v.keys)
				v.keys = append(v.keys, key)
				v.vals = append(v.vals, e)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return v, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &jsonValue{kind: jsonString, str: t}, nil
	case json.Number:
		return &jsonValue{kind: jsonNumber, str: string(t)}, nil
	case bool:
		return &jsonValue{kind: jsonBool, b: t}, nil
	case nil:
		return &jsonValue{kind: jsonNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// member returns the value of an object member, or nil.
func (v *jsonValue) member(key string) *jsonValue {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

// without returns a shallow copy of an object without the given member.
func (v *jsonValue) without(key string) *jsonValue {
	c := &jsonValue{kind: jsonObject}
	for i, k := range v.keys {
		if k != key {
			c.keys = append(c.keys, k)
			c.vals = append(c.vals, v.vals[i])
		}
	}
	return c
}
