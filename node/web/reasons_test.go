package web

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/trustline/trustline/claims"
)

// sampleWhy is a reason of code with made-up arguments of the code's
// kinds; n is the count each count argument takes.
func sampleWhy(code string, n int) claims.Why {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	w := claims.Why{Code: code}
	for _, k := range claims.ReasonArgs(code) {
		a := claims.Arg{Kind: k}
		switch k {
		case claims.ArgText:
			a.Text = "X-17"
		case claims.ArgCount:
			a.N = n
		case claims.ArgTemp:
			a.C = 9.4
		case claims.ArgTime:
			a.T = t0
		case claims.ArgTimeAfter:
			a.T, a.Prev = t0.Add(95*time.Minute), t0
		case claims.ArgDuration, claims.ArgTook:
			a.D = 95 * time.Minute
		case claims.ArgList:
			a.List = []string{"X-17", "X-18"}
		case claims.ArgClause:
			a.Why = []claims.Why{{Code: "no_origin"}}
		case claims.ArgClauses:
			a.Why = []claims.Why{{Code: "no_origin"}, {Code: "no_harvest"}}
		}
		w.Args = append(w.Args, a)
	}
	return w
}

// TestReasonMessages: every reason code of the claims package has a
// message in every language (TestMessages checks the languages agree),
// whose arguments are the code's: %d for a count, %s for the rest, plural
// forms chosen by a count.
func TestReasonMessages(t *testing.T) {
	for _, code := range claims.ReasonCodes() {
		if code == claims.Verbatim {
			continue
		}
		m, ok := messages["reason."+code]
		if !ok {
			t.Errorf("reason code %s has no message", code)
			continue
		}
		kinds := claims.ReasonArgs(code)
		forms := strings.Split(m.en, "|")
		got, err := verbs(forms[len(forms)-1])
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		if len(got) != len(kinds) {
			t.Errorf("%s: the message takes %d arguments, the code has %d", code, len(got), len(kinds))
		}
		for i, k := range kinds {
			want := "s"
			if k == claims.ArgCount {
				want = "d"
			}
			if got[i+1] != want {
				t.Errorf("%s: argument %d is %%%s, want %%%s", code, i+1, got[i+1], want)
			}
		}
		if len(forms) == 2 && kinds[max(m.arg, 1)-1] != claims.ArgCount {
			t.Errorf("%s: plural forms chosen by argument %d, which is not a count", code, max(m.arg, 1))
		}
	}
	for k := range reasonMessages {
		code, ok := strings.CutPrefix(k, "reason.")
		if ok && claims.ReasonArgs(code) == nil && !hasCode(code) {
			t.Errorf("message %s is of no reason code", k)
		}
	}
}

func hasCode(code string) bool {
	for _, c := range claims.ReasonCodes() {
		if c == code {
			return true
		}
	}
	return false
}

// asciiWord is a word of Latin letters.
var asciiWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// TestReasonsTranslated: no reason code falls back to English in zh-CN or
// de. Rendered with sample arguments (counts 1 and 2), a reason differs
// from its English text unless its wording has no words at all; the
// Chinese has no Latin word beyond its arguments' and "UTC"; the German
// none of the English wording's words that are not German too.
func TestReasonsTranslated(t *testing.T) {
	en, zh, de := LangOf("en"), LangOf("zh-CN"), LangOf("de")
	sharedDE := map[string]bool{"UTC": true, "min": true, "Min": true, "all": true}
	for _, code := range claims.ReasonCodes() {
		if code == claims.Verbatim {
			continue
		}
		enWords := asciiWord.FindAllString(messages["reason."+code].en, -1)
		for _, n := range []int{1, 2} {
			w := sampleWhy(code, n)
			e := en.Reason(w)
			for _, l := range []*Lang{zh, de} {
				if !l.localized(w) {
					t.Errorf("%s (%s): not localized", code, l.Code)
				}
				s := l.Reason(w)
				if s == e && len(enWords) > 0 {
					t.Errorf("%s (%s): %q is the English text", code, l.Code, s)
				}
				if strings.Contains(s, "%!") || strings.Contains(s, "reason.") {
					t.Errorf("%s (%s): badly formatted: %q", code, l.Code, s)
				}
			}
			for _, word := range asciiWord.FindAllString(zh.Reason(w), -1) {
				if word != "UTC" && word != "X" {
					t.Errorf("%s (zh-CN): Latin word %q in %q", code, word, zh.Reason(w))
				}
			}
			deText := de.Reason(w)
			for _, word := range enWords {
				if !sharedDE[word] && regexp.MustCompile(`\b`+word+`\b`).MatchString(deText) {
					t.Errorf("%s (de): English word %q in %q", code, word, deText)
				}
			}
		}
	}
}

