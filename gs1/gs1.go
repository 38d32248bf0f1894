// Package gs1 validates GS1 identification keys (GTIN, GLN, SSCC) and the
// GS1 AI encodable character set 82 used by lot and serial numbers.
//
// Everything here is pure and deterministic: it runs inside chaincode, where
// every peer must reach the same verdict on the same input.
package gs1

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind classifies what is wrong with a key or field value.
type Kind int

const (
	// KindLength: the value has a length the key type does not allow.
	KindLength Kind = iota + 1
	// KindCharacter: the value contains a character that is not allowed.
	KindCharacter
	// KindCheckDigit: the final digit does not match the mod-10 check digit.
	KindCheckDigit
)

func (k Kind) String() string {
	switch k {
	case KindLength:
		return "length"
	case KindCharacter:
		return "character"
	case KindCheckDigit:
		return "check digit"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error reports an invalid GS1 key or field value. Use errors.As to get at
// it from wrapped errors.
type Error struct {
	Kind   Kind
	Field  string // "GTIN", "GLN", "SSCC", "lot", ...
	Value  string // the offending input, unmodified
	Reason string // e.g. "has check digit 5, expected 2"
}

func (e *Error) Error() string {
	v := e.Value
	if !AllDigits(v) {
		v = strconv.Quote(v)
	}
	return e.Field + " " + v + " " + e.Reason
}

// CheckDigit returns the GS1 mod-10 check digit for digits, the key without
// its check digit. Weights alternate 3,1,3,... starting from the rightmost
// digit (GS1 General Specifications §7.9.1).
func CheckDigit(digits string) (int, error) {
	if digits == "" {
		return 0, &Error{Kind: KindLength, Field: "key", Value: digits, Reason: "is empty"}
	}
	if i := firstNonDigit(digits); i >= 0 {
		return 0, &Error{Kind: KindCharacter, Field: "key", Value: digits,
			Reason: fmt.Sprintf("has non-digit %q at position %d", digits[i], i+1)}
	}
	return checkDigit(digits), nil
}

func checkDigit(digits string) int {
	sum := 0
	weight := 3
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * weight
		weight = 4 - weight // 3 <-> 1
	}
	return (10 - sum%10) % 10
}

// ValidateGTIN checks a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 and returns it
// as a 14-digit GTIN (left-padded with zeros), the form GS1 Digital Link and
// EPCIS use.
func ValidateGTIN(s string) (string, error) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", &Error{Kind: KindLength, Field: "GTIN", Value: s,
			Reason: fmt.Sprintf("has %d digits, want 8, 12, 13 or 14", len(s))}
	}
	if err := validateKey("GTIN", s); err != nil {
		return "", err
	}
	return zeros[:14-len(s)] + s, nil
}

// ValidateGLN checks a 13-digit Global Location Number.
func ValidateGLN(s string) (string, error) {
	return validateFixed("GLN", s, 13)
}

// ValidateSSCC checks an 18-digit Serial Shipping Container Code.
func ValidateSSCC(s string) (string, error) {
	return validateFixed("SSCC", s, 18)
}

const zeros = "00000000000000"

func validateFixed(field, s string, n int) (string, error) {
	if len(s) != n {
		return "", &Error{Kind: KindLength, Field: field, Value: s,
			Reason: fmt.Sprintf("has %d digits, want %d", len(s), n)}
	}
	if err := validateKey(field, s); err != nil {
		return "", err
	}
	return s, nil
}

func validateKey(field, s string) error {
	if i := firstNonDigit(s); i >= 0 {
		return &Error{Kind: KindCharacter, Field: field, Value: s,
			Reason: fmt.Sprintf("has non-digit %q at position %d", s[i], i+1)}
	}
	body, got := s[:len(s)-1], int(s[len(s)-1]-'0')
	if want := checkDigit(body); got != want {
		return &Error{Kind: KindCheckDigit, Field: field, Value: s,
			Reason: fmt.Sprintf("has check digit %d, expected %d", got, want)}
	}
	return nil
}

func firstNonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

// AllDigits reports whether s is not empty and has only ASCII digits: the
// shape of a bare key (GTIN, GLN, SSCC) before its length and check digit
// are looked at.
func AllDigits(s string) bool { return s != "" && firstNonDigit(s) < 0 }

// IsCSet82 reports whether c belongs to GS1 AI encodable character set 82
// (GS1 General Specifications, figure 7.11-1).
func IsCSet82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	switch c {
	case '!', '"', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
		':', ';', '<', '=', '>', '?', '_':
		return true
	}
	return false
}

// ValidateCSet82 checks that value is 1..maxLen characters of character set
// 82, as required for AI 10 (batch/lot), 21 (serial), 22 (CPV) and 254 (GLN
// extension). field names the value in errors ("lot", "serial", ...).
func ValidateCSet82(field, value string, maxLen int) error {
	if value == "" {
		return &Error{Kind: KindLength, Field: field, Value: value, Reason: "is empty"}
	}
	if len(value) > maxLen {
		return &Error{Kind: KindLength, Field: field, Value: value,
			Reason: fmt.Sprintf("has %d characters, at most %d allowed", len(value), maxLen)}
	}
	for i := 0; i < len(value); i++ {
		if !IsCSet82(value[i]) {
			r, _ := utf8.DecodeRuneInString(value[i:])
			return &Error{Kind: KindCharacter, Field: field, Value: value,
				Reason: fmt.Sprintf("has character %q at position %d, not in GS1 character set 82", r, i+1)}
		}
	}
	return nil
}
