package epcis

import (
	"regexp"
	"strconv"
	"strings"
)

// normaliseGS1URI converts EPC URIs, EPC class URIs, EPC pattern URIs and
// GS1 Digital Link URIs to the constrained canonical GS1 Digital Link URI
// of CBV 2.0 §8.9 rules 17 and 18: domain id.gs1.org, no query string, only
// the finest identification level. It is a line-by-line port of
// dl_normaliser.py of the reference implementation, quirks included (it
// slices by fixed offsets after a regular expression has vouched for the
// layout), because any difference would change hashes.
func normaliseGS1URI(uri string) (string, bool) {
	p := strings.IndexByte(uri, '.')
	if p < 0 {
		return "", false
	}
	const dl = "https://id.gs1.org/"
	cp := func(from int) string { return pySlice(uri, from, p) }
	// ref returns the n characters after the first dot.
	ref := func(n int) string { return pySlice(uri, p+1, p+1+n) }
	gtinOf := func(c string) string { // indicator digit moves to the front
		item := ref(13 - len(c))
		return pySlice(item, 0, 1) + c + pySlice(item, 1, len(item))
	}
	rest := func(from int) string { return pySlice(uri, from, len(uri)) }

	// Each EPC pattern starts with its scheme; matching only the one that
	// can apply keeps hashing fast without changing the result.
	scheme := epcScheme(uri)
	switch {
	case scheme == "urn:epc:id:sgtin:" && reSGTIN.MatchString(uri):
		g := gtinOf(cp(17))
		return dl + "01/" + g + checkDigit(g) + "/21/" + webURIPercentEncode(rest(32)), true
	case scheme == "urn:epc:id:sscc:" && reSSCC.MatchString(uri):
		c := cp(16)
		raw := pySlice(uri, p+1, p+2) + c + rest(p+2)
		return dl + "00/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:id:sgln:" && reSGLN.MatchString(uri):
		c := cp(16)
		gln := c + ref(12-len(c))
		if ext := rest(30); ext != "0" {
			return dl + "414/" + gln + checkDigit(gln) + "/254/" + webURIPercentEncode(ext), true
		}
		return dl + "414/" + gln + checkDigit(gln), true
	case scheme == "urn:epc:id:grai:" && reGRAI.MatchString(uri):
		c := cp(16)
		raw := "0" + c + ref(12-len(c))
		return dl + "8003/" + raw + checkDigit(raw) + webURIPercentEncode(rest(30)), true
	case scheme == "urn:epc:id:giai:" && matchCPVar(uri[len(scheme):], 30):
		return dl + "8004/" + cp(16) + webURIPercentEncode(rest(p+1)), true
	case scheme == "urn:epc:id:gsrn:" && reGSRN.MatchString(uri):
		raw := cp(16) + rest(p+1)
		return dl + "8018/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:id:gsrnp:" && reGSRNP.MatchString(uri):
		raw := cp(17) + rest(p+1)
		return dl + "8017/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:id:gdti:" && reGDTI.MatchString(uri):
		c := cp(16)
		raw := c + ref(12-len(c))
		return dl + "253/" + raw + checkDigit(raw) + webURIPercentEncode(rest(30)), true
	case scheme == "urn:epc:id:cpi:" && reCPI.MatchString(uri):
		sep := strings.LastIndexByte(uri, '.')
		raw := cp(15) + pySlice(uri, p+1, sep)
		return dl + "8010/" + webURIPercentEncode(raw) + "/8011/" + rest(sep+1), true
	case scheme == "urn:epc:id:sgcn:" && reSGCN.MatchString(uri):
		c := cp(16)
		raw := c + ref(12-len(c))
		return dl + "255/" + raw + checkDigit(raw) + rest(30), true
	case scheme == "urn:epc:id:ginc:" && matchCPVar(uri[len(scheme):], 30):
		return dl + "401/" + cp(16) + webURIPercentEncode(rest(p+1)), true
	case scheme == "urn:epc:id:gsin:" && reGSIN.MatchString(uri):
		raw := cp(16) + rest(p+1)
		return dl + "402/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:id:itip:" && reITIP.MatchString(uri):
		g := gtinOf(cp(16))
		return dl + "8006/" + g + checkDigit(g) + pySlice(uri, 31, 33) + pySlice(uri, 34, 36) +
			"/21/" + webURIPercentEncode(rest(37)), true
	case scheme == "urn:epc:id:upui:" && reUPUI.MatchString(uri):
		g := gtinOf(cp(16))
		return dl + "01/" + g + checkDigit(g) + "/235/" + webURIPercentEncode(rest(31)), true
	case scheme == "urn:epc:id:pgln:" && rePGLN.MatchString(uri):
		c := cp(16)
		raw := c + ref(12-len(c))
		return dl + "417/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:class:lgtin:" && reLGTIN.MatchString(uri):
		g := gtinOf(cp(20))
		return dl + "01/" + g + checkDigit(g) + "/10/" + webURIPercentEncode(rest(35)), true
	case scheme == "urn:epc:idpat:sgtin:" && rePatSGTN.MatchString(uri):
		g := gtinOf(cp(20))
		return dl + "01/" + g + checkDigit(g), true
	case scheme == "urn:epc:idpat:grai:" && rePatGRAI.MatchString(uri):
		c := cp(19)
		raw := "0" + c + ref(12-len(c))
		return dl + "8003/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:idpat:gdti:" && rePatGDTI.MatchString(uri):
		c := cp(19)
		raw := c + ref(12-len(c))
		return dl + "253/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:idpat:sgcn:" && rePatSGCN.MatchString(uri):
		c := cp(19)
		raw := c + ref(12-len(c))
		return dl + "255/" + raw + checkDigit(raw), true
	case scheme == "urn:epc:idpat:cpi:" && rePatCPI.MatchString(uri):
		sep := strings.LastIndexByte(uri, '.')
		return dl + "8010/" + webURIPercentEncode(cp(18)+pySlice(uri, p+1, sep)), true
	case scheme == "urn:epc:idpat:itip:" && rePatITIP.MatchString(uri):
		g := gtinOf(cp(19))
		return dl + "8006/" + g + checkDigit(g) + pySlice(uri, 34, 36) + pySlice(uri, 37, 39), true
	case scheme == "urn:epc:idpat:upui:" && rePatUPUI.MatchString(uri):
		g := gtinOf(cp(19))
		return dl + "01/" + g + checkDigit(g), true
	}
	if !strings.HasPrefix(uri, "http") {
		return "", false
	}
	return normaliseDigitalLink(uri)
}

