package chaincode

// Interim minimal GS1 support, replaced by the shared gs1 and
// gs1/digitallink packages when they land (see ids.go).

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

const localBase = "https://id.gs1.org"

func localAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// localCheckDigit validates the GS1 mod-10 check digit of s.
func localCheckDigit(kind, s string, lengths ...int) error {
	ok := false
	for _, n := range lengths {
		ok = ok || len(s) == n
	}
	if !ok || !localAllDigits(s) {
		return fmt.Errorf("%s must be %v digits", kind, lengths)
	}
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	want := (10 - sum%10) % 10
	if got := int(s[len(s)-1] - '0'); got != want {
		return fmt.Errorf("bad %s check digit %d, want %d", kind, got, want)
	}
	return nil
}

func localValidateGTIN(s string) (string, error) {
	if err := localCheckDigit("GTIN", s, 8, 12, 13, 14); err != nil {
		return "", err
	}
	return strings.Repeat("0", 14-len(s)) + s, nil
}

func localValidateGLN(s string) (string, error) { return s, localCheckDigit("GLN", s, 13) }

func localValidateSSCC(s string) (string, error) { return s, localCheckDigit("SSCC", s, 18) }

// localCheckAI82 checks a GS1 AI value of character set 82, 1 to 20 long.
func localCheckAI82(s string) error {
	if len(s) == 0 || len(s) > 20 {
		return fmt.Errorf("must be 1 to 20 characters")
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune(`!"%&'()*+,-./:;<=>?_`, c)) {
			return fmt.Errorf("character %q is not in GS1 character set 82", c)
		}
	}
	return nil
}

func localEscape(s string) string { return url.PathEscape(s) }

type localLink struct {
	GTIN, Lot, Serial, SSCC, GLN, GLNExtension string
}

func localParse(uri string) (localLink, error) {
	var l localLink
	u, err := url.Parse(uri)
	if err != nil {
		return l, errors.New("not a URI")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return l, errors.New("not an http(s) URI")
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	i := 0
	for i < len(segs) && segs[i] != "01" && segs[i] != "00" && segs[i] != "414" {
		i++
	}
	if i == len(segs) {
		return l, errors.New("no primary key (01, 00 or 414) in the path")
	}
	rest := segs[i:]
	if len(rest)%2 != 0 {
		return l, errors.New("path has an AI without a value")
	}
	vals := map[string]string{}
	var order []string
	for j := 0; j < len(rest); j += 2 {
		v, err := url.PathUnescape(rest[j+1])
		if err != nil {
			return l, fmt.Errorf("bad percent-encoding in %q", rest[j+1])
		}
		if _, dup := vals[rest[j]]; dup {
			return l, fmt.Errorf("AI %s repeated", rest[j])
		}
		vals[rest[j]] = v
		order = append(order, rest[j])
	}
	allowed := map[string][]string{"01": {"10", "21"}, "00": {}, "414": {"254"}}[order[0]]
	for _, ai := range order[1:] {
		ok := false
		for _, a := range allowed {
			ok = ok || a == ai
		}
		if !ok {
			return l, fmt.Errorf("AI %s cannot qualify AI %s", ai, order[0])
		}
	}
	switch order[0] {
	case "01":
		if l.GTIN, err = localValidateGTIN(vals["01"]); err != nil {
			return l, err
		}
		if len(order) == 3 && order[1] != "10" {
			return l, errors.New("AI 10 must precede AI 21")
		}
		l.Lot, l.Serial = vals["10"], vals["21"]
		for _, v := range []string{l.Lot, l.Serial} {
			if _, set := vals["10"]; set && v != "" {
				if err := localCheckAI82(v); err != nil {
					return l, err
				}
			}
		}
		if _, set := vals["21"]; set {
			if err := localCheckAI82(l.Serial); err != nil {
				return l, err
			}
		}
	case "00":
		if l.SSCC, err = localValidateSSCC(vals["00"]); err != nil {
			return l, err
		}
	case "414":
		if l.GLN, err = localValidateGLN(vals["414"]); err != nil {
			return l, err
		}
		if ext, set := vals["254"]; set {
			if err := localCheckAI82(ext); err != nil {
				return l, err
			}
			l.GLNExtension = ext
		}
	}
	return l, nil
}
