package epcis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"time"
)

// Validate checks the rules of EPCIS 2.0 that the chaincode relies on:
// required fields per event type, fields a type does not have, action
// values, RFC 3339 timestamps with offset, the ±hh:mm time zone offset,
// non-negative quantities, finite sensor values and well-formed extension
// members. All faults are reported, joined, in field order; each is an
// *Error naming its field.
func (e *Event) Validate() error {
	v := &validator{}
	v.event(e)
	return errors.Join(v.errs...)
}

// Validate checks the document header and every event.
func (d *Document) Validate() error {
	v := &validator{}
	if d.Type != "EPCISDocument" {
		v.add("type", fmt.Sprintf("is %q, want EPCISDocument", d.Type))
	}
	if d.SchemaVersion != "2.0" {
		v.add("schemaVersion", fmt.Sprintf("is %q, want 2.0", d.SchemaVersion))
	}
	v.timestamp("creationDate", d.CreationDate, true)
	v.rawJSON("@context", d.Context)
	for i := range d.EPCISBody.EventList {
		sub := &validator{}
		sub.event(&d.EPCISBody.EventList[i])
		for _, err := range sub.errs {
			v.errs = append(v.errs, prefixField(err, "epcisBody.eventList["+itoa(i)+"]"))
		}
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) add(field, reason string) {
	v.errs = append(v.errs, &Error{Field: field, Reason: reason})
}

var offsetRE = regexp.MustCompile(`^[+-](\d{2}):(\d{2})$`)

// eventFieldsByType lists the type-specific members each event type has.
var eventFieldsByType = map[string]map[string]bool{
	ObjectEvent:         set("epcList", "quantityList", "ilmd"),
	AggregationEvent:    set("parentID", "childEPCs", "childQuantityList"),
	TransactionEvent:    set("parentID", "epcList", "quantityList"),
	TransformationEvent: set("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList", "transformationID", "ilmd"),
	AssociationEvent:    set("parentID", "childEPCs", "childQuantityList"),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func (v *validator) event(e *Event) {
	allowed, known := eventFieldsByType[e.Type]
	if !known {
		v.add("type", fmt.Sprintf("unknown event type %q", e.Type))
	}
	v.rawJSON("@context", e.Context)
	if e.EventID != "" && !isExtensionName(e.EventID) {
		v.add("eventID", fmt.Sprintf("%q is not a URI", e.EventID))
	}
	v.timestamp("eventTime", e.EventTime, true)
	v.offset(e.EventTimeZoneOffset)
	v.timestamp("recordTime", e.RecordTime, false)
	for i, c := range e.CertificationInfo {
		v.nonEmpty("certificationInfo["+itoa(i)+"]", c)
	}
	if d := e.ErrorDeclaration; d != nil {
		v.timestamp("errorDeclaration.declarationTime", d.DeclarationTime, true)
		for i, id := range d.CorrectiveEventIDs {
			v.nonEmpty("errorDeclaration.correctiveEventIDs["+itoa(i)+"]", id)
		}
		v.extensions("errorDeclaration", d.Extensions)
	}

	// Members the type does not have.
	present := map[string]bool{
		"epcList": len(e.EPCList) > 0, "quantityList": len(e.QuantityList) > 0,
		"parentID": e.ParentID != "", "childEPCs": len(e.ChildEPCs) > 0,
		"childQuantityList": len(e.ChildQuantityList) > 0,
		"inputEPCList":      len(e.InputEPCList) > 0, "inputQuantityList": len(e.InputQuantityList) > 0,
		"outputEPCList": len(e.OutputEPCList) > 0, "outputQuantityList": len(e.OutputQuantityList) > 0,
		"transformationID": e.TransformationID != "", "ilmd": len(e.ILMD) > 0,
	}
	if known {
		names := make([]string, 0, len(present))
		for n := range present {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if present[n] && !allowed[n] {
				v.add(n, "not allowed in "+e.Type)
			}
		}
	}

	// Action.
	switch {
	case e.Type == TransformationEvent:
		if e.Action != "" {
			v.add("action", "not allowed in TransformationEvent")
		}
	case e.Action == "":
		v.add("action", "required")
	case e.Action != ActionAdd && e.Action != ActionObserve && e.Action != ActionDelete:
		v.add("action", fmt.Sprintf("%q is not ADD, OBSERVE or DELETE", e.Action))
	}

	// What each type must identify.
	children := len(e.ChildEPCs) + len(e.ChildQuantityList)
	switch e.Type {
	case ObjectEvent:
		if len(e.EPCList)+len(e.QuantityList) == 0 {
			v.add("epcList", "ObjectEvent needs epcList or quantityList")
		}
		if len(e.ILMD) > 0 && e.Action != ActionAdd {
			v.add("ilmd", "only allowed when action is ADD")
		}
	case AggregationEvent:
		if e.ParentID == "" && e.Action != ActionObserve {
			v.add("parentID", "required when action is "+e.Action)
		}
		if children == 0 && e.Action == ActionAdd {
			v.add("childEPCs", "ADD needs childEPCs or childQuantityList")
		}
	case AssociationEvent:
		if e.ParentID == "" {
			v.add("parentID", "required")
		}
		if children == 0 && e.Action == ActionAdd {
			v.add("childEPCs", "ADD needs childEPCs or childQuantityList")
		}
	case TransactionEvent:
		if len(e.BizTransactionList) == 0 {
			v.add("bizTransactionList", "TransactionEvent needs at least one business transaction")
		}
		if len(e.EPCList)+len(e.QuantityList) == 0 {
			v.add("epcList", "TransactionEvent needs epcList or quantityList")
		}
	case TransformationEvent:
		in := len(e.InputEPCList) + len(e.InputQuantityList)
		out := len(e.OutputEPCList) + len(e.OutputQuantityList)
		switch {
		case e.TransformationID == "" && (in == 0 || out == 0):
			v.add("inputEPCList", "TransformationEvent without transformationID needs inputs and outputs")
		case in+out == 0:
			v.add("inputEPCList", "TransformationEvent needs inputs or outputs")
		}
	}

	v.epcs("epcList", e.EPCList)
	v.epcs("childEPCs", e.ChildEPCs)
	v.epcs("inputEPCList", e.InputEPCList)
	v.epcs("outputEPCList", e.OutputEPCList)
	v.quantities("quantityList", e.QuantityList)
	v.quantities("childQuantityList", e.ChildQuantityList)
	v.quantities("inputQuantityList", e.InputQuantityList)
	v.quantities("outputQuantityList", e.OutputQuantityList)

	if p := e.PersistentDisposition; p != nil {
		v.epcs("persistentDisposition.set", p.Set)
		v.epcs("persistentDisposition.unset", p.Unset)
	}
	v.location("readPoint", e.ReadPoint)
	v.location("bizLocation", e.BizLocation)
	for i, b := range e.BizTransactionList {
		v.nonEmpty("bizTransactionList["+itoa(i)+"].bizTransaction", b.BizTransaction)
	}
	for i, s := range e.SourceList {
		v.nonEmpty("sourceList["+itoa(i)+"].type", s.Type)
		v.nonEmpty("sourceList["+itoa(i)+"].source", s.Source)
	}
	for i, d := range e.DestinationList {
		v.nonEmpty("destinationList["+itoa(i)+"].type", d.Type)
		v.nonEmpty("destinationList["+itoa(i)+"].destination", d.Destination)
	}
	for i := range e.SensorElementList {
		v.sensorElement("sensorElementList["+itoa(i)+"]", &e.SensorElementList[i])
	}
	v.members("ilmd", e.ILMD)
	v.extensions("", e.Extensions)
}

func (v *validator) nonEmpty(field, s string) {
	if s == "" {
		v.add(field, "required")
	}
}

func (v *validator) epcs(field string, list []string) {
	for i, s := range list {
		v.nonEmpty(field+"["+itoa(i)+"]", s)
	}
}

// timestamp requires RFC 3339 with an explicit offset ("Z" or ±hh:mm).
func (v *validator) timestamp(field, s string, required bool) {
	if s == "" {
		if required {
			v.add(field, "required")
		}
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		v.add(field, fmt.Sprintf("%q is not an RFC 3339 timestamp with time zone offset", s))
	}
}

func (v *validator) offset(s string) {
	if s == "" {
		v.add("eventTimeZoneOffset", "required")
		return
	}
	m := offsetRE.FindStringSubmatch(s)
	if m == nil {
		v.add("eventTimeZoneOffset", fmt.Sprintf("%q is not of the form ±hh:mm", s))
		return
	}
	h, mm := (m[1][0]-'0')*10+m[1][1]-'0', (m[2][0]-'0')*10+m[2][1]-'0'
	if mm > 59 || h > 14 || h == 14 && mm > 0 {
		v.add("eventTimeZoneOffset", fmt.Sprintf("%q is outside -14:00..+14:00", s))
	}
}

func (v *validator) quantities(field string, list []QuantityElement) {
	for i, q := range list {
		f := field + "[" + itoa(i) + "]"
		v.nonEmpty(f+".epcClass", q.EPCClass)
		if q.Quantity != nil {
			v.number(f+".quantity", *q.Quantity)
			if *q.Quantity < 0 {
				v.add(f+".quantity", "must not be negative")
			}
		} else if q.UOM != "" {
			v.add(f+".uom", "not allowed without quantity")
		}
	}
}

func (v *validator) number(field string, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		v.add(field, "must be a finite number")
	}
}

func (v *validator) location(field string, l *Location) {
	if l == nil {
		return
	}
	v.nonEmpty(field+".id", l.ID)
	v.extensions(field, l.Extensions)
}

func (v *validator) sensorElement(field string, s *SensorElement) {
	if m := s.SensorMetadata; m != nil {
		v.timestamp(field+".sensorMetadata.time", m.Time, false)
		v.timestamp(field+".sensorMetadata.startTime", m.StartTime, false)
		v.timestamp(field+".sensorMetadata.endTime", m.EndTime, false)
		v.extensions(field+".sensorMetadata", m.Extensions)
	}
	if len(s.SensorReport) == 0 {
		v.add(field+".sensorReport", "at least one sensor report is required")
	}
	for i := range s.SensorReport {
		r := &s.SensorReport[i]
		f := field + ".sensorReport[" + itoa(i) + "]"
		v.timestamp(f+".time", r.Time, false)
		for _, n := range []struct {
			name string
			x    *float64
		}{{"value", r.Value}, {"minValue", r.MinValue}, {"maxValue", r.MaxValue},
			{"meanValue", r.MeanValue}, {"sDev", r.SDev}, {"percRank", r.PercRank}, {"percValue", r.PercValue}} {
			if n.x != nil {
				v.number(f+"."+n.name, *n.x)
			}
		}
		if !isHex(r.HexBinaryValue) {
			v.add(f+".hexBinaryValue", fmt.Sprintf("%q is not hexadecimal", r.HexBinaryValue))
		}
		v.extensions(f, r.Extensions)
	}
	v.extensions(field, s.Extensions)
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// extensions checks user extension members: "prefix:name" with a JSON value.
func (v *validator) extensions(field string, ext map[string]json.RawMessage) {
	v.members(field, ext)
}

func (v *validator) members(field string, m map[string]json.RawMessage) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := k
		if field != "" {
			f = field + "." + k
		}
		if !isExtensionName(k) {
			v.add(f, `member name must have the form "prefix:name"`)
		}
		if !json.Valid(m[k]) {
			v.add(f, "value is not valid JSON")
		}
	}
}

func (v *validator) rawJSON(field string, raw json.RawMessage) {
	if raw != nil && !json.Valid(raw) {
		v.add(field, "is not valid JSON")
	}
}
