package receipt

import (
	"errors"
	"fmt"

	"github.com/trustline/trustline/ledger"
)

// PartService is the completeness of the product's service events: the
// service events a receipt shows against the count and chain of its
// proven service chain record (ledger.ServiceChain).
const PartService Part = "service"

// ErrServiceIncomplete is returned when the service events a receipt shows
// of its product are not exactly those the product's proven service chain
// commits to: one is missing (a ticket, or an answer, cut), added or out
// of order, or a version 5 receipt with service_within claims proves no
// service chain at all.
var ErrServiceIncomplete = errors.New("receipt: service events incomplete")

// ServiceVerdict is the completeness check of the service events of the
// receipt's product.
type ServiceVerdict struct {
	Product  string `json:"product"`
	RecordID string `json:"recordId,omitempty"`
	// Events is how many service events the chain counts, Shown how many
	// proven service events of the product the receipt shows.
	Events   int          `json:"events"`
	Shown    int          `json:"shown"`
	Failures []*PartError `json:"failures,omitempty"`
}

// OK reports whether the product's service events are complete.
func (v *ServiceVerdict) OK() bool { return v == nil || len(v.Failures) == 0 }

// versionServiceChain is the first receipt format whose service_within
// claims rest on a proven service chain.
const versionServiceChain = 5

// hasServiceClaims reports whether r carries a service_within verdict.
func (r *Receipt) hasServiceClaims() bool {
	for _, c := range r.Claims {
		if c.Kind == ledger.ClaimService {
			return true
		}
	}
	return false
}

// verifyService checks, for the subject's product, that the proven
// service events of the product, in the receipt's order (ledger order),
// are exactly those its latest proven service chain record commits to.
// A version 5 receipt with service_within claims must prove the record. It
// returns nil when there is nothing to check, and the record it went by,
// by state key, whose freshness verifyState checks.
func verifyService(r *Receipt, rep *Report, records []any) (*ServiceVerdict, map[string]string) {
	lot, _, err := subjectOf(r.Subject)
	if err != nil {
		return nil, nil // verifySubject says so
	}
	var latest *ledger.ServiceChain
	id := ""
	for i, rec := range r.Records {
		if i >= len(rep.Records) || !rep.Records[i].OK() {
			continue
		}
		if sc, ok := records[i].(*ledger.ServiceChain); ok && sc.GTIN == lot.GTIN && (latest == nil || sc.Events > latest.Events) {
			latest, id = sc, rec.RecordID
		}
	}
	product := "https://id.gs1.org/01/" + lot.GTIN
	if latest == nil {
		if r.Version >= versionServiceChain && r.hasServiceClaims() {
			return &ServiceVerdict{Product: product, Failures: []*PartError{{Part: PartService, Anchor: -1,
				Err: fmt.Errorf("%w: product %s: the receipt proves no service record of the product, so nothing shows that no service event is missing", ErrServiceIncomplete, product)}}}, nil
		}
		return nil, nil
	}
	v := &ServiceVerdict{Product: product, RecordID: id, Events: latest.Events}
	chain := ""
	seen := map[string]bool{}
	for i, e := range r.Events {
		if !e.Service || seen[e.EventID] || i >= len(rep.Verdicts) || !rep.Verdicts[i].OK() || !serviceOf(e.Event, lot.GTIN+"/"+lot.Lot) {
			continue
		}
		seen[e.EventID] = true
		chain = ledger.NextEventChain(chain, e.EventID)
	}
	v.Shown = len(seen)
	fail := func(format string, args ...any) {
		v.Failures = append(v.Failures, &PartError{Part: PartService, Anchor: -1, Err: fmt.Errorf("%w: product %s: "+format, append([]any{ErrServiceIncomplete, product}, args...)...)})
	}
	switch {
	case v.Shown == latest.Events && chain == latest.EventChain:
	case v.Shown < latest.Events:
		fail("service event missing: %d of the %d service events its service record counts are shown (a ticket or an answer was left out)", v.Shown, latest.Events)
	case v.Shown > latest.Events:
		fail("%d service events shown, its service record counts %d: events added that are not the product's", v.Shown, latest.Events)
	default:
		fail("the %d service events shown are not the product's as recorded (reordered or replaced): they chain to %s, the service record to %s", v.Shown, short(chain), short(latest.EventChain))
	}
	return v, map[string]string{ledger.ServiceStateKey(lot.GTIN): id}
}
