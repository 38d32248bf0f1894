package epcis

import "github.com/trustline/trustline/gs1/digitallink"

// Role says where an event names an identifier.
type Role byte

// Roles of the identifiers an event names.
const (
	// RoleParent: the parentID (the logistic unit packed or unpacked).
	RoleParent Role = 'p'
	// RoleEPC: an instance in epcList, childEPCs, inputEPCList or
	// outputEPCList.
	RoleEPC Role = 'e'
	// RoleClass: the epcClass of an element of quantityList,
	// childQuantityList, inputQuantityList or outputQuantityList.
	RoleClass Role = 'c'
)

// Identifier is one identifier an event names, in canonical form
// (digitallink.Canonical), with where it names it.
type Identifier struct {
	ID   string
	Role Role
}

// Identifiers returns every identifier e names, canonical: the parentID,
// the EPCs of its four EPC lists and the classes of its four quantity
// lists, in that order; empty values are left out. It is the one rule for
// what an event concerns: the node's index keys events by it, and the
// claims evaluator and the receipt verifier decide with it which events
// are about a lot, so that they cannot disagree.
func (e *Event) Identifiers() []Identifier {
	var out []Identifier
	add := func(s string, r Role) {
		if s != "" {
			out = append(out, Identifier{ID: digitallink.Canonical(s), Role: r})
		}
	}
	add(e.ParentID, RoleParent)
	for _, l := range [][]string{e.EPCList, e.ChildEPCs, e.InputEPCList, e.OutputEPCList} {
		for _, s := range l {
			add(s, RoleEPC)
		}
	}
	for _, l := range [][]QuantityElement{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
		for _, q := range l {
			add(q.EPCClass, RoleClass)
		}
	}
	return out
}

// IdentifierIDs returns the canonical identifiers of Identifiers, without
// their roles.
func (e *Event) IdentifierIDs() []string {
	ids := e.Identifiers()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.ID
	}
	return out
}
