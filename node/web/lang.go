package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"
)

// The consumer page speaks the shopper's language: Simplified Chinese for
// the mainland livestream buyer, English, and German (formal "Sie").
// Messages live in one hand-written table (messages.go) that is loaded
// into an x/text catalog: x/text's printer chooses plural forms by CLDR
// rules and formats numbers by CLDR conventions (2,400 / 2.400). x/text
// has no date formatting, so Lang.When writes CLDR's medium date-time
// patterns of each language by hand.

// Lang is one of the page's languages, with its printer.
type Lang struct {
	// Code is the BCP 47 tag the page is in (zh-CN, en, de).
	Code string
	// Name is the language's own name, for the switcher.
	Name string
	tag  language.Tag
	p    *message.Printer
	// plain are the messages without arguments, translated once.
	plain map[string]string
	// simple are the messages whose only verbs are %s, %d (each may name
	// its argument, %[n]s) and %%, plural or not: with string arguments and
	// small whole numbers, T writes them itself, as the printer would,
	// without its catalog lookup and formatting (a twentieth of a page's
	// rendering).
	simple map[string]simpleMsg
}

// simpleMsg is a message of simple forms: one form, or a plural one's
// "one" and "other" forms, chosen by argument sel.
type simpleMsg struct {
	other, one simpleForm
	plural     bool
	sel        int    // the argument whose plural category picks the form
	verbs      []byte // each argument's verb, 's' or 'd'
}

// simpleForm is lits[0], the argument args[0], lits[1], …, lits[len(args)].
type simpleForm struct {
	lits []string
	args []int
}

// parseSimple reads the message s of a language as a simpleMsg (sel is
// its plural selector, 0-based); false if it has another verb, uses an
// argument with two verbs, or does not use every argument it names in
// each form.
func parseSimple(s string, sel int) (simpleMsg, bool) {
	if strings.Contains(s, "$") {
		return simpleMsg{}, false
	}
	var m simpleMsg
	one, other, plural := strings.Cut(s, "|")
	if !plural {
		other = one
	}
	var ok bool
	if m.other, ok = m.parseForm(other); !ok {
		return simpleMsg{}, false
	}
	if plural {
		n := len(m.verbs)
		if m.one, ok = m.parseForm(one); !ok || len(m.verbs) != n || sel >= n || m.verbs[sel] != 'd' {
			return simpleMsg{}, false
		}
		m.plural, m.sel = true, sel
	}
	return m, true
}

// parseForm reads one form, noting its arguments' verbs in m.verbs.
func (m *simpleMsg) parseForm(s string) (simpleForm, bool) {
	var f simpleForm
	var lit strings.Builder
	next := 0
	used := map[int]bool{}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		arg := next
		if i < len(s) && s[i] == '[' {
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return f, false
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil || n < 1 {
				return f, false
			}
			arg = n - 1
			i += end + 1
		}
		if i >= len(s) || (s[i] != 's' && s[i] != 'd') {
			return f, false
		}
		for len(m.verbs) <= arg {
			m.verbs = append(m.verbs, 0)
		}
		if m.verbs[arg] != 0 && m.verbs[arg] != s[i] {
			return f, false
		}
		m.verbs[arg] = s[i]
		f.lits = append(f.lits, lit.String())
		lit.Reset()
		f.args = append(f.args, arg)
		used[arg] = true
		next = arg + 1
	}
	f.lits = append(f.lits, lit.String())
	return f, len(used) == len(m.verbs)
}

// maxSimpleInt bounds the numbers T formats itself: below a thousand no
// language groups digits.
const maxSimpleInt = 999

// format writes m with args in language tag; false unless each argument is
// of its verb: a string, or an int from 0 to maxSimpleInt.
func (m *simpleMsg) format(tag language.Tag, args []any) (string, bool) {
	if len(args) != len(m.verbs) {
		return "", false
	}
	strs := make([]string, 0, len(args))
	size := 0
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			if m.verbs[i] != 's' {
				return "", false
			}
			s = v
		case int:
			if m.verbs[i] != 'd' || v < 0 || v > maxSimpleInt {
				return "", false
			}
			s = strconv.Itoa(v)
		default:
			return "", false
		}
		strs = append(strs, s)
		size += len(s)
	}
	f := &m.other
	if m.plural {
		n := args[m.sel].(int)
		if plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) == plural.One {
			f = &m.one
		}
	}
	for _, l := range f.lits {
		size += len(l)
	}
	var b strings.Builder
	b.Grow(size)
	for i, a := range f.args {
		b.WriteString(f.lits[i])
		b.WriteString(strs[a])
	}
	b.WriteString(f.lits[len(f.args)])
	return b.String(), true
}

// Langs are the page's languages; the first is the default.
var Langs = []*Lang{
	{Code: "en", Name: "English", tag: language.English},
	{Code: "zh-CN", Name: "中文", tag: language.MustParse("zh-CN")},
	{Code: "de", Name: "Deutsch", tag: language.German},
}