// epcScheme returns "urn:epc:id:sgtin:" for "urn:epc:id:sgtin:...", i.e.
// everything up to the fourth colon, or "" for anything else.
func epcScheme(uri string) string {
	if !strings.HasPrefix(uri, "urn:epc:") {
		return ""
	}
	n := 0
	for i := 0; i < len(uri); i++ {
		if uri[i] == ':' {
			if n++; n == 4 {
				return uri[:i+1]
			}
		}
	}
	return ""
}

var (
	reDLAny       = regexp.MustCompile(`^https?:(\/\/((([^\/?#]*)@)?([^\/?#:]*)(:([^\/?#]*))?))?((([^?#]*)(\/(01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)\/)(\d{4}[^\/]+)(\/[^/]+\/[^/]+)?[/]?(\?([^?\n]*))?(#([^\n]*))?)|(\/[A-Za-z_-]{10}$))`)
	reDLCanonical = regexp.MustCompile(`^(?:https:\/\/id.gs1.org\/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)\/(\d{4}[^\/]+)(\/[^\/]+\/[^\/]+)?[\/]?(\?([^?\n]*))?(#([^\n]*))?|(\/[A-Za-z_-]{10}$))`)
	reDLGTIN14    = regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{14}`)
	reDLGTIN13    = regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{13}`)
	reDLGTIN12    = regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{12}`)
	reDLGTIN8     = regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{8}`)
)

// x is the character class of lot/serial values the reference accepts in
// its output (a subset of set 82 without characters needing escapes).
const x = `[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]`

