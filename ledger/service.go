package ledger

import (
	"fmt"
	"regexp"
	"slices"
)

// After-sales service (claim kind ClaimService): a brand promises to
// answer consumers' complaints and questions within a time, and the ledger
// records each ticket's filing and the brand's answer as EPCIS events, so
// that every node judges the promise from the same events.
//
// Nothing personal is on the ledger. A ticket is known by a pseudonymous
// id the brand's node draws at random, and its message by a salted
// SHA-256 (ServiceExt.MessageSHA256): the text and its salt stay at the
// brand's node, off the ledger, and once the brand deletes them the hash
// links the ticket to nothing. The events name the product class only
// (https://id.gs1.org/01/{GTIN}), not the lot or unit, so that they are
// not among any lot's events (a lot's event chain is unchanged) and do not
// tie a ticket to a serial a shop may have sold to a known customer; the
// lot the consumer scanned is in ServiceExt.Lot. The product's service
// chain (servicechain.go) commits to its service events instead.

// ObjectServiceTicket keys the derived state of tickets: ticket id →
// ServiceTicket. It follows from the service events, so like
// ObjectLotEvent it is not in the payload.
const ObjectServiceTicket = "serviceticket"

// ServiceMember is the user extension member of a service event
// ("tl:service"), a ServiceExt.
const ServiceMember = "tl:service"

// Business steps of service events. CBV 2.0 has none for after-sales
// service, so they are trustline's own URIs.
const (
	BizStepServiceRequest  = "urn:trustline:bizstep:service_request"
	BizStepServiceResponse = "urn:trustline:bizstep:service_response"
)

// Steps of a ticket (ServiceExt.Step).
const (
	ServiceFiled    = "filed"
	ServiceAnswered = "answered"
)

// ServiceTopics are what a consumer may file, in a fixed order.
func ServiceTopics() []string { return []string{"question", "complaint", "refund"} }

// ServiceOutcomes are how a brand may close a ticket, in a fixed order.
func ServiceOutcomes() []string { return []string{"answered", "refunded", "replaced", "declined"} }

// ServiceExt is tl:service, what a service event records. Nested members
// carry the tl: prefix, like the other trustline extensions.
type ServiceExt struct {
	Ticket string `json:"tl:ticket"`
	Step   string `json:"tl:step"`
	// Topic is set when filed, Outcome when answered.
	Topic   string `json:"tl:topic,omitempty"`
	Outcome string `json:"tl:outcome,omitempty"`
	// MessageSHA256 is the salted hash of the consumer's message (filed)
	// or of the brand's answer (answered; optional): lower-case hex.
	MessageSHA256 string `json:"tl:messageSha256,omitempty"`
	// Lot is the Digital Link of the lot the consumer scanned (filed).
	Lot string `json:"tl:lot,omitempty"`
}

// ServiceRequest is Service:File's argument: the brand's node files a
// consumer's ticket about a lot or unit of one of the brand's products.
type ServiceRequest struct {
	Ticket string `json:"ticket"`
	// Subject is a lot or unit Digital Link.
	Subject       string `json:"subject"`
	Topic         string `json:"topic"`
	MessageSHA256 string `json:"messageSha256"`
}

// ServiceAnswer is Service:Answer's argument.
type ServiceAnswer struct {
	Ticket  string `json:"ticket"`
	Outcome string `json:"outcome"`
	// MessageSHA256 is the salted hash of the answer's text, if any.
	MessageSHA256 string `json:"messageSha256,omitempty" metadata:",optional"`
}

// ServiceTicket is a ticket's state, derived from its events.
type ServiceTicket struct {
	ID          string `json:"id"`
	GTIN        string `json:"gtin"`
	Lot         string `json:"lot"`
	Brand       string `json:"brand"`
	Topic       string `json:"topic"`
	FiledAt     string `json:"filedAt"`
	FiledEvent  string `json:"filedEvent"`
	Outcome     string `json:"outcome,omitempty" metadata:",optional"`
	AnsweredAt  string `json:"answeredAt,omitempty" metadata:",optional"`
	AnswerEvent string `json:"answerEvent,omitempty" metadata:",optional"`
}

var (
	ticketRE = regexp.MustCompile(`^tkt-[a-z2-7]{16,52}$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// CheckTicketID checks a ticket id: "tkt-" and 16 to 52 characters of
// lower-case base32 (a node draws 26, 128 random bits).
func CheckTicketID(id string) error {
	if !ticketRE.MatchString(id) {
		return fmt.Errorf("ticket id %q is not tkt- and 16 to 52 characters of lower-case base32", truncated(id))
	}
	return nil
}

// Check checks a ServiceRequest's fields other than the subject, which
// the chaincode resolves.
func (r ServiceRequest) Check() error {
	if err := CheckTicketID(r.Ticket); err != nil {
		return err
	}
	if !slices.Contains(ServiceTopics(), r.Topic) {
		return fmt.Errorf("topic %q is not one of %v", truncated(r.Topic), ServiceTopics())
	}
	if !sha256RE.MatchString(r.MessageSHA256) {
		return fmt.Errorf("messageSha256 %q is not 64 lower-case hex digits", truncated(r.MessageSHA256))
	}
	return nil
}

// Check checks a ServiceAnswer.
func (a ServiceAnswer) Check() error {
	if err := CheckTicketID(a.Ticket); err != nil {
		return err
	}
	if !slices.Contains(ServiceOutcomes(), a.Outcome) {
		return fmt.Errorf("outcome %q is not one of %v", truncated(a.Outcome), ServiceOutcomes())
	}
	if a.MessageSHA256 != "" && !sha256RE.MatchString(a.MessageSHA256) {
		return fmt.Errorf("messageSha256 %q is not 64 lower-case hex digits", truncated(a.MessageSHA256))
	}
	return nil
}

// ServiceParams parameterise service_within: every ticket filed in the
// last WindowDays (of one of Topics; all topics when empty) is answered
// within AnswerMinutes of its filing. Minutes, so that a promise of
// "within 24 h" is 1440 and tests need not wait hours.
type ServiceParams struct {
	AnswerMinutes int      `json:"answerMinutes"`
	WindowDays    int      `json:"windowDays"`
	Topics        []string `json:"topics,omitempty" metadata:",optional"`
}

// Limits of ServiceParams.
const (
	MaxServiceAnswerMinutes = 365 * 24 * 60
	MaxServiceWindowDays    = 3650
)

// Check checks service_within's parameters.
func (p *ServiceParams) Check() error {
	if p.AnswerMinutes < 1 || p.AnswerMinutes > MaxServiceAnswerMinutes {
		return fmt.Errorf("service.answerMinutes %d is outside 1 to %d", p.AnswerMinutes, MaxServiceAnswerMinutes)
	}
	if p.WindowDays < 1 || p.WindowDays > MaxServiceWindowDays {
		return fmt.Errorf("service.windowDays %d is outside 1 to %d", p.WindowDays, MaxServiceWindowDays)
	}
	for _, t := range p.Topics {
		if !slices.Contains(ServiceTopics(), t) {
			return fmt.Errorf("service topic %q is not one of %v", truncated(t), ServiceTopics())
		}
	}
	return nil
}

func truncated(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
