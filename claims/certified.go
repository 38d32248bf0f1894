package claims

import (
	"fmt"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// certified (ledger.ClaimCertified): a current certificate of a scheme
// for every origin, issued as a signed report of a registered signer.
func (e *evaluation) certified(p ledger.CertifiedParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, reason: "no origin is recorded yet"}
	}
	valid := time.Duration(p.ValidDays) * 24 * time.Hour
	scheme := strings.ToLower(p.Scheme)
	var ev []string
	var names []string
	for _, o := range e.origins {
		var best *verdict
		for _, r := range e.reports([]string{digitallink.Canonical(o.ID)}) {
			rep := r.Report
			if !strings.Contains(strings.ToLower(rep.Standard), scheme) {
				continue
			}
			s, why := e.signer(r.Signer)
			issued, err := time.Parse(time.RFC3339Nano, rep.IssuedAt)
			switch {
			case why != "":
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s does not count: %s", rep.ReportID, o.Origin.Producer, why), []string{r.EventID}}
			case rep.Verdict != "pass":
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s has verdict %s", rep.ReportID, o.Origin.Producer, rep.Verdict), []string{r.EventID}}
			case err != nil || issued.After(e.tr.At):
				continue
			case e.tr.At.Sub(issued) > valid:
				best = &verdict{Fails, fmt.Sprintf("certificate %s for %s, issued %s, expired after %d days", rep.ReportID, o.Origin.Producer, stamp(issued), p.ValidDays), []string{r.EventID}}
			default:
				best = &verdict{status: Holds, evidence: []string{r.EventID}}
				names = append(names, fmt.Sprintf("%s by %s, issued %s", rep.ReportID, s.Name, stamp(issued)))
			}
			if best.status == Holds {
				break
			}
		}
		if best == nil {
			return verdict{status: Pending, reason: fmt.Sprintf("no %s certificate for the origin producer %s is recorded yet", p.Scheme, o.Origin.Producer)}
		}
		if best.status != Holds {
			return *best
		}
		ev = append(ev, best.evidence...)
	}
	return verdict{Holds, fmt.Sprintf("current %s certificate: %s", p.Scheme, strings.Join(names, "; ")), ev}
}
