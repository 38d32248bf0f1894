// Package digitallink parses and builds uncompressed GS1 Digital Link URIs
// (GS1 Digital Link standard 1.x) for the keys trustline uses:
//
//	/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]   trade item
//	/00/{sscc}                                       logistic unit
//	/414/{gln}[/254/{glnExtension}]                  location
//
// Any http(s) domain and any path prefix before the first primary key are
// accepted when parsing; formatting always produces the canonical form
// https://id.gs1.org/... with 14-digit GTINs and percent-encoded values.
package digitallink

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/trustline/trustline/gs1"
)

// CanonicalBase is the GS1 resolver domain used by String.
const CanonicalBase = "https://id.gs1.org"

// Length limits of the AI 22, 10, 21 and 254 values (GS1 General
// Specifications, AI table).
const (
	maxCPV    = 20
	maxLot    = 20
	maxSerial = 20
	maxGLNExt = 20
)

// Link is a parsed GS1 Digital Link. Exactly one primary key (GTIN, SSCC or
// GLN) is set. GTIN is always in 14-digit form.
type Link struct {
	GTIN         string // AI 01
	CPV          string // AI 22, consumer product variant (GTIN only)
	Lot          string // AI 10, batch/lot (GTIN only)
	Serial       string // AI 21, serial number (GTIN only)
	SSCC         string // AI 00
	GLN          string // AI 414
	GLNExtension string // AI 254 (GLN only)

	// Query holds the data attributes and other query parameters
	// (e.g. linkType=all, 17=261231). Nil when there are none.
	Query url.Values
}

// Level is the granularity of what a link identifies. The zero Level means
// the link has no primary key.
type Level int

const (
	Product      Level = iota + 1 // GTIN (with or without CPV)
	Lot                           // GTIN + lot
	Unit                          // GTIN + serial (a single serialised item)
	LogisticUnit                  // SSCC
	Location                      // GLN (with or without extension)
)

func (l Level) String() string {
	switch l {
	case Product:
		return "product"
	case Lot:
		return "lot"
	case Unit:
		return "unit"
	case LogisticUnit:
		return "logistic unit"
	case Location:
		return "location"
	}
	return "none"
}

// Error reports why a Digital Link is invalid. Segment names the part of the
// URI at fault: an AI code such as "10", "query", "scheme" or the unknown
// path segment itself. Err, when set, is the underlying *gs1.Error.
type Error struct {
	Segment string
	Reason  string
	Err     error
}

func (e *Error) Error() string { return "digitallink: " + e.Reason }
func (e *Error) Unwrap() error { return e.Err }

// ai describes one application identifier usable in the path.
type ai struct {
	code    string
	name    string // for error messages: "lot", "GTIN", ...
	primary bool
	rank    int    // order of qualifiers after their primary key
	owner   string // primary key a qualifier belongs to
}

var pathAIs = map[string]ai{
	"01":  {code: "01", name: "GTIN", primary: true},
	"00":  {code: "00", name: "SSCC", primary: true},
	"414": {code: "414", name: "GLN", primary: true},
	"22":  {code: "22", name: "CPV", rank: 1, owner: "01"},
	"10":  {code: "10", name: "lot", rank: 2, owner: "01"},
	"21":  {code: "21", name: "serial", rank: 3, owner: "01"},
	"254": {code: "254", name: "GLN extension", rank: 1, owner: "414"},
}

// shortNames are the alphabetic path keys of GS1 Digital Link 1.0/1.1,
// still accepted when parsing.
var shortNames = map[string]string{
	"gtin": "01", "cpv": "22", "lot": "10", "ser": "21",
	"sscc": "00", "gln": "414", "glnx": "254",
}

// otherPrimaryKeys are GS1 primary keys that Digital Link defines but
// trustline does not support; they get a clearer error than "unknown".
var otherPrimaryKeys = map[string]string{
	"253": "GDTI", "255": "GCN", "401": "GINC", "402": "GSIN", "417": "PGLN",
	"8003": "GRAI", "8004": "GIAI", "8006": "ITIP", "8010": "CPID",
	"8013": "GMN", "8017": "GSRN-P", "8018": "GSRN",
}

