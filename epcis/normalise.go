package epcis

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// This file holds the value canonicalisation of the CBV 2.0 event hash:
// CBV URNs to web URIs, numbers without trailing zeros, timestamps in UTC at
// millisecond precision and EPC URIs / Digital Link URIs to constrained
// canonical GS1 Digital Link URIs. It follows GS1's reference implementation
// (github.com/RalphTro/epcis-event-hash-generator) closely, including its
// regular expressions, because the hash is only useful if it is identical.

// canonize runs a (trimmed) value through all value canonicalisations.
func canonize(s string) string {
	s = webVocabulary(s)
	s = normaliseNumber(s)
	if dl, ok := normaliseGS1URI(s); ok {
		return dl
	}
	return s
}

// webVocabulary replaces CBV 1.x URNs by their CBV 2.0 web URIs.
func webVocabulary(s string) string {
	if !strings.Contains(s, "urn:epcglobal:cbv:") {
		return s
	}
	// Sequential replacement, as the reference does.
	for _, pair := range [][2]string{
		{"urn:epcglobal:cbv:bizstep:", cbvBase + "BizStep-"},
		{"urn:epcglobal:cbv:disp:", cbvBase + "Disp-"},
		{"urn:epcglobal:cbv:btt:", cbvBase + "BTT-"},
		{"urn:epcglobal:cbv:sdt:", cbvBase + "SDT-"},
		{"urn:epcglobal:cbv:er:", cbvBase + "ER-"},
	} {
		s = strings.ReplaceAll(s, pair[0], pair[1])
	}
	return s
}

// pyStrip trims the characters Python's str.strip() treats as whitespace
// (unicode.IsSpace plus the ASCII separators 0x1C-0x1F).
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
			0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
			return true
		}
		return r >= 0x2000 && r <= 0x200a
	})
}

// ---- numbers -------------------------------------------------------------

// decimal is a parsed decimal number: (-1)^neg * coeff * 10^exp, coeff
// without leading zeros ("0" for zero).
type decimal struct {
	neg   bool
	coeff string
	exp   int
}

// parseDecimal accepts the finite numbers Python's decimal.Decimal accepts
// in ASCII: optional sign, digits with optional point, optional exponent.
// Like CPython it ignores underscores anywhere.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	s = strings.ReplaceAll(s, "_", "")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	var digits []byte
	intDigits, fracDigits := 0, 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits = append(digits, s[i])
		intDigits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isDigit(s[i]); i++ {
			digits = append(digits, s[i])
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return d, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		j := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && isDigit(s[i]); i++ {
		}
		if i == start || i-start > 15 {
			return d, false
		}
		e, err := strconv.Atoi(s[j:i])
		if err != nil {
			return d, false
		}
		exp = e
	}
	if i != len(s) {
		return d, false
	}
	d.coeff = strings.TrimLeft(string(digits), "0")
	if d.coeff == "" {
		d.coeff = "0"
	}
	d.exp = exp - fracDigits
	return d, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// normaliseNumber formats numeric text without trailing zeros: "23.0" ->
// "23", "0.50" -> "0.5", "+7" -> "7". It reproduces Python's
// str(Decimal.to_integral_value()) for integral values and
// format(Decimal.normalize(), 'f') otherwise; other text is returned as is.
func normaliseNumber(s string) string {
	d, ok := parseDecimal(s)
	if !ok {
		return s
	}
	sign := ""
	if d.neg {
		sign = "-"
	}
	if d.exp >= 0 {
		if d.exp == 0 {
			return sign + d.coeff
		}
		// Decimal's str() switches to scientific notation for positive
		// exponents ("1E+16"); the reference inherits that.
		mant := d.coeff[:1]
		if len(d.coeff) > 1 {
			mant += "." + d.coeff[1:]
		}
		return sign + mant + "E+" + strconv.Itoa(d.exp+len(d.coeff)-1)
	}
	frac := -d.exp
	if d.coeff == "0" {
		return sign + "0"
	}
	if len(d.coeff) > frac && strings.Trim(d.coeff[len(d.coeff)-frac:], "0") == "" {
		return sign + d.coeff[:len(d.coeff)-frac] // integral, e.g. 23.000
	}
	coeff, exp := roundHalfEven(d.coeff, d.exp, 28)
	if exp < -maxPlainDigits {
		return s // would be a huge string of zeros; leave absurd input alone
	}
	return sign + plain(coeff, exp)
}

// maxPlainDigits bounds the fixed-point expansion of tiny numbers, so that
// "1e-999999999" cannot make a peer allocate a gigabyte.
const maxPlainDigits = 1000

// plain formats coeff*10^exp in fixed-point notation after moving trailing
// zeros of the coefficient into the exponent (Decimal.normalize).
func plain(coeff string, exp int) string {
	for len(coeff) > 1 && coeff[len(coeff)-1] == '0' {
		coeff = coeff[:len(coeff)-1]
		exp++
	}
	if exp >= 0 {
		return coeff + strings.Repeat("0", exp)
	}
	n := -exp
	if len(coeff) > n {
		return coeff[:len(coeff)-n] + "." + coeff[len(coeff)-n:]
	}
	return "0." + strings.Repeat("0", n-len(coeff)) + coeff
}