var (
	reDLCPVLast = []*regexp.Regexp{
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/\d{18}\/22\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{14}\/22\/(` + x + `{0,20})$`),
	}
	reDLCPVMid = []*regexp.Regexp{
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/\d{18}\/22\/([\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/\d{14}\/22\/([\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{0,20})$`),
	}
	reDLLotSerial = []*regexp.Regexp{
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/\d{18}\/10\/(` + x + `{0,20})\/21\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/(\d{14})\/10\/(` + x + `{0,20})\/21\/(` + x + `{0,20})$`),
	}
	reDLValid = []*regexp.Regexp{
		regexp.MustCompile(`^https:\/\/id.gs1.org\/00\/(\d{18})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/(\d{14})\/21\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/(\d{14})\/10\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/(\d{14})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/01\/(\d{14})\/235\/(` + x + `{0,28})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/253\/(\d{13})(` + x + `{0,17})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/255\/(\d{13})(\d{0,12})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/401\/(` + x + `{0,30})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/402\/(\d{17})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/414\/(\d{13})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/414\/(\d{13})\/254\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/417\/(\d{13})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8003\/(\d{14})(` + x + `{0,16})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8004\/(` + x + `{0,30})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/(\d{18})\/21\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/(\d{18})\/10\/(` + x + `{0,20})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8006\/(\d{18})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})\/8011/(\d{0,12})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8017\/(\d{18})$`),
		regexp.MustCompile(`^https:\/\/id.gs1.org\/8018\/(\d{18})$`),
	}
)

var dlShortNames = [][2]string{
	{"/gtin/", "/01/"}, {"/itip/", "/8006/"}, {"/cpid/", "/8010/"}, {"/gln/", "/414/"},
	{"/party/", "/417/"}, {"/gsrnp/", "/8017/"}, {"/gsrn/", "/8018/"}, {"/gcn/", "/255/"},
	{"/sscc/", "/00/"}, {"/gdti/", "/253/"}, {"/ginc/", "/401/"}, {"/gsin/", "/402/"},
	{"/grai/", "/8003/"}, {"/giai/", "/8004/"}, {"/cpv/", "/22/"}, {"/lot/", "/10/"},
	{"/ser/", "/21/"},
}

// dlPrimaryKeys in the order the reference looks for them when moving a
// link from a custom domain to id.gs1.org.
var dlPrimaryKeys = []string{"/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/",
	"/417/", "/8003/", "/8004/", "/8006/", "/8010/", "/8017/", "/8018/"}

// normaliseDigitalLink is the reference's Digital Link normaliser
// (normaliseDigitalLinkRE) with two exact shortcuts in front: a link that
// is already in constrained canonical form comes back unchanged, and an
// http(s) URI that no step of the reference could turn into one is refused
// at once. The reference's expressions backtrack: they were most of the
// chaincode's cost of hashing a hand-off, whose every vocabulary URI
// (https://ref.gs1.org/cbv/…) and identifier is tried. FuzzDigitalLinkShortcuts
// holds both shortcuts to the reference's answer.
func normaliseDigitalLink(uri string) (string, bool) {
	if canonicalDigitalLink(uri) {
		return uri, true
	}
	if !mayBeDigitalLink(uri) {
		return "", false
	}
	return normaliseDigitalLinkRE(uri)
}

// canonicalDigitalLink recognises the links the chaincode itself writes
// (a GTIN with a lot or serial, a GLN with or without extension, an SSCC)
// in the exact form reDLValid accepts; none of the reference's rewriting
// steps changes them: they have no query, no short names, the canonical
// domain, a 14-digit GTIN, no CPV and no lot beside a serial.
func canonicalDigitalLink(uri string) bool {
	rest, ok := strings.CutPrefix(uri, "https://id.gs1.org/")
	if !ok {
		return false
	}
	key, rest, _ := strings.Cut(rest, "/")
	switch key {
	case "00":
		return len(rest) == 18 && allDigits(rest)
	case "01":
		if len(rest) < 14 || !allDigits(rest[:14]) {
			return false
		}
		rest = rest[14:]
		if rest == "" {
			return true
		}
		v, ok := strings.CutPrefix(rest, "/10/")
		if !ok {
			v, ok = strings.CutPrefix(rest, "/21/")
		}
		return ok && dlValue(v, 20)
	case "414":
		if len(rest) < 13 || !allDigits(rest[:13]) {
			return false
		}
		if rest = rest[13:]; rest == "" {
			return true
		}
		v, ok := strings.CutPrefix(rest, "/254/")
		return ok && dlValue(v, 20)
	}
	return false
}

// dlValue reports whether v is at most max characters of the class x,
// without "?" (which would start a query the reference strips).
func dlValue(v string, max int) bool {
	if len(v) > max {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"', c == '\'', c == '-', c == '.', c >= '0' && c <= '9', c >= ';' && c <= '>',
			c >= 'A' && c <= 'Z', c == '_', c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// mayBeDigitalLink is false for a URI the reference certainly refuses:
// after its query is cut and its short names replaced, it neither starts
// as a canonical link does ("https://id", then what reDLCanonical and
// reDLValid match with their unescaped dots) nor holds a primary key the
// reference could move to the canonical domain. Every later step and the
// final check are anchored to that start, so such a URI is never valid.
func mayBeDigitalLink(uri string) bool {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	for _, r := range dlShortNames {
		uri = strings.ReplaceAll(uri, r[0], r[1])
	}
	if strings.HasPrefix(uri, "https://id") {
		return true
	}
	for _, k := range dlPrimaryKeys {
		if strings.Contains(uri, k) {
			return true
		}
	}
	return false
}

// normaliseDigitalLinkRE is the reference's normaliser, step by step.
func normaliseDigitalLinkRE(uri string) (string, bool) {
	if !reDLAny.MatchString(uri) {
		return "", false
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	for _, r := range dlShortNames {
		uri = strings.ReplaceAll(uri, r[0], r[1])
	}
	if !reDLCanonical.MatchString(uri) {
		for _, k := range dlPrimaryKeys {
			if i := strings.Index(uri, k); i >= 0 {
				uri = "https://id.gs1.org" + uri[i:]
				break
			}
		}
	}
	if !reDLGTIN14.MatchString(uri) {
		switch {
		case reDLGTIN13.MatchString(uri):
			uri = strings.ReplaceAll(uri, "/01/", "/01/0")
		case reDLGTIN12.MatchString(uri):
			uri = strings.ReplaceAll(uri, "/01/", "/01/00")
		case reDLGTIN8.MatchString(uri):
			uri = strings.ReplaceAll(uri, "/01/", "/01/000000")
		}
	}
	// Drop the CPV (AI 22).
	after22 := pySlice(uri, strings.Index(uri, "/22/")+4, len(uri))
	if matchAny(reDLCPVLast, uri) {
		uri = pySlice(uri, 0, strings.Index(uri, "/22/")) + pySlice(after22, strings.IndexByte(after22, '/'), -1)
	}
	if matchAny(reDLCPVMid, uri) {
		uri = pySlice(uri, 0, strings.Index(uri, "/22/")) + pySlice(after22, strings.IndexByte(after22, '/'), len(after22))
	}
	// Keep only the finest level: a serial makes the lot redundant.
	if matchAny(reDLLotSerial, uri) {
		i := strings.Index(uri, "/10/")
		y := pySlice(uri, i+4, len(uri))
		uri = pySlice(uri, 0, i) + pySlice(y, strings.IndexByte(y, '/'), len(y))
	}
	if matchAny(reDLValid, uri) {
		return uri, true
	}
	return "", false
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// pySlice is Python's s[a:b] for byte strings: negative indexes count from
// the end and out-of-range indexes are clamped instead of panicking.
func pySlice(s string, a, b int) string {
	n := len(s)
	norm := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	a, b = norm(a), norm(b)
	if a >= b {
		return ""
	}
	return s[a:b]
}

// checkDigit returns the GS1 mod-10 check digit of a digit string, as text.
func checkDigit(digits string) string {
	sum, weight := 0, 3
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * weight
		weight = 4 - weight
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

// webURIPercentEncode escapes the characters of EPC URI components that the
// GS1 Digital Link syntax does not allow literally.
func webURIPercentEncode(s string) string {
	return strings.NewReplacer("!", "%21", "(", "%28", ")", "%29", "*", "%2A",
		"+", "%2B", ",", "%2C", ":", "%3A").Replace(s)
}

// ---- GS1 identifiers -------------------------------------------------------

// uriChar is one character of an EPC URI component: a permitted literal or
// a permitted percent-escape (TDS 1.x, section 6.3).
const uriChar = `(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])`

// cpiChar is one character of a CPI component reference.
const cpiChar = `(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])`

// cpN builds the alternation "6-digit prefix + (n-6) digits" ... for
// company prefixes of 6 to 12 digits whose reference has total-prefix
// digits. sep12 is used instead when the prefix takes all 12 digits.
func cpN(total int, sep12 string) string {
	var alts []string
	for cp := 6; cp <= 12; cp++ {
		ref := total - cp
		if ref == 0 {
			alts = append(alts, `\d{12}`+sep12)
			continue
		}
		alts = append(alts, `\d{`+strconv.Itoa(cp)+`}\.\d{`+strconv.Itoa(ref)+`}`)
	}
	return `(?:` + strings.Join(alts, "|") + `)`
}

// cpVar builds "company prefix . up to (max-cp) chars of class".
func cpVar(max int, class string) string {
	var alts []string
	for cp := 6; cp <= 12; cp++ {
		alts = append(alts, `\d{`+strconv.Itoa(cp)+`}\.`+class+`{1,`+strconv.Itoa(max-cp)+`}`)
	}
	return `(?:` + strings.Join(alts, "|") + `)`
}

var (
	reSGTIN   = regexp.MustCompile(`^urn:epc:id:sgtin:` + cpN(13, "") + `\.` + uriChar + `{1,20}$`)
	reSSCC    = regexp.MustCompile(`^urn:epc:id:sscc:` + cpN(17, "") + `$`)
	reSGLN    = regexp.MustCompile(`^urn:epc:id:sgln:` + cpN(12, `\.`) + `\.` + uriChar + `{1,20}$`)
	reGRAI    = regexp.MustCompile(`^urn:epc:id:grai:` + cpN(12, `\.\.`) + `\.` + uriChar + `{1,16}$`)
	reGSRN    = regexp.MustCompile(`^urn:epc:id:gsrn:` + cpN(17, "") + `$`)
	reGSRNP   = regexp.MustCompile(`^urn:epc:id:gsrnp:` + cpN(17, "") + `$`)
	reGDTI    = regexp.MustCompile(`^urn:epc:id:gdti:` + cpN(12, `\.\.`) + uriChar + `{1,20}$`)
	reCPI     = regexp.MustCompile(`^urn:epc:id:cpi:` + cpVar(30, cpiChar) + `\.\d{1,12}$`)
	reSGCN    = regexp.MustCompile(`^urn:epc:id:sgcn:` + cpN(12, `\.`) + `\.\d{1,12}$`)
	reGSIN    = regexp.MustCompile(`^urn:epc:id:gsin:` + cpN(16, "") + `$`)
	reITIP    = regexp.MustCompile(`^urn:epc:id:itip:` + cpN(13, "") + `\.\d{2}\.\d{2}\.` + uriChar + `{1,20}$`)
	reUPUI    = regexp.MustCompile(`^urn:epc:id:upui:` + cpN(13, "") + `\.` + uriChar + `{1,28}$`)
	rePGLN    = regexp.MustCompile(`^urn:epc:id:pgln:` + cpN(12, `\.`) + `$`)
	reLGTIN   = regexp.MustCompile(`^urn:epc:class:lgtin:` + cpN(13, "") + `\.` + uriChar + `{1,20}$`)
	rePatSGTN = regexp.MustCompile(`^urn:epc:idpat:sgtin:` + cpN(13, "") + `\.\*$`)
	rePatGRAI = regexp.MustCompile(`^urn:epc:idpat:grai:` + cpN(12, `\.\.`) + `\.\*$`)
	rePatGDTI = regexp.MustCompile(`^urn:epc:idpat:gdti:` + cpN(12, `\.\.`) + `\.\*$`)
	rePatSGCN = regexp.MustCompile(`^urn:epc:idpat:sgcn:` + cpN(12, `\.\.`) + `\.\*$`)
	rePatCPI  = regexp.MustCompile(`^urn:epc:idpat:cpi:` + cpVar(30, cpiChar) + `\.\*$`)
	rePatITIP = regexp.MustCompile(`^urn:epc:idpat:itip:` + cpN(13, "") + `\.\d{2}\.\d{2}\.\*$`)
	rePatUPUI = regexp.MustCompile(`^urn:epc:idpat:upui:` + cpN(13, "") + `\.\*$`)
)

// matchCPVar is cpVar(max, uriChar) anchored at both ends, by hand: a
// company prefix of 6 to 12 digits, a dot, then 1 to max-(prefix length)
// characters, each a permitted literal or percent-escape. The expression
// tries its seven alternatives with backtracking and was the costliest
// step of hashing an event with sensor readings (their devices are GIAIs);
// TestMatchCPVar holds the two to the same answers.
func matchCPVar(s string, max int) bool {
	cp := 0
	for cp < len(s) && isDigit(s[cp]) {
		cp++
	}
	if cp < 6 || cp > 12 || cp == len(s) || s[cp] != '.' {
		return false
	}
	n := 0
	for i := cp + 1; i < len(s); n++ {
		k := uriCharLen(s[i:])
		if k == 0 {
			return false
		}
		i += k
	}
	return n >= 1 && n <= max-cp
}

// uriCharLen is the length of the uriChar at the start of s (1 for a
// literal, 3 for an escape), 0 if there is none.
func uriCharLen(s string) int {
	c := s[0]
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return 1
	case strings.IndexByte("!')(*+,.:;=_-", c) >= 0:
		return 1
	case c != '%' || len(s) < 3:
		return 0
	}
	h, l := s[1], s[2]
	hex := func(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }
	var ok bool
	switch h {
	case '2': // %2[125-9A-Fa-f]
		ok = l == '1' || l == '2' || l >= '5' && l <= '9' || hex(l) && !isDigit(l)
	case '3': // %3[0-9A-Fa-f]
		ok = hex(l)
	case '4', '6': // %4[1-9A-Fa-f], %6[1-9A-Fa-f]
		ok = hex(l) && l != '0'
	case '5': // %5[0-9AaFf]
		ok = isDigit(l) || l == 'A' || l == 'a' || l == 'F' || l == 'f'
	case '7': // %7[0-9Aa]
		ok = isDigit(l) || l == 'A' || l == 'a'
	}
	if !ok {
		return 0
	}
	return 3
}
