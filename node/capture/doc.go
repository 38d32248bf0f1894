// Package capture is the capture side of GS1's EPCIS 2.0 REST binding on a
// member node: POST /capture (an EPCISDocument, answered 202 with a
// capture job), GET /capture and GET /capture/{captureID} (the jobs:
// running, success, per-event errors and results), OPTIONS /capture (the
// GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit and
// GS1-Capture-Error-Behaviour it supports) and POST /events (one event,
// synchronously: 201 with its Location, 409 when it is already recorded).
//
// # Events become contract calls
//
// The ledger does not store arbitrary EPCIS events: the consortium's
// contract states facts (a batch's origin, a custody hand-off, readings,
// a transformation, packing, a lab's signed inspection, serialised units)
// and records the EPCIS event of each itself. Map turns each captured
// event into the call of the function that states it, with the arguments
// the CLI would give, and the node submits it through its organisation's
// gateway as that organisation (package client, Capture:Record), so the
// contract applies the same validation and the same authorisation as to
// the CLI. An event the contract cannot state (a TransactionEvent, an
// AssociationEvent, a business step it has no function for, an SGTIN
// without lot, an error declaration, …) is rejected with a problem naming
// the event and the part.
//
// # Ids and duplicates
//
// A captured event's id is its eventID or, without one, its CBV event
// hash (epcis.Current). The contract refuses an id that is already on the
// ledger before it runs the function, so an event is recorded at most
// once: captured again it is reported as a duplicate, with the id of the
// event recorded for it; two captures racing for it are serialised by
// Fabric's read-set validation. The recorded event carries the captured
// id as tl:sourceEventID (ledger.SourceEventIDMember); its own eventID is,
// like every recorded event's, the CBV hash of what the contract states
// (its eventTime is the transaction time), so that receipts keep proving
// events by content.
//
// # Rollback on a ledger
//
// GS1-Capture-Error-Behaviour: rollback (the default) is all or nothing
// as far as a ledger allows: every event is parsed, checked and mapped
// before any is submitted, and if one fails nothing is submitted at all.
// Events are then submitted one transaction each. A committed transaction
// cannot be undone, so if the contract refuses an event at submission
// (custody moved meanwhile, say), the events recorded before it stay
// recorded, the rest are not submitted, and the job reports exactly that
// ("Rollback incomplete"). With proceed, every event that can be recorded
// is.
//
// # Pipelining
//
// One transaction at a time waits a block for every event. A job instead
// submits an event as soon as the events it may depend on are committed,
// up to Options.Concurrency at once, so that independent events share
// blocks: an event stating a fact about lots alone (a batch's origin,
// readings of a lot, units, an inspection: Call.Lots) waits for the
// earlier events of the same lots; any other event (shipping, receiving,
// packing, a transformation, anything naming a logistic unit) waits for
// every earlier event, and every later event waits for it. So a document
// is recorded in its own order wherever order can matter (a batch is
// created before it is shipped, readings of a lot keep their order), and
// readings of different lots may commit in either order, as they would
// from two clients. Under rollback, the events in flight when one is
// refused complete and are reported; no later one is submitted.
//
// # Who may capture
//
// Capture is served on a TLS listener of its own (Config), apart from the
// public read API. Callers are the organisation's own systems,
// authenticated by TLS client certificates issued by the organisation's
// TLS CA (package orgca: `trustline org enroll`); the certificate's
// common name names the client, and the node's configuration lists the
// clients and the business steps each may capture. No certificate is a
// 401, an unlisted client or a step it may not capture a 403, both
// problem+json; a certificate the organisation revoked (its CRLs,
// Config.CRLs: crl.go) is a 401 naming the revocation. Bodies beyond the file size limit and documents beyond
// the event limit are 413; each client's request rate is limited (429).
// Jobs (the last Options.KeepJobs) are visible to the client that
// created them only. OpenService keeps them in the node's index, in its
// node-local records, so that they survive a restart and a job the node
// was running when it stopped (or was killed) resumes, recording no event
// twice (jobstore.go).
//
// # The member surface
//
// The same listener, with the same authentication and rate limits, is
// where the node serves its members' records (HandlerOptions.Member: the
// reports for regulators under /reports/, the recall scope and notices
// under /recall/), to the clients whose entry says reports: true; another
// client gets a 403. The public listener answers these paths 401.
package capture