func lookupAI(seg string) (ai, bool) {
	if code, ok := shortNames[seg]; ok {
		seg = code
	}
	a, ok := pathAIs[seg]
	return a, ok
}

func (a ai) label() string { return a.code + " (" + a.name + ")" }

// Parse parses an uncompressed GS1 Digital Link: a full http(s) URI on any
// domain, optionally with a path prefix before the primary key, or just the
// path ("/01/09506000134352/10/ABC"). The query string is kept in Query.
func Parse(uri string) (Link, error) {
	if uri == "" {
		return Link{}, &Error{Segment: "uri", Reason: "empty URI"}
	}
	var rawPath, rawQuery string
	if strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, "//") {
		rawPath, _, _ = strings.Cut(uri, "#")
		rawPath, rawQuery, _ = strings.Cut(rawPath, "?")
	} else {
		u, err := url.Parse(uri)
		if err != nil {
			return Link{}, &Error{Segment: "uri", Reason: "not a URI: " + err.Error(), Err: err}
		}
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
			return Link{}, &Error{Segment: "scheme", Reason: fmt.Sprintf("scheme %q is not http or https", u.Scheme)}
		}
		if u.Host == "" || u.Opaque != "" {
			return Link{}, &Error{Segment: "host", Reason: "URI has no host"}
		}
		rawPath, rawQuery = u.EscapedPath(), u.RawQuery
	}

	var l Link
	if err := l.parsePath(rawPath); err != nil {
		return Link{}, err
	}
	q, err := parseQuery(rawQuery)
	if err != nil {
		return Link{}, err
	}
	l.Query = q
	return l, nil
}

func (l *Link) parsePath(rawPath string) error {
	segs := strings.Split(strings.TrimPrefix(rawPath, "/"), "/")
	if segs[len(segs)-1] == "" { // trailing slash
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		return &Error{Segment: "path", Reason: "path has no GS1 primary key"}
	}
	// Walk key/value pairs from the right, as the standard does: everything
	// left of the primary key is a path prefix chosen by the link owner.
	j := len(segs) - 2
	for ; j >= 0; j -= 2 {
		a, ok := lookupAI(segs[j])
		if ok && a.primary {
			break
		}
		if !ok {
			return unknownKeyError(segs, j)
		}
	}
	if j < 0 {
		if err := danglingKeyError(segs); err != nil {
			return err
		}
		return &Error{Segment: "path", Reason: "path " + rawPath + " has no GS1 primary key"}
	}

	primary, _ := lookupAI(segs[j])
	value, err := unescape(primary, segs[j+1])
	if err != nil {
		return err
	}
	if err := l.setPrimary(primary, value); err != nil {
		return err
	}
	var prev ai
	for k := j + 2; k < len(segs); k += 2 {
		q, _ := lookupAI(segs[k])
		if q.owner != primary.code {
			return &Error{Segment: q.code, Reason: fmt.Sprintf("qualifier %s is not allowed with primary key %s", q.label(), primary.label())}
		}
		if prev.rank == q.rank {
			return &Error{Segment: q.code, Reason: "qualifier " + q.label() + " appears more than once"}
		}
		if prev.rank > q.rank {
			return &Error{Segment: q.code, Reason: fmt.Sprintf("qualifier %s must come before %s", q.label(), prev.label())}
		}
		prev = q
		value, err := unescape(q, segs[k+1])
		if err != nil {
			return err
		}
		if err := l.setQualifier(q, value); err != nil {
			return err
		}
	}
	return nil
}

// danglingKeyError reports a path that ends in a key without its value
// ("/01/09506000134352/10"), the most likely slip when pairs do not line up.
func danglingKeyError(segs []string) error {
	a, ok := lookupAI(segs[len(segs)-1])
	if !ok {
		return nil
	}
	kind := "qualifier"
	if a.primary {
		kind = "primary key"
	}
	return &Error{Segment: a.code, Reason: kind + " " + a.label() + " has no value"}
}

