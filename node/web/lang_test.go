package web

import (
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// verbRE matches a fmt verb, with an optional explicit argument index.
var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?([a-zA-Z%])`)

// verbs maps each argument (1-based) of a message to its verb.
func verbs(s string) (map[int]string, error) {
	out := map[int]string{}
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		i := next
		if m[1] != "" {
			i, _ = strconv.Atoi(m[1])
		}
		if v, ok := out[i]; ok && v != m[2] {
			return nil, &verbError{i, v, m[2]}
		}
		out[i] = m[2]
		next = i + 1
	}
	return out, nil
}

type verbError struct {
	arg  int
	a, b string
}

func (e *verbError) Error() string {
	return "argument " + strconv.Itoa(e.arg) + " is %" + e.a + " and %" + e.b
}

// TestMessages: every message is written in every language, with the same
// arguments and verbs as the English one, in each plural form, and no
// language has a stray plural form count.
func TestMessages(t *testing.T) {
	keys := make([]string, 0, len(messages))
	for k := range messages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m := messages[k]
		enForms := strings.Split(m.en, "|")
		ref, err := verbs(enForms[len(enForms)-1]) // the "other" form
		if err != nil {
			t.Errorf("%s (en): %v", k, err)
		}
		for _, l := range Langs {
			s := m.in(l.Code)
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s text", k, l.Code)
				continue
			}
			forms := strings.Split(s, "|")
			if len(forms) > 2 {
				t.Errorf("%s (%s): %d plural forms; one|other at most", k, l.Code, len(forms))
			}
			if len(forms) == 2 && len(enForms) == 1 {
				t.Errorf("%s (%s): plural forms where English has none", k, l.Code)
			}
			for _, f := range forms {
				got, err := verbs(f)
				if err != nil {
					t.Errorf("%s (%s): %v", k, l.Code, err)
					continue
				}
				if !mapsEqual(got, ref) {
					t.Errorf("%s (%s): verbs %v in %q, English has %v", k, l.Code, got, f, ref)
				}
			}
			// The printer finds the message: T never returns the key itself.
			if l.T(k) == k {
				t.Errorf("%s (%s): not in the catalog", k, l.Code)
			}
		}
	}
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTemplatesUseKnownMessages: every message key the templates name
// exists, so that no page shows a raw key.
func TestTemplatesUseKnownMessages(t *testing.T) {
	entries, err := files.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`\.T "([^"]+)"`)
	for _, e := range entries {
		b, err := files.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s names message %q, which does not exist", e.Name(), m[1])
			}
		}
	}
	// The consumer page's hand-written renderer names its keys in Go.
	src, err := os.ReadFile("pagehtml.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\.(?:tr|idRow)\("([^"]+)"[,)]`).FindAllStringSubmatch(string(src), -1) {
		if _, ok := messages[m[1]]; !ok {
			t.Errorf("pagehtml.go names message %q, which does not exist", m[1])
		}
	}
	for _, prefix := range []string{"badge.", "claims.", "verdict.", "status."} {
		_ = prefix // keys built in templates from a status: checked below
	}
	for _, k := range []string{"badge.holds", "badge.fails", "badge.pending", "claims.holds", "claims.fails", "claims.pending", "verdict.pass", "verdict.fail"} {
		if _, ok := messages[k]; !ok {
			t.Errorf("message %q is missing", k)
		}
	}
}

func TestMatchLang(t *testing.T) {
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", "en"},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"", "zh", "zh-CN"},
		{"", "zh-Hans-CN", "zh-CN"},
		{"", "de-AT,de;q=0.9", "de"},
		{"", "fr-FR,fr;q=0.9", "en"},
		{"", "fr-FR,de;q=0.5", "de"},
		{"", "not a header;;;", "en"},
		{"de", "zh-CN", "de"},
		{"zh-cn", "de", "zh-CN"},
		{"xx", "de", "de"},
	} {
		r := httptest.NewRequest("GET", "/01/1?lang="+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := MatchLang(r).Code; got != tc.want {
			t.Errorf("lang=%q, Accept-Language %q: %s, want %s", tc.query, tc.accept, got, tc.want)
		}
	}
}

// TestLocalFormats: numbers, plurals and local times follow each language.
func TestLocalFormats(t *testing.T) {
	en, zh, de := LangOf("en"), LangOf("zh-CN"), LangOf("de")
	at := Time{t: time.Date(2025, 9, 22, 14, 20, 0, 0, time.UTC)}.in(time.FixedZone("", 2*3600))
	for _, tc := range []struct{ got, want string }{
		{en.Num(2400), "2,400"}, {de.Num(2400), "2.400"}, {zh.Num(2400), "2,400"},
		{en.Temp(4.5), "4.5 °C"}, {de.Temp(4.5), "4,5 °C"},
		{en.T("journey.breach", 1), "1 reading outside the allowed range."},
		{en.T("journey.breach", 3), "3 readings outside the allowed range."},
		{de.T("journey.breach", 1), "1 Messwert außerhalb des zulässigen Bereichs."},
		{de.T("journey.breach", 2), "2 Messwerte außerhalb des zulässigen Bereichs."},
		{zh.T("journey.breach", 2), "有 2 次温度读数超出允许范围。"},
		{en.When(at), "22 Sep 2025, 16:20 UTC+2"},
		{de.When(at), "22.09.2025, 16:20 UTC+2"},
		{zh.When(at), "2025年9月22日 16:20 UTC+2"},
		{en.WhenUTC(at), "22 Sep 2025, 14:20 UTC"},
		{zh.T("recall.by", "II", "Alpenwiese", "x"), "Alpenwiese 发起的 II 级召回，x"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// T writes the simple messages itself: what it writes is what the printer
// writes, for every language and message, with strings and whole numbers
// around the plural forms' edges, and it leaves other arguments to the
// printer.
func TestSimpleMessages(t *testing.T) {
	strs := []string{`<a href="x">&amp;`, "中文：%d", "%s", "", "1.5", "é"}
	nums := []int{0, 1, 2, 3, 5, 11, 21, 101, 111, maxSimpleInt}
	simple, plurals := 0, 0
	for _, l := range Langs {
		for key := range messages {
			m, ok := l.simple[key]
			if !ok {
				continue
			}
			simple++
			if m.plural {
				plurals++
			}
			for _, n := range nums {
				args := make([]any, len(m.verbs))
				for i, v := range m.verbs {
					if v == 'd' {
						args[i] = n + i
					} else {
						args[i] = strs[(n+i)%len(strs)]
					}
				}
				if got, want := l.T(key, args...), l.p.Sprintf(key, args...); got != want {
					t.Errorf("%s %s %v: T = %q, the printer %q", l.Code, key, args, got, want)
				}
				if len(args) > 0 {
					// Beyond what T writes itself: the printer's.
					other := slices.Clone(args)
					for i, v := range m.verbs {
						if v == 'd' {
							other[i] = 1234 + n
						} else {
							other[i] = 1.5
						}
					}
					if got, want := l.T(key, other...), l.p.Sprintf(key, other...); got != want {
						t.Errorf("%s %s %v: T = %q, the printer %q", l.Code, key, other, got, want)
					}
				}
			}
		}
	}
	if simple < 100 || plurals < 8 {
		t.Errorf("only %d simple messages, %d of them plural", simple, plurals)
	}
	for _, tc := range []struct {
		s      string
		ok     bool
		lits   []string
		plural bool
	}{
		{"a %s b", true, []string{"a ", " b"}, false},
		{"%[2]s then %[1]s", true, []string{"", " then ", ""}, false},
		{"100%% %s", true, []string{"100% ", ""}, false},
		{"%d items", true, []string{"", " items"}, false},
		{"%d item|%d items", true, []string{"", " items"}, true},
		{"%[2]s only", false, nil, false},
		{"one|other %s", false, nil, false},
		{"%s item|%s items", false, nil, false}, // a plural chosen by a string
		{"%s %v", false, nil, false},
		{"%s %[1]d", false, nil, false},
		{"%[x]s", false, nil, false},
		{"trailing %", false, nil, false},
	} {
		m, ok := parseSimple(tc.s, 0)
		if ok != tc.ok || (ok && (!slices.Equal(m.other.lits, tc.lits) || m.plural != tc.plural)) {
			t.Errorf("parseSimple(%q) = %q (plural %v), %v; want %q (plural %v), %v", tc.s, m.other.lits, m.plural, ok, tc.lits, tc.plural, tc.ok)
		}
	}
}