// English is the default language.
var English = Langs[0]

var matcher language.Matcher

func init() {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	tags := make([]language.Tag, len(Langs))
	for i, l := range Langs {
		tags[i] = l.tag
		for key, m := range messages {
			s := m.in(l.Code)
			if one, other, ok := strings.Cut(s, "|"); ok {
				// "one|other", chosen by the plural category of the first
				// argument (or m.arg).
				if err := b.Set(l.tag, key, plural.Selectf(max(m.arg, 1), "", "one", one, "other", other)); err != nil {
					panic(fmt.Sprintf("web: message %s (%s): %v", key, l.Code, err))
				}
				continue
			}
			if err := b.SetString(l.tag, key, s); err != nil {
				panic(fmt.Sprintf("web: message %s (%s): %v", key, l.Code, err))
			}
		}
	}
	for _, l := range Langs {
		l.p = message.NewPrinter(l.tag, message.Catalog(b))
		l.plain = map[string]string{}
		l.simple = map[string]simpleMsg{}
		for key, m := range messages {
			s := m.in(l.Code)
			if !strings.Contains(s, "%") {
				l.plain[key] = s
			} else if sm, ok := parseSimple(s, max(m.arg, 1)-1); ok {
				l.simple[key] = sm
			}
		}
	}
	matcher = language.NewMatcher(tags)
}

// MatchLang picks the language of a request: ?lang= when it names one
// of Langs, else the best match of Accept-Language, else English.
func MatchLang(r *http.Request) *Lang {
	if l := LangOf(r.URL.Query().Get("lang")); l != nil {
		return l
	}
	return AcceptLang(r.Header.Get("Accept-Language"))
}

// AcceptLang is the best of Langs for an Accept-Language header.
func AcceptLang(header string) *Lang {
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return English
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return English
	}
	return Langs[i]
}

// LangOf returns the language with code (case-insensitive, zh and zh-Hans
// included), or nil.
func LangOf(code string) *Lang {
	if code == "" {
		return nil
	}
	t, err := language.Parse(code)
	if err != nil {
		return nil
	}
	_, i, conf := matcher.Match(t)
	if conf < language.High {
		return nil
	}
	return Langs[i]
}

// MarshalJSON writes the code: a page's view encodes as JSON with its
// language as a code (TestModifiedAsLedgerTimes reads the view so).
func (l *Lang) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(l.Code)), nil }

// T translates message key with args (fmt verbs; numbers in the
// language's format).
func (l *Lang) T(key string, args ...any) string {
	if s, ok := l.plain[key]; ok && len(args) == 0 {
		return s
	}
	if m, ok := l.simple[key]; ok {
		if s, ok := m.format(l.tag, args); ok {
			return s
		}
	}
	return l.p.Sprintf(key, args...)
}

// Num formats a number with the language's separators and at most two
// decimals.
func (l *Lang) Num(v float64) string {
	return l.p.Sprint(number.Decimal(v, number.MaxFractionDigits(2)))
}

// Temp formats a temperature.
func (l *Lang) Temp(v float64) string { return l.Num(v) + " °C" }

// dateLayouts are CLDR's medium date patterns (en-GB, zh, de) in Go's
// layout: x/text cannot format dates yet.
var dateLayouts = map[string]struct{ date, dateTime string }{
	"en":    {"2 Jan 2006", "2 Jan 2006, 15:04"},
	"zh-CN": {"2006年1月2日", "2006年1月2日 15:04"},
	"de":    {"02.01.2006", "02.01.2006, 15:04"},
}

// When shows t in the local time of the place it happened, with the
// zone's offset named ("22 Sep 2025, 16:20 UTC+2").
func (l *Lang) When(t Time) string {
	if t.IsZero() {
		return l.T("time.unknown")
	}
	lt := t.Local()
	return lt.Format(dateLayouts[l.Code].dateTime) + " " + zoneName(lt)
}

// WhenUTC shows t in UTC, for the tooltip of a local time.
func (l *Lang) WhenUTC(t Time) string {
	if t.IsZero() {
		return ""
	}
	return t.t.UTC().Format(dateLayouts[l.Code].dateTime) + " UTC"
}

// Date shows the day of t at its place.
func (l *Lang) Date(t Time) string {
	if t.IsZero() {
		return l.T("date.unknown")
	}
	return t.Local().Format(dateLayouts[l.Code].date)
}

// Clock shows the local time of day, for a step on the same day as the one
// before.
func (l *Lang) Clock(t Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("15:04")
}

// zoneName names t's zone by its offset: UTC, UTC+2, UTC+5:30.
func zoneName(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// LangLink is one entry of the page's language switcher.
type LangLink struct {
	Code, Name, Href string
	Current          bool
}

// Switcher lists links to the page in each language.
func (l *Lang) Switcher() []LangLink {
	out := make([]LangLink, len(Langs))
	for i, o := range Langs {
		out[i] = LangLink{Code: o.Code, Name: o.Name, Href: "?lang=" + o.Code, Current: o == l}
	}
	return out
}