// unknownKeyError explains an unrecognised key segment at index j.
func unknownKeyError(segs []string, j int) error {
	if err := danglingKeyError(segs); err != nil {
		return err
	}
	seg := segs[j]
	for k := j - 2; k >= 0; k -= 2 {
		if p, ok := lookupAI(segs[k]); ok && p.primary {
			return &Error{Segment: seg, Reason: fmt.Sprintf("%q is not a key qualifier of primary key %s", seg, p.label())}
		}
	}
	if name, ok := otherPrimaryKeys[seg]; ok {
		return &Error{Segment: seg, Reason: fmt.Sprintf("primary key %s (%s) is not supported", seg, name)}
	}
	if seg != "" && strings.Trim(seg, "0123456789") == "" {
		return &Error{Segment: seg, Reason: "unknown primary key " + seg}
	}
	return &Error{Segment: "path", Reason: "path has no GS1 primary key"}
}

func unescape(a ai, raw string) (string, error) {
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", &Error{Segment: a.code, Reason: fmt.Sprintf("%s value %q has invalid percent-encoding", a.label(), raw), Err: err}
	}
	return v, nil
}

func (l *Link) setPrimary(a ai, v string) error {
	var err error
	switch a.code {
	case "01":
		l.GTIN, err = gs1.ValidateGTIN(v)
	case "00":
		l.SSCC, err = gs1.ValidateSSCC(v)
	case "414":
		l.GLN, err = gs1.ValidateGLN(v)
	}
	return keyError(a, err)
}

func (l *Link) setQualifier(a ai, v string) error {
	switch a.code {
	case "22":
		l.CPV = v
		return keyError(a, gs1.ValidateCSet82("CPV", v, maxCPV))
	case "10":
		l.Lot = v
		return keyError(a, gs1.ValidateCSet82("lot", v, maxLot))
	case "21":
		l.Serial = v
		return keyError(a, gs1.ValidateCSet82("serial", v, maxSerial))
	case "254":
		l.GLNExtension = v
		return keyError(a, gs1.ValidateCSet82("GLN extension", v, maxGLNExt))
	}
	return nil
}

func keyError(a ai, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Segment: a.code, Reason: err.Error(), Err: err}
}

// parseQuery keeps all parameters but rejects key AIs (they belong in the
// path) and malformed values of the few data AIs whose format is simple.
func parseQuery(raw string) (url.Values, error) {
	if raw == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &Error{Segment: "query", Reason: "invalid query string: " + err.Error(), Err: err}
	}
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	if len(q) == 0 {
		return nil, nil
	}
	return q, nil
}

