package claims

import (
	"fmt"
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
	var notes []string
	var fail *verdict
	for _, r := range e.reports(e.lotIDs()) {
		rep := r.Report
		var missing []string
		var failed []string
		for _, want := range p.Analytes {
			i := slices.IndexFunc(rep.Analytes, func(a inspection.Analyte) bool { return analyteMatch(a.Name, want) })
			if i < 0 {
				missing = append(missing, want)
			} else if !rep.Analytes[i].Pass {
				failed = append(failed, fmt.Sprintf("%s %s %s over the limit %s", rep.Analytes[i].Name, rep.Analytes[i].Value, rep.Analytes[i].Unit, rep.Analytes[i].Limit))
			}
		}
		if len(missing) > 0 {
			notes = append(notes, fmt.Sprintf("report %s does not cover %s", rep.ReportID, strings.Join(missing, ", ")))
			continue
		}
		if _, why := e.signer(r.Signer); why != "" {
			if fail == nil {
				fail = &verdict{Fails, fmt.Sprintf("report %s does not count: %s", rep.ReportID, why), []string{r.EventID}}
			}
			continue
		}
		if rep.Verdict != "pass" || len(failed) > 0 {
			reason := fmt.Sprintf("report %s has verdict %s", rep.ReportID, rep.Verdict)
			if len(failed) > 0 {
				reason += ": " + strings.Join(failed, "; ")
			}
			return verdict{Fails, reason, []string{r.EventID}}
		}
		sampled, err := time.Parse(time.RFC3339Nano, rep.SampledAt)
		if err != nil {
			notes = append(notes, fmt.Sprintf("report %s has no readable sampling time", rep.ReportID))
			continue
		}
		if age := e.tr.At.Sub(sampled); age > maxAge {
			if fail == nil {
				fail = &verdict{Fails, fmt.Sprintf("report %s was sampled on %s, %s ago, older than %d days", rep.ReportID, stamp(sampled), dur(age), p.MaxAgeDays), []string{r.EventID}}
			}
			continue
		}
		s, _ := e.signer(r.Signer)
		where := "this lot"
		if !slices.Contains(rep.Lots, e.tr.Lot.ID) && len(rep.Lots) > 0 {
			where = "ingredient lot " + rep.Lots[0]
		}
		return verdict{Holds, fmt.Sprintf("report %s by %s (%s), sampled from %s on %s, passes %s", rep.ReportID, s.Name, s.Accreditation, where, stamp(sampled), strings.Join(p.Analytes, ", ")), []string{r.EventID}}
	}
	if fail != nil {
		return *fail
	}
	reason := "no report of a registered lab signer covering " + strings.Join(p.Analytes, ", ") + " is recorded yet"
	if len(notes) > 0 {
		reason += " (" + strings.Join(notes, "; ") + ")"
	}
	return verdict{status: Pending, reason: reason}
}
