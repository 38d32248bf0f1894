package report

// CTEType is an FSMA 204 Critical Tracking Event (21 CFR 1.1310).
type CTEType string

// The Critical Tracking Events, in the order of a food's way through the
// supply chain.
const (
	Harvesting              CTEType = "Harvesting"                 // 21 CFR 1.1325(a)
	Cooling                 CTEType = "Cooling"                    // 21 CFR 1.1325(b)
	InitialPacking          CTEType = "Initial packing"            // 21 CFR 1.1330
	FirstLandBasedReceiving CTEType = "First land-based receiving" // 21 CFR 1.1335
	Shipping                CTEType = "Shipping"                   // 21 CFR 1.1340
	Receiving               CTEType = "Receiving"                  // 21 CFR 1.1345
	Transformation          CTEType = "Transformation"             // 21 CFR 1.1350
)

// CTETypes are the Critical Tracking Events in order.
var CTETypes = []CTEType{Harvesting, Cooling, InitialPacking, FirstLandBasedReceiving, Shipping, Receiving, Transformation}

// Section is the CFR section of a CTE's records.
func (t CTEType) Section() string {
	switch t {
	case Harvesting:
		return "21 CFR 1.1325(a)"
	case Cooling:
		return "21 CFR 1.1325(b)"
	case InitialPacking:
		return "21 CFR 1.1330"
	case FirstLandBasedReceiving:
		return "21 CFR 1.1335"
	case Shipping:
		return "21 CFR 1.1340"
	case Receiving:
		return "21 CFR 1.1345"
	case Transformation:
		return "21 CFR 1.1350"
	}
	return ""
}

// KDE is a Key Data Element column: Key is stable (JSON, tests), Name is
// what the spreadsheet's sheet of all CTEs calls the column.
type KDE string

// The Key Data Elements of the CTEs. Several CTEs require the same element
// under slightly different words (the date: of harvesting, shipped,
// received, …): one KDE, named per CTE by Rule.
const (
	KDETLC            KDE = "tlc"
	KDETLCSource      KDE = "tlcSource"
	KDEProduct        KDE = "product"
	KDEQuantity       KDE = "quantity"
	KDEHarvestFarm    KDE = "harvestFarm"
	KDECoolingPlace   KDE = "coolingLocation"
	KDEPreviousSource KDE = "previousSource"
	KDEShippedFrom    KDE = "shippedFrom"
	KDEReceivedAt     KDE = "receivedAt"
	KDERecipient      KDE = "recipient"
	KDEDate           KDE = "date"
	KDEInputs         KDE = "inputs"
	KDERefDocType     KDE = "referenceDocumentType"
	KDERefDocNumber   KDE = "referenceDocumentNumber"
)

// KDEs are the columns of the spreadsheet's sheet of all CTEs, in order.
var KDEs = []KDE{KDETLC, KDETLCSource, KDEProduct, KDEQuantity, KDEInputs, KDEHarvestFarm, KDECoolingPlace,
	KDEPreviousSource, KDEShippedFrom, KDEReceivedAt, KDERecipient, KDEDate, KDERefDocType, KDERefDocNumber}

// Name is the KDE's column title on the sheet of all CTEs.
func (k KDE) Name() string {
	switch k {
	case KDETLC:
		return "Traceability lot code"
	case KDETLCSource:
		return "Location description for the traceability lot code source, or traceability lot code source reference"
	case KDEProduct:
		return "Product description"
	case KDEQuantity:
		return "Quantity and unit of measure"
	case KDEInputs:
		return "Traceability lot code, product description and quantity of the food used"
	case KDEHarvestFarm:
		return "Location description for the farm where the food was harvested"
	case KDECoolingPlace:
		return "Location description for where the food was cooled"
	case KDEPreviousSource:
		return "Location description for the immediate previous source"
	case KDEShippedFrom:
		return "Location description for the location from which the food was shipped"
	case KDEReceivedAt:
		return "Location description for where the food was received"
	case KDERecipient:
		return "Location description for the immediate subsequent recipient"
	case KDEDate:
		return "Date"
	case KDERefDocType:
		return "Reference document type"
	case KDERefDocNumber:
		return "Reference document number"
	}
	return string(k)
}

// Rule is one KDE as a CTE's section requires it: its name there and the
// paragraph that requires it.
type Rule struct {
	KDE  KDE    `json:"kde"`
	Name string `json:"name"`
	CFR  string `json:"cfr"`
}

