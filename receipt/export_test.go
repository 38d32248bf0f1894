package receipt

import (
	"testing"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// What the tests of package receipt_test take from package receipt's test
// fixtures: they run the tampering classes of package receipttest, which
// imports receipt, so package receipt's own tests cannot.

// TamperStory is the story's receipts (newStory): lot B's, the recalled
// lot, and the sources of receipttest.Cases.
type TamperStory struct {
	Lot  string // lot B
	Base []byte // lot B's receipt file
	// Other is lot A's receipt, carrying a claim about lot A; Older lot B's
	// from before its recall (its record counting 4 events).
	Other, Older *Receipt
	Opts         Options // Verify's options: the chain's when online
	// Wants are the messages TestTampering asserted on the story before its
	// table moved to package receipttest, by case name.
	Wants map[string]string
}

// NewTamperStory builds the story's receipts; online, lot B's windows are
// anchored on a simulated chain by 2 members.
func NewTamperStory(t testing.TB, online bool) *TamperStory {
	s := newStory(t)
	var c *chain
	out := &TamperStory{Lot: lotB}
	if online {
		c = newChain(t, 2)
		out.Opts = Options{Backend: c.b, Anchor: fast}
	}
	base, err := s.receipt(t, c).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out.Base = base
	// The other receipts' windows are lot B's (the same items): their
	// anchors are not needed.
	out.Other = buildBound(t, nil, Subject{DigitalLink: lotA, Lots: []string{lotA}}, s.items,
		func(it leafItem) bool { return it.id == s.aEvent.id || it.id == s.lotARecord.id }, func(leafItem) bool { return false })
	out.Other.Claims = []claims.Result{{Claim: "claim-A", Kind: ledger.ClaimLabTested, Wording: "Lab tested", Lot: lotA, Status: claims.Holds}}
	out.Older = buildBound(t, nil, Subject{DigitalLink: lotB, Lots: []string{lotB}}, s.items, func(it leafItem) bool {
		isB := it.id != s.aEvent.id && it.id != s.lotARecord.id
		return isB && it.id != s.ids["recall"] && (it.record == nil || it.id == s.olderB.id)
	}, func(leafItem) bool { return false })
	out.Wants = map[string]string{
		"untampered":                                     "",
		"recall event removed":                           "lot " + lotB + ": 4 of 5 events shown; missing its recall event " + s.ids["recall"],
		"breach reading removed":                         "4 of 5 events shown; missing its cold-chain breach event " + s.ids["breach"],
		"lot record removed with the recall":             "the receipt proves no record of the lot",
		"event added from another lot":                   "event " + s.aEvent.id + " names neither the subject lot",
		"event added from another lot as an ingredient":  "upstream event " + s.aEvent.id,
		"events reordered":                               "the 5 events shown are not the lot's as recorded",
		"subject changed to another lot":                 "names neither the subject lot " + lotA,
		"subject changed to a never-commissioned serial": "no proven commissioning event names unit",
		"txId swapped":                                   "event " + s.ids["ship"] + " in tx tx-B-1, block 9, with this content, is not the anchored leaf",
		"block swapped":                                  "event " + s.ids["ship"] + " in tx tx-B-2, block 10, with this content, is not the anchored leaf",
		"lot record's txId swapped":                      "lot record " + s.lotBRecord.id + " in tx tx-B-0",
		"certificationInfo changed":                      "event " + s.ids["inspect"] + " in tx tx-B-1, block 6, with this content, is not the anchored leaf",
		"claim about another lot":                        "claim claim-A is about lot " + lotA + ", the subject is lot " + lotB,
		"stale lot record": "lot " + lotB + ": the record shown (" + s.olderB.id + ") is stale: as of ledger block 19 the lot's latest record is " +
			s.lotBRecord.id,
		"state root changed":         "window 10..19's anchored root does not commit to state root",
		"state entry of another lot": "lot " + lotA + "'s entry (record " + s.lotBRecord.id + ") is not in the state of window 10..19",
	}
	return out
}

// Failures lists every failure of a report, "part: message".
func Failures(rep *Report) []string { return failures(rep) }
