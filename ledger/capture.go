package ledger

// ObjectSourceEvent keys the derived index of captured events: the id a
// member's own system gave an event it captured through a node's EPCIS
// capture interface (its eventID, or without one its CBV event hash) →
// the id of the EPCIS event the contract recorded for it. It follows from
// the recorded event's SourceEventIDMember, so like ObjectLotEvent it is
// not in the payload.
const ObjectSourceEvent = "sourceevent"

// SourceEventIDMember is the user extension member of a recorded EPCIS
// event that names the captured event it states ("tl:sourceEventID").
const SourceEventIDMember = "tl:sourceEventID"

// CaptureRecord is Capture:Record's result: the captured event's id and
// the id of the event the contract recorded for it with Function.
type CaptureRecord struct {
	SourceEventID string `json:"sourceEventId"`
	EventID       string `json:"eventId"`
	Function      string `json:"function"`
}
