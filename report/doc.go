// Package report turns what a member node serves about lots (their traces:
// lot records, products and EPCIS events, package nodeapi) into the records
// regulators ask for:
//
//   - FSMA 204 (21 CFR 1 subpart S): the Critical Tracking Events of each
//     lot — harvesting, cooling, initial packing, first land-based
//     receiving, shipping, receiving, transformation — with their Key Data
//     Elements, as the electronic sortable spreadsheet the FDA may request
//     (FSMA, Table), and which KDEs each CTE lacks (Completeness).
//   - EU Regulation 178/2002 art. 18 one step back and one step forward for
//     a member, with the eight items of Regulation 931/2011 (EU178).
//   - Lots near their expiry date, per custodian (Expiring).
//
// # Where the KDEs come from
//
// Every KDE is read from the EPCIS 2.0 standard fields the chaincode records
// (bizStep, eventTime, quantity lists, bizTransactionList for the reference
// document, sourceList/destinationList, readPoint and bizLocation, ILMD for
// the origin) and from the lot and product records. A KDE the record does
// not hold is not an error: not every member is in scope of the rule. It is
// reported as a Gap that names the KDE, the CFR paragraph and why it is
// missing, so that the spreadsheet never shows an empty cell without saying
// why, and the completeness report lists what each member must still record.
//
// The CTE of an event follows from its bizStep: commissioning of a lot with
// an origin (Batch:CreateBatch) is harvesting, a TransformationEvent is
// transformation of its outputs, shipping and receiving are themselves, an
// ObjectEvent packing of a lot is initial packing. CBV 2.0 has no business
// step for cooling or first land-based receiving: an event says it is one
// with the ILMD member tl:cte ("cooling", "first-land-based-receiving",
// "initial-packing", "harvesting"). Other events (inspections, readings,
// aggregation into logistic units, recalls) are not CTEs.
//
// The package is a leaf: it reads nodeapi's wire types and imports no node
// or client code, so the CLI (through a node's HTTP API) and the node
// itself (through its index) produce the same report.
package report
