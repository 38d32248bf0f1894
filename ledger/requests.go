package ledger

// Requests are the JSON arguments of the chaincode's write functions. Times
// are RFC 3339; lots are GS1 Digital Links (https://id.gs1.org/01/{GTIN}/10/{lot});
// logistic units are SSCC Digital Links (https://id.gs1.org/00/{SSCC}) or
// 18-digit SSCCs; places are GLN Digital Links, with an optional extension
// (https://id.gs1.org/414/{GLN}[/254/{ext}]). Unknown fields are rejected.

// ProductRequest is Product:RegisterProduct's argument.
type ProductRequest struct {
	// GTIN is 8, 12, 13 or 14 digits with a valid check digit.
	GTIN          string  `json:"gtin"`
	Name          string  `json:"name"`
	Brand         string  `json:"brand"`
	Category      string  `json:"category"`
	TempMinC      float64 `json:"tempMinC"`
	TempMaxC      float64 `json:"tempMaxC"`
	ShelfLifeDays int     `json:"shelfLifeDays"`
	// FoodTraceabilityList is the product's FDA Food Traceability List
	// food, a key of FTLFoods; empty when it is not on the list.
	FoodTraceabilityList string `json:"foodTraceabilityList,omitempty" metadata:",optional"`
}

// BatchRequest is Batch:CreateBatch's argument: a batch's origin.
type BatchRequest struct {
	GTIN     string   `json:"gtin"`
	Lot      string   `json:"lot"`
	Quantity Quantity `json:"quantity"`
	// Producer is the producer's GLN (13 digits) or GLN Digital Link.
	Producer string `json:"producer"`
	// Place needs geo and an address; its location (an SGLN Digital Link
	// of the field or plant) is optional.
	Place Place `json:"place"`
	// ProducedAt is the harvest or production time.
	ProducedAt      string     `json:"producedAt"`
	Expiry          string     `json:"expiry"`
	FarmingPractice string     `json:"farmingPractice"`
	Evidence        []Evidence `json:"evidence,omitempty"`
	// BizTransactions are the harvest's reference documents (a harvest
	// log, a purchase order; FSMA 204's reference document of harvesting),
	// recorded in the event's bizTransactionList.
	BizTransactions []BizTransaction `json:"bizTransactions,omitempty"`
}

// TransformRequest is Batch:Transform's argument: quantities of input lots
// the caller holds become new output lots the caller holds.
type TransformRequest struct {
	Inputs  []LotQuantity     `json:"inputs"`
	Outputs []TransformOutput `json:"outputs"`
	// Location is where the transformation happens (a GLN or GLN Digital
	// Link; the event's bizLocation and readPoint): the outputs'
	// traceability lot code source.
	Location string `json:"location,omitempty"`
	// BizTransactions are its reference documents (a production order),
	// recorded in the event's bizTransactionList.
	BizTransactions []BizTransaction `json:"bizTransactions,omitempty"`
}

// TransformOutput is a lot a transformation makes.
type TransformOutput struct {
	GTIN     string   `json:"gtin"`
	Lot      string   `json:"lot"`
	Quantity Quantity `json:"quantity"`
	Expiry   string   `json:"expiry"`
}

// PackRequest is Custody:Pack's argument: lots the caller holds go into a
// logistic unit.
type PackRequest struct {
	SSCC string   `json:"sscc"`
	Lots []string `json:"lots"`
}

// Reading is one cold-chain measurement. TemperatureC is required;
// HumidityPct is relative humidity in percent.
type Reading struct {
	Time         string   `json:"time"`
	Device       string   `json:"device"`
	TemperatureC *float64 `json:"temperatureC"`
	HumidityPct  *float64 `json:"humidityPct,omitempty"`
}

// ShipRequest is Custody:Ship's argument. Exactly one of Lot and
// LogisticUnit is set.
type ShipRequest struct {
	Lot          string `json:"lot,omitempty"`
	LogisticUnit string `json:"logisticUnit,omitempty"`
	// To is the recipient's MSP id, Destination the place shipped to.
	To          string `json:"to"`
	Destination string `json:"destination"`
	// Source is the place shipped from (a GLN or GLN Digital Link; the
	// event's sourceList location), optional.
	Source          string           `json:"source,omitempty"`
	BizTransactions []BizTransaction `json:"bizTransactions,omitempty"`
	Readings        []Reading        `json:"readings,omitempty"`
}

// ReceiveRequest is Custody:Receive's argument.
type ReceiveRequest struct {
	Lot          string    `json:"lot,omitempty"`
	LogisticUnit string    `json:"logisticUnit,omitempty"`
	Readings     []Reading `json:"readings,omitempty"`
}

// ReadingsRequest is Custody:RecordReadings's argument.
type ReadingsRequest struct {
	Lot          string    `json:"lot,omitempty"`
	LogisticUnit string    `json:"logisticUnit,omitempty"`
	Readings     []Reading `json:"readings"`
}