// Rules are the KDEs a CTE requires, in the order of its section. The
// names are the rule's words; the paragraphs those of 21 CFR 1 subpart S.
// Left out: the KDEs no EPCIS field carries (the name of the field or
// growing area of produce, the harvester's business name and phone number,
// the harvest date range of a fishing trip), which the records keep
// elsewhere.
func (t CTEType) Rules() []Rule {
	switch t {
	case Harvesting:
		return []Rule{
			{KDERecipient, "Location description for the immediate subsequent recipient", "21 CFR 1.1325(a)(1)(i)"},
			{KDEProduct, "Commodity and, if applicable, variety of the food", "21 CFR 1.1325(a)(1)(ii)"},
			{KDEQuantity, "Quantity and unit of measure of the food", "21 CFR 1.1325(a)(1)(iii)"},
			{KDEHarvestFarm, "Location description for the farm where the food was harvested", "21 CFR 1.1325(a)(1)(iv)"},
			{KDEDate, "Date of harvesting", "21 CFR 1.1325(a)(1)(vi)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1325(a)(1)(vii)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1325(a)(1)(vii)"},
		}
	case Cooling:
		return []Rule{
			{KDERecipient, "Location description for the immediate subsequent recipient", "21 CFR 1.1325(b)(1)(i)"},
			{KDEProduct, "Commodity and, if applicable, variety of the food", "21 CFR 1.1325(b)(1)(ii)"},
			{KDEQuantity, "Quantity and unit of measure of the food", "21 CFR 1.1325(b)(1)(iii)"},
			{KDECoolingPlace, "Location description for where the food was cooled", "21 CFR 1.1325(b)(1)(iv)"},
			{KDEDate, "Date of cooling", "21 CFR 1.1325(b)(1)(v)"},
			{KDEHarvestFarm, "Location description for the farm where the food was harvested", "21 CFR 1.1325(b)(1)(vi)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1325(b)(1)(vii)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1325(b)(1)(vii)"},
		}
	case InitialPacking:
		return []Rule{
			{KDEHarvestFarm, "Location description for the farm where the food was harvested", "21 CFR 1.1330(a)(4)"},
			{KDECoolingPlace, "Location description for where the food was cooled", "21 CFR 1.1330(a)(8)"},
			{KDETLC, "Traceability lot code you assigned", "21 CFR 1.1330(a)(10)"},
			{KDEProduct, "Product description of the packed food", "21 CFR 1.1330(a)(11)"},
			{KDEQuantity, "Quantity and unit of measure of the packed food", "21 CFR 1.1330(a)(12)"},
			{KDETLCSource, "Location description for where you initially packed the food (the traceability lot code source), and the traceability lot code source reference", "21 CFR 1.1330(a)(13)"},
			{KDEDate, "Date of initial packing", "21 CFR 1.1330(a)(14)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1330(a)(15)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1330(a)(15)"},
		}
	case FirstLandBasedReceiving:
		return []Rule{
			{KDETLC, "Traceability lot code you assigned", "21 CFR 1.1335(a)"},
			{KDEProduct, "Species and/or acceptable market name for unprocessed food, or commodity and variety", "21 CFR 1.1335(b)"},
			{KDEQuantity, "Quantity and unit of measure of the food", "21 CFR 1.1335(c)"},
			{KDETLCSource, "Location description for you, the first land-based receiver (the traceability lot code source), and the traceability lot code source reference", "21 CFR 1.1335(e)"},
			{KDEDate, "Date the food was landed", "21 CFR 1.1335(f)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1335(g)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1335(g)"},
		}
	case Shipping:
		return []Rule{
			{KDETLC, "Traceability lot code for the food", "21 CFR 1.1340(a)(1)"},
			{KDEQuantity, "Quantity and unit of measure of the food", "21 CFR 1.1340(a)(2)"},
			{KDEProduct, "Product description for the food", "21 CFR 1.1340(a)(3)"},
			{KDERecipient, "Location description for the immediate subsequent recipient", "21 CFR 1.1340(a)(4)"},
			{KDEShippedFrom, "Location description for the location from which you shipped the food", "21 CFR 1.1340(a)(5)"},
			{KDEDate, "Date you shipped the food", "21 CFR 1.1340(a)(6)"},
			{KDETLCSource, "Location description for the traceability lot code source, or the traceability lot code source reference", "21 CFR 1.1340(a)(7)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1340(a)(8)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1340(a)(8)"},
		}
	case Receiving:
		return []Rule{
			{KDETLC, "Traceability lot code for the food", "21 CFR 1.1345(a)(1)"},
			{KDEQuantity, "Quantity and unit of measure of the food", "21 CFR 1.1345(a)(2)"},
			{KDEProduct, "Product description for the food", "21 CFR 1.1345(a)(3)"},
			{KDEPreviousSource, "Location description for the immediate previous source", "21 CFR 1.1345(a)(4)"},
			{KDEReceivedAt, "Location description for where the food was received", "21 CFR 1.1345(a)(5)"},
			{KDEDate, "Date you received the food", "21 CFR 1.1345(a)(6)"},
			{KDETLCSource, "Location description for the traceability lot code source, or the traceability lot code source reference", "21 CFR 1.1345(a)(7)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1345(a)(8)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1345(a)(8)"},
		}
	case Transformation:
		return []Rule{
			{KDEInputs, "Traceability lot code, product description and quantity and unit of measure of the food used", "21 CFR 1.1350(a)(1)"},
			{KDETLC, "New traceability lot code for the food produced", "21 CFR 1.1350(a)(2)(i)"},
			{KDETLCSource, "Location description for where you transformed the food (the traceability lot code source), and the traceability lot code source reference", "21 CFR 1.1350(a)(2)(ii)"},
			{KDEProduct, "Product description for the food produced", "21 CFR 1.1350(a)(2)(iii)"},
			{KDEQuantity, "Quantity and unit of measure of the food produced", "21 CFR 1.1350(a)(2)(iv)"},
			{KDEDate, "Date transformation was completed", "21 CFR 1.1350(a)(2)(v)"},
			{KDERefDocType, "Reference document type", "21 CFR 1.1350(a)(2)(vi)"},
			{KDERefDocNumber, "Reference document number", "21 CFR 1.1350(a)(2)(vi)"},
		}
	}
	return nil
}

// rule returns t's rule for k, if t requires k.
func (t CTEType) rule(k KDE) (Rule, bool) {
	for _, r := range t.Rules() {
		if r.KDE == k {
			return r, true
		}
	}
	return Rule{}, false
}
