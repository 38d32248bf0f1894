package claims

import (
	"regexp"
	"strings"
	"testing"

	"github.com/trustline/trustline/ledger"
)

// checkWhy fails t unless w, and every clause in it, has a known code
// with arguments of the code's kinds.
func checkWhy(t *testing.T, w Why) {
	t.Helper()
	kinds := ReasonArgs(w.Code)
	if _, ok := reasonDefs[w.Code]; !ok {
		t.Errorf("reason code %q is not defined", w.Code)
		return
	}
	if len(w.Args) != len(kinds) {
		t.Errorf("%s: %d arguments, want %d", w.Code, len(w.Args), len(kinds))
		return
	}
	for i, a := range w.Args {
		if a.Kind != kinds[i] {
			t.Errorf("%s: argument %d is of kind %d, want %d", w.Code, i+1, a.Kind, kinds[i])
		}
		for _, c := range a.Why {
			checkWhy(t, c)
		}
	}
	for _, c := range w.Also {
		checkWhy(t, c)
	}
}

var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?([a-zA-Z%])`)

// TestReasonDefs: every code's English wording takes exactly its
// arguments, as %s, in each plural form, and plural forms follow a count.
func TestReasonDefs(t *testing.T) {
	for _, code := range ReasonCodes() {
		d := reasonDefs[code]
		forms := strings.Split(d.en, "|")
		if len(forms) > 2 {
			t.Errorf("%s: %d plural forms", code, len(forms))
		}
		if len(forms) == 2 && (len(d.args) == 0 || d.args[0] != ArgCount) {
			t.Errorf("%s: plural forms, but the first argument is not a count", code)
		}
		for _, f := range forms {
			seen := map[int]bool{}
			next := 1
			for _, m := range verbRE.FindAllStringSubmatch(f, -1) {
				if m[2] != "s" {
					t.Errorf("%s: verb %%%s; English wordings use %%s", code, m[2])
				}
				i := next
				if m[1] != "" {
					i = int(m[1][0] - '0')
				}
				seen[i] = true
				next = i + 1
			}
			if len(seen) != len(d.args) {
				t.Errorf("%s: %q uses %d arguments, the code has %d", code, f, len(seen), len(d.args))
			}
		}
	}
}

// TestOverallWhy: Overall's text is its Why in English, and a result
// without a Why is quoted.
func TestOverallWhy(t *testing.T) {
	held := Result{Wording: "Cold chain", Status: Holds, Reason: "no origin is recorded yet", Why: why("no_origin")}
	bare := Result{Wording: "Organic", Status: Pending, Reason: "no certificate"}
	st, w := OverallWhy(ledger.LotSummary{}, []Result{held, bare})
	if st != Pending || w.Code != "claim_reason" || w.Args[1].Why[0].Code != Verbatim || w.String() != "Organic: no certificate" {
		t.Errorf("OverallWhy = %s %+v (%q)", st, w, w.String())
	}
	checkWhy(t, w)
	if _, w := OverallWhy(ledger.LotSummary{}, []Result{held}); w.Code != "no_origin" {
		t.Errorf("one claim: %+v", w)
	}
}
