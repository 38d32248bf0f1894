package claims

import (
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// lab_tested (ledger.ClaimLabTested): a passing, recent report of a
// registered lab signer covering the analytes, on the lot or upstream.

// analyteMatch reports whether a measured analyte name is the wanted one:
// equal ignoring case, or the wanted name followed by a qualifier.
func analyteMatch(have, want string) bool {
	h, w := strings.ToLower(strings.TrimSpace(have)), strings.ToLower(strings.TrimSpace(want))
	return h == w || strings.HasPrefix(h, w+" ") || strings.HasPrefix(h, w+"(")
}

func (e *evaluation) labTested(p ledger.LabTestedParams) verdict {
	maxAge := time.Duration(p.MaxAgeDays) * 24 * time.Hour
	var notes []Why
	var fail *verdict
	for _, r := range e.reports(e.lotIDs()) {
		rep := r.Report
		var missing []string
		var failed []Why
		for _, want := range p.Analytes {
			i := slices.IndexFunc(rep.Analytes, func(a inspection.Analyte) bool { return analyteMatch(a.Name, want) })
			if i < 0 {
				missing = append(missing, want)
			} else if !rep.Analytes[i].Pass {
				a := rep.Analytes[i]
				failed = append(failed, why("analyte_over", argText(a.Name), argText(a.Value), argText(a.Unit), argText(a.Limit)))
			}
		}
		if len(missing) > 0 {
			notes = append(notes, why("report_lacks", argText(rep.ReportID), argList(missing)))
			continue
		}
		if _, not := e.signer(r.Signer); !not.IsZero() {
			if fail == nil {
				fail = &verdict{Fails, why("report_not_counted", argText(rep.ReportID), argClause(not)), []string{r.EventID}}
			}
			continue
		}
		if rep.Verdict != "pass" || len(failed) > 0 {
			reason := why("report_verdict", argText(rep.ReportID), argText(rep.Verdict))
			if len(failed) > 0 {
				reason = why("report_verdict_over", argText(rep.ReportID), argText(rep.Verdict), argClauses(failed))
			}
			return verdict{Fails, reason, []string{r.EventID}}
		}
		sampled, err := time.Parse(time.RFC3339Nano, rep.SampledAt)
		if err != nil {
			notes = append(notes, why("report_no_sampling", argText(rep.ReportID)))
			continue
		}
		if age := e.tr.At.Sub(sampled); age > maxAge {
			if fail == nil {
				fail = &verdict{Fails, why("report_too_old", argText(rep.ReportID), argTime(sampled), argDur(age), argCount(p.MaxAgeDays)), []string{r.EventID}}
			}
			continue
		}
		s, _ := e.signer(r.Signer)
		where := why("this_lot")
		if !slices.Contains(rep.Lots, e.tr.Lot.ID) && len(rep.Lots) > 0 {
			where = why("ingredient_lot", argText(rep.Lots[0]))
		}
		return verdict{Holds, why("lab_passed", argText(rep.ReportID), argText(s.Name), argText(s.Accreditation), argClause(where), argTime(sampled), argList(p.Analytes)), []string{r.EventID}}
	}
	if fail != nil {
		return *fail
	}
	reason := why("no_lab_report", argList(p.Analytes))
	if len(notes) > 0 {
		reason = why("no_lab_report_notes", argList(p.Analytes), argClauses(notes))
	}
	return verdict{status: Pending, why: reason}
}
