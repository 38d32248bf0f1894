package apitest

import (
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
)

// Where GS1's binding cannot be checked as written, these adapt it without
// loosening it; each says why.

// discriminatedStub is GS1's schema stub with epcisDocument and
// epcisQueryDocument told apart by their type member, as the full schema
// tells them apart: the stub's two bare "type: object" make POST
// /capture's oneOf match both for every body, so no capture request could
// pass. Documents are checked against the full schema (CheckDocument).
func discriminatedStub(stub []byte) ([]byte, error) {
	var s map[string]any
	if err := json.Unmarshal(stub, &s); err != nil {
		return nil, err
	}
	defs, _ := s["definitions"].(map[string]any)
	for name, typ := range map[string]string{"epcisDocument": "EPCISDocument", "epcisQueryDocument": "EPCISQueryDocument"} {
		defs[name] = map[string]any{
			"type":       "object",
			"required":   []string{"type"},
			"properties": map[string]any{"type": map[string]any{"type": "string", "enum": []string{typ}}},
		}
	}
	return json.Marshal(s)
}

// flattenHeaderSchemas merges the binding's header schemas written as
// allOf (an example, then type and pattern): kin-openapi decodes a header
// by its schema's own type, finds none on an allOf and reads every such
// header as null, so every GS1-EPCIS-Version would fail.
func flattenHeaderSchemas(doc *openapi3.T) {
	for _, h := range doc.Components.Headers {
		if h == nil || h.Value == nil || h.Value.Schema == nil || h.Value.Schema.Value == nil {
			continue
		}
		s := h.Value.Schema.Value
		if s.Type != nil && len(*s.Type) > 0 || len(s.AllOf) == 0 {
			continue
		}
		merged := *s
		merged.AllOf = nil
		for _, sub := range s.AllOf {
			v := sub.Value
			if v == nil {
				continue
			}
			if v.Type != nil {
				merged.Type = v.Type
			}
			if v.Pattern != "" {
				merged.Pattern = v.Pattern
			}
			if v.Format != "" {
				merged.Format = v.Format
			}
			if v.Min != nil {
				merged.Min = v.Min
			}
			if v.Enum != nil {
				merged.Enum = v.Enum
			}
			if v.Example != nil {
				merged.Example = v.Example
			}
		}
		h.Value.Schema = openapi3.NewSchemaRef("", &merged)
	}
}

// fixCaptureJob makes CaptureJob's oneOf (errors, or an errorFile)
// require the member each branch is about: as written, both branches are
// bare property lists that every object matches, so no job could pass
// the oneOf.
func fixCaptureJob(doc *openapi3.T) {
	job := doc.Components.Schemas["CaptureJob"]
	if job == nil || job.Value == nil {
		return
	}
	for _, part := range job.Value.AllOf {
		if part.Value == nil {
			continue
		}
		for _, branch := range part.Value.OneOf {
			if b := branch.Value; b != nil && len(b.Required) == 0 && len(b.Properties) == 1 {
				for name := range b.Properties {
					b.Required = []string{name}
				}
			}
		}
	}
}

// fix409 corrects 409ResourceAlreadyExistsException, whose status member
// is declared as enum [406] (a copy of 406NotAcceptable's) although the
// response and its example are 409.
func fix409(doc *openapi3.T) {
	r := doc.Components.Responses["409ResourceAlreadyExistsException"]
	if r == nil || r.Value == nil {
		return
	}
	for _, mt := range r.Value.Content {
		if mt.Schema == nil || mt.Schema.Value == nil {
			continue
		}
		for _, part := range mt.Schema.Value.AllOf {
			if part.Value == nil {
				continue
			}
			if st := part.Value.Properties["status"]; st != nil && st.Value != nil && len(st.Value.Enum) == 1 && st.Value.Enum[0] == float64(406) {
				fixed := *st.Value
				fixed.Enum, fixed.Default = []any{float64(409)}, float64(409)
				part.Value.Properties["status"] = openapi3.NewSchemaRef("", &fixed)
			}
		}
	}
}