// checkQuery visits keys in sorted order so that the error reported for a
// query with several faults is the same on every peer.
func checkQuery(q url.Values) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if a, ok := lookupAI(key); ok {
			return &Error{Segment: "query", Reason: fmt.Sprintf("AI %s must be in the path, not the query string", a.label())}
		}
		for _, v := range q[key] {
			if err := checkDataAttribute(key, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// dateAIs are the YYMMDD data attributes (production, packaging, best
// before, sell by, expiry, ...).
var dateAIs = map[string]string{
	"11": "production date", "12": "due date", "13": "packaging date",
	"15": "best before date", "16": "sell by date", "17": "expiration date",
}

func checkDataAttribute(key, v string) error {
	bad := func(what string) error {
		return &Error{Segment: "query", Reason: fmt.Sprintf("AI %s value %q %s", key, v, what)}
	}
	if name, ok := dateAIs[key]; ok {
		if len(v) != 6 || strings.Trim(v, "0123456789") != "" {
			return bad("is not a " + name + " YYMMDD")
		}
		month := int(v[2]-'0')*10 + int(v[3]-'0')
		day := int(v[4]-'0')*10 + int(v[5]-'0')
		if month < 1 || month > 12 || day > 31 { // day 00 means "end of month"
			return bad("is not a valid " + name + " YYMMDD")
		}
		return nil
	}
	// 310n-369n: trade measures, six digits with n implied decimals.
	if len(key) == 4 && key[0] == '3' && key[1] >= '1' && key[1] <= '6' &&
		strings.Trim(key, "0123456789") == "" {
		if len(v) != 6 || strings.Trim(v, "0123456789") != "" {
			return bad("is not six digits")
		}
	}
	return nil
}

// ForProduct returns the link for a GTIN (8, 12, 13 or 14 digits).
func ForProduct(gtin string) (Link, error) {
	g, err := gs1.ValidateGTIN(gtin)
	if err != nil {
		return Link{}, keyError(pathAIs["01"], err)
	}
	return Link{GTIN: g}, nil
}

// ForLot returns the link for a batch/lot of a trade item.
func ForLot(gtin, lot string) (Link, error) {
	l, err := ForProduct(gtin)
	if err != nil {
		return Link{}, err
	}
	if err := l.setQualifier(pathAIs["10"], lot); err != nil {
		return Link{}, err
	}
	return l, nil
}

// ForUnit returns the link for one serialised item. lot may be empty.
func ForUnit(gtin, lot, serial string) (Link, error) {
	l, err := ForProduct(gtin)
	if err != nil {
		return Link{}, err
	}
	if lot != "" {
		if err := l.setQualifier(pathAIs["10"], lot); err != nil {
			return Link{}, err
		}
	}
	if err := l.setQualifier(pathAIs["21"], serial); err != nil {
		return Link{}, err
	}
	return l, nil
}

// ForSSCC returns the link for a logistic unit.
func ForSSCC(sscc string) (Link, error) {
	s, err := gs1.ValidateSSCC(sscc)
	if err != nil {
		return Link{}, keyError(pathAIs["00"], err)
	}
	return Link{SSCC: s}, nil
}

// ForGLN returns the link for a location; ext (AI 254) may be empty.
func ForGLN(gln, ext string) (Link, error) {
	g, err := gs1.ValidateGLN(gln)
	if err != nil {
		return Link{}, keyError(pathAIs["414"], err)
	}
	l := Link{GLN: g}
	if ext != "" {
		if err := l.setQualifier(pathAIs["254"], ext); err != nil {
			return Link{}, err
		}
	}
	return l, nil
}

// Validate checks a Link built by hand: one primary key, qualifiers that
// belong to it, GS1 formats and a 14-digit GTIN.
func (l Link) Validate() error {
	n := 0
	for _, k := range []string{l.GTIN, l.SSCC, l.GLN} {
		if k != "" {
			n++
		}
	}
	if n != 1 {
		return &Error{Segment: "path", Reason: fmt.Sprintf("link has %d primary keys, want exactly one", n)}
	}
	var check Link
	switch {
	case l.GTIN != "":
		if len(l.GTIN) != 14 {
			return &Error{Segment: "01", Reason: fmt.Sprintf("GTIN %s is not in 14-digit form", l.GTIN)}
		}
		if err := check.setPrimary(pathAIs["01"], l.GTIN); err != nil {
			return err
		}
		if l.GLNExtension != "" {
			return &Error{Segment: "254", Reason: "qualifier 254 (GLN extension) is not allowed with primary key 01 (GTIN)"}
		}
		for _, q := range []struct {
			code, v string
		}{{"22", l.CPV}, {"10", l.Lot}, {"21", l.Serial}} {
			if q.v != "" {
				if err := check.setQualifier(pathAIs[q.code], q.v); err != nil {
					return err
				}
			}
		}
	case l.SSCC != "":
		if err := check.setPrimary(pathAIs["00"], l.SSCC); err != nil {
			return err
		}
		if l.CPV != "" || l.Lot != "" || l.Serial != "" || l.GLNExtension != "" {
			return &Error{Segment: "00", Reason: "primary key 00 (SSCC) takes no qualifiers"}
		}
	default:
		if err := check.setPrimary(pathAIs["414"], l.GLN); err != nil {
			return err
		}
		if l.CPV != "" || l.Lot != "" || l.Serial != "" {
			return &Error{Segment: "414", Reason: "primary key 414 (GLN) only takes qualifier 254"}
		}
		if l.GLNExtension != "" {
			if err := check.setQualifier(pathAIs["254"], l.GLNExtension); err != nil {
				return err
			}
		}
	}
	return checkQuery(l.Query)
}

// Path returns the canonical path, e.g. "/01/09506000134352/10/ABC".
// It does not include the query string.
func (l Link) Path() string {
	// One allocation: the resolver builds a request's path several times.
	var b strings.Builder
	b.Grow(len(l.GTIN) + len(l.CPV) + len(l.Lot) + len(l.Serial) + len(l.SSCC) + len(l.GLN) + len(l.GLNExtension) + 4*5)
	add := func(code, v string) {
		if v != "" {
			b.WriteByte('/')
			b.WriteString(code)
			b.WriteByte('/')
			escapeTo(&b, v)
		}
	}
	switch {
	case l.GTIN != "":
		add("01", l.GTIN)
		add("22", l.CPV)
		add("10", l.Lot)
		add("21", l.Serial)
	case l.SSCC != "":
		add("00", l.SSCC)
	case l.GLN != "":
		add("414", l.GLN)
		add("254", l.GLNExtension)
	}
	return b.String()
}

// String returns the canonical URI on https://id.gs1.org, followed by the
// query string (keys sorted) when Query is not empty.
func (l Link) String() string { return l.WithBase(CanonicalBase) }

// WithBase returns the link on another resolver, e.g. a brand's own domain
// with a path prefix ("https://example.com/dl"). Trailing slashes on base
// are ignored.
func (l Link) WithBase(base string) string {
	s := strings.TrimRight(base, "/") + l.Path()
	if len(l.Query) > 0 {
		s += "?" + l.Query.Encode()
	}
	return s
}

// Canonical returns the one form of an identifier that trustline compares,
// indexes and stores, so that two spellings of it match: a Digital Link
// on id.gs1.org without its query (data attributes such as an expiry date
// do not identify anything). A string that is not a Digital Link (an EPC
// URN, say) is returned as it is.
func Canonical(s string) string {
	l, err := Parse(s)
	if err != nil {
		return s
	}
	l.Query = nil
	return l.String()
}

// Level reports what the link identifies.
func (l Link) Level() Level {
	switch {
	case l.GTIN != "" && l.Serial != "":
		return Unit
	case l.GTIN != "" && l.Lot != "":
		return Lot
	case l.GTIN != "":
		return Product
	case l.SSCC != "":
		return LogisticUnit
	case l.GLN != "":
		return Location
	}
	return 0
}

// LotLink returns the lot a unit belongs to: the same GTIN, CPV and lot,
// without serial and query. For a link without a lot this is the product
// link; for SSCC and GLN links it is the zero Link.
func (l Link) LotLink() Link {
	if l.GTIN == "" {
		return Link{}
	}
	return Link{GTIN: l.GTIN, CPV: l.CPV, Lot: l.Lot}
}

// escape percent-encodes everything outside the RFC 3986 unreserved set.
// Of character set 82 that leaves letters, digits and "-._" literal, which
// is what GS1 Digital Link requires for canonical URIs.
func escape(s string) string {
	var b strings.Builder
	escapeTo(&b, s)
	return b.String()
}

// escapeTo writes escape(s) to b.
func escapeTo(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	i := 0
	for i < len(s) && unreserved(s[i]) {
		i++
	}
	b.WriteString(s[:i]) // most values (GTINs, lots, serials) are all of it
	for ; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// unreserved: RFC 3986's unreserved characters, never escaped.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
