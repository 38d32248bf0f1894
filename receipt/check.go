package receipt

import _ "embed" // check.js

// checkJS is the consumer page's receipt check, in JavaScript (see
// CheckJS).
//
//go:embed check.js
var checkJS string

// CheckJS is Verify's offline checks in JavaScript, for a browser: the
// consumer page runs it on the receipt it fetches, so that a shopper sees
// whether the lot's history shown is complete and current without
// installing anything. It defines TL.check(receipt[, lot]), which resolves
// to {ok, parts, fails, complete, fresh, asOf, lots, events}. It leaves out
// what bound leaves make redundant against a changed receipt (recomputing
// CBV event hashes and record ids) and what a page cannot do (signatures,
// claims, the chain); TestBrowserCheck holds its verdicts to Verify's on
// every tampering class of TestTampering.
func CheckJS() string { return checkJS }