// roundHalfEven rounds coeff to at most prec significant digits, as the
// default decimal context does in Decimal.normalize().
func roundHalfEven(coeff string, exp, prec int) (string, int) {
	if len(coeff) <= prec {
		return coeff, exp
	}
	drop := len(coeff) - prec
	keep, rest := coeff[:prec], coeff[prec:]
	n, _ := new(big.Int).SetString(keep, 10)
	half := "5" + strings.Repeat("0", drop-1)
	switch {
	case rest > half, rest == half && (keep[len(keep)-1]-'0')%2 == 1:
		n.Add(n, big.NewInt(1))
	}
	return n.String(), exp + drop
}

// pyFloatRepr formats a float64 the way Python's repr() does, which is what
// the reference implementation feeds into its number normalisation.
func pyFloatRepr(f float64) string {
	switch {
	case f > 1.7976931348623157e308:
		return "inf"
	case f < -1.7976931348623157e308:
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	return e
}

// jsonNumberText is Python's str() of json.loads(number): integers stay
// exact, everything with a fraction or exponent goes through float64.
func jsonNumberText(num string) string {
	if !strings.ContainsAny(num, ".eE") {
		if n, ok := new(big.Int).SetString(num, 10); ok {
			return n.String()
		}
	}
	f, _ := strconv.ParseFloat(num, 64) // ±Inf on overflow, like Python
	return pyFloatRepr(f)
}

// ---- timestamps ----------------------------------------------------------

// matchTimestamp is the expression
//
//	^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$
//
// by hand, returning its submatches as FindStringSubmatch does (m[0] the
// whole text) or nil: every event has several timestamps, and the
// expression cost more than the rest of their normalisation.
// TestMatchTimestamp holds it to the expression's answers. Each optional
// part, once started, must complete: the expression would backtrack to
// leave it out, and then what follows could not match either.
func matchTimestamp(s string) []string {
	i := 0
	digits := func(n int) (string, bool) {
		if i+n > len(s) || !allDigits(s[i:i+n]) {
			return "", false
		}
		i += n
		return s[i-n : i], true
	}
	lit := func(set string) bool {
		if i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
			i++
			return true
		}
		return false
	}
	m := make([]string, 9)
	m[0] = s
	var ok bool
	if m[1], ok = digits(4); !ok || !lit("-") {
		return nil
	}
	if m[2], ok = digits(2); !ok || !lit("-") {
		return nil
	}
	if m[3], ok = digits(2); !ok {
		return nil
	}
	if lit("Tt ") {
		if m[4], ok = digits(2); !ok || !lit(":") {
			return nil
		}
		if m[5], ok = digits(2); !ok {
			return nil
		}
		if lit(":") {
			if m[6], ok = digits(2); !ok {
				return nil
			}
			if lit(".,") {
				start := i
				for i < len(s) && isDigit(s[i]) {
					i++
				}
				if i == start {
					return nil
				}
				m[7] = s[start:i]
			}
		}
	}
	if start := i; lit("Zz") {
		m[8] = s[start:i]
	} else if lit("+-") {
		if _, ok := digits(2); !ok {
			return nil
		}
		if colon := lit(":"); colon || i < len(s) {
			if _, ok := digits(2); !ok {
				return nil
			}
		}
		m[8] = s[start:i]
	}
	if i != len(s) {
		return nil
	}
	return m
}

// normaliseTimestamp expresses a timestamp in UTC with millisecond
// precision, rounding half up (2023-02-02T11:04:03.1415Z -> ...03.142Z).
// Text that is not an ISO 8601 date-time is returned unchanged; a timestamp
// without offset is taken as UTC (the reference would use the local zone of
// the machine, which no two peers can agree on).
func normaliseTimestamp(s string) string {
	m := matchTimestamp(s)
	if m == nil {
		return s
	}
	num := func(v string) int {
		n, _ := strconv.Atoi(v)
		return n
	}
	year, month, day := num(m[1]), num(m[2]), num(m[3])
	hour, minute, sec := num(m[4]), num(m[5]), num(m[6])
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return s
	}
	micro := 0
	if frac := m[7]; frac != "" {
		frac = (frac + "00000")[:6] // microsecond precision, extra digits dropped
		micro = num(frac)
	}
	offset := 0
	if z := m[8]; z != "" && z != "Z" && z != "z" {
		h := num(z[1:3])
		mm := 0
		if rest := strings.TrimPrefix(z[3:], ":"); rest != "" {
			mm = num(rest)
		}
		if h > 23 || mm > 59 {
			return s
		}
		offset = h*3600 + mm*60
		if z[0] == '-' {
			offset = -offset
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	t = t.Add(time.Duration((micro+500)/1000) * time.Millisecond)
	return t.Format("2006-01-02T15:04:05.000Z")
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
