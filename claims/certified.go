package claims

import (
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// certified (ledger.ClaimCertified): a current certificate of a scheme
// for every origin, issued as a signed report of a registered signer.
func (e *evaluation) certified(p ledger.CertifiedParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, why: why("no_origin")}
	}
	valid := time.Duration(p.ValidDays) * 24 * time.Hour
	scheme := strings.ToLower(p.Scheme)
	var ev []string
	var names []Why
	for _, o := range e.origins {
		var best *verdict
		for _, r := range e.reports([]string{digitallink.Canonical(o.ID)}) {
			rep := r.Report
			if !strings.Contains(strings.ToLower(rep.Standard), scheme) {
				continue
			}
			s, not := e.signer(r.Signer)
			issued, err := time.Parse(time.RFC3339Nano, rep.IssuedAt)
			switch {
			case !not.IsZero():
				best = &verdict{Fails, why("cert_not_counted", argText(rep.ReportID), argText(o.Origin.Producer), argClause(not)), []string{r.EventID}}
			case rep.Verdict != "pass":
				best = &verdict{Fails, why("cert_verdict", argText(rep.ReportID), argText(o.Origin.Producer), argText(rep.Verdict)), []string{r.EventID}}
			case err != nil || issued.After(e.tr.At):
				continue
			case e.tr.At.Sub(issued) > valid:
				best = &verdict{Fails, why("cert_expired", argText(rep.ReportID), argText(o.Origin.Producer), argTime(issued), argCount(p.ValidDays)), []string{r.EventID}}
			default:
				best = &verdict{status: Holds, evidence: []string{r.EventID}}
				names = append(names, why("cert_entry", argText(rep.ReportID), argText(s.Name), argTime(issued)))
			}
			if best.status == Holds {
				break
			}
		}
		if best == nil {
			return verdict{status: Pending, why: why("no_cert", argText(p.Scheme), argText(o.Origin.Producer))}
		}
		if best.status != Holds {
			return *best
		}
		ev = append(ev, best.evidence...)
	}
	return verdict{Holds, why("cert_current", argText(p.Scheme), argClauses(names)), ev}
}