// TestReasonRendering: reasons read naturally, with each language's
// numbers, dates, durations and plural forms.
func TestReasonRendering(t *testing.T) {
	en, zh, de := LangOf("en"), LangOf("zh-CN"), LangOf("de")
	t0 := time.Date(2026, 3, 2, 3, 10, 0, 0, time.UTC)
	hot := claims.Why{Code: "temp_above", Args: []claims.Arg{
		{Kind: claims.ArgTemp, C: 9.4}, {Kind: claims.ArgTime, T: t0}, {Kind: claims.ArgText, Text: "urn:tl:logger:van"}, {Kind: claims.ArgTemp, C: 7},
	}, Also: []claims.Why{{Code: "readings_outside", Args: []claims.Arg{{Kind: claims.ArgCount, N: 2}, {Kind: claims.ArgTemp, C: 2}, {Kind: claims.ArgTemp, C: 7}}}}}
	gap := claims.Why{Code: "gap_readings", Args: []claims.Arg{
		{Kind: claims.ArgDuration, D: 105 * time.Minute}, {Kind: claims.ArgTime, T: t0}, {Kind: claims.ArgTimeAfter, T: t0.Add(105 * time.Minute), Prev: t0},
		{Kind: claims.ArgText, Text: "S1"}, {Kind: claims.ArgDuration, D: time.Hour},
	}}
	kept := func(n int) claims.Why {
		return claims.Why{Code: "service_kept", Args: []claims.Arg{{Kind: claims.ArgCount, N: n}, {Kind: claims.ArgCount, N: 90},
			{Kind: claims.ArgDuration, D: 24 * time.Hour}, {Kind: claims.ArgTook, D: 20 * time.Second}}}
	}
	for _, tc := range []struct {
		l    *Lang
		w    claims.Why
		want string
	}{
		{en, hot, "Reading of 9.4 °C at 2 Mar 2026, 03:10 UTC (urn:tl:logger:van) exceeds 7 °C; 2 readings outside 2–7 °C"},
		{zh, hot, "2026年3月2日 03:10 UTC 的温度读数为 9.4 °C（记录仪 urn:tl:logger:van），高于上限 7 °C；共有 2 次读数超出 2–7 °C"},
		{de, hot, "Messwert von 9,4 °C am 02.03.2026, 03:10 UTC (urn:tl:logger:van) liegt über 7 °C; 2 Messwerte außerhalb von 2–7 °C"},
		{zh, gap, "运单 S1 在 2026年3月2日 03:10 UTC 至 04:55 UTC 之间有 1 小时 45 分钟没有温度读数（最长允许 1 小时）"},
		{de, gap, "1 Std. 45 Min. lang kein Messwert zwischen 02.03.2026, 03:10 UTC und 04:55 UTC bei der Sendung S1 (zulässig sind höchstens 1 Std.)"},
		{en, kept(1), "1 answered ticket in the last 90 days, answered within 24 h; the longest took under 1 min"},
		{de, kept(1), "1 Anfrage in den letzten 90 Tagen, innerhalb von 24 Std. beantwortet; die Antwort dauerte unter 1 Min."},
		{de, kept(3), "3 Anfragen in den letzten 90 Tagen, alle innerhalb von 24 Std. beantwortet; die längste Antwort dauerte unter 1 Min."},
		{zh, kept(3), "最近 90 天答复了 3 个工单，每个都在 24 小时内答复；最长一次用时 1 分钟以内"},
		{de, claims.Why{Code: "report_verdict", Args: []claims.Arg{{Kind: claims.ArgText, Text: "BFL-1"}, {Kind: claims.ArgText, Text: "fail"}}}, "Bericht BFL-1 hat das Ergebnis „nicht bestanden“"},
		{de, claims.Why{Code: claims.Verbatim, Args: []claims.Arg{{Kind: claims.ArgText, Text: "as recorded"}}}, "As recorded"},
	} {
		if got := tc.l.Reason(tc.w); got != tc.want {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.l.Code, tc.w.Code, got, tc.want)
		}
	}
	if r, _ := utf8First(de.Reason(claims.Why{Code: "no_origin"})); !unicode.IsUpper(r) {
		t.Errorf("a reason starts with a capital letter")
	}
}

func utf8First(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}
