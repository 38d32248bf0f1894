package report

import (
	"slices"
	"strings"

	"github.com/trustline/trustline/nodeapi"
)

// Directions of an EU movement.
const (
	Back    = "back"    // a supplier of the member
	Forward = "forward" // a business customer of the member
)

// Movement is one step back or forward of a lot for a member (Regulation
// (EC) 178/2002 art. 18: its suppliers and business customers), with the
// items Regulation (EU) 931/2011 art. 3(1)(a)–(h) lists for food of animal
// origin. Names are the organisations' MSP ids; addresses their location
// descriptions as the events give them.
type Movement struct {
	Direction string `json:"direction"`
	Lot       string `json:"lot"`
	// AnimalOrigin is whether the product is food of animal origin (its
	// category), for which 931/2011 requires the items.
	AnimalOrigin bool `json:"animalOrigin"`
	// The eight items of 931/2011 art. 3(1).
	Description  string `json:"description"`  // (a) an accurate description of the food
	Quantity     string `json:"quantity"`     // (b) the volume or quantity of the food
	Dispatcher   string `json:"dispatcher"`   // (c) name and address of the business the food was dispatched from
	Consignor    string `json:"consignor"`    // (d) name and address of the consignor (owner), if different
	Recipient    string `json:"recipient"`    // (e) name and address of the business the food was dispatched to
	Consignee    string `json:"consignee"`    // (f) name and address of the consignee (owner), if different
	Reference    string `json:"reference"`    // (g) a reference identifying the lot, batch or consignment
	DispatchDate string `json:"dispatchDate"` // (h) the date of dispatch
	ReceivedDate string `json:"receivedDate,omitempty"`
	EventID      string `json:"eventId"`
	// Gaps name the items the records do not hold.
	Gaps []string `json:"gaps,omitempty"`
}

// animalCategories are product categories of food of animal origin
// (Regulation (EC) 853/2004 Annex I).
var animalCategories = []string{"dairy", "milk", "cheese", "yogurt", "yoghurt", "meat", "poultry", "fish", "seafood", "shellfish", "egg", "eggs", "honey"}

// AnimalOrigin reports whether a product category is food of animal origin.
func AnimalOrigin(category string) bool {
	c := strings.ToLower(category)
	return slices.ContainsFunc(animalCategories, func(a string) bool { return strings.Contains(c, a) })
}

// sameOwner is items (d) and (f): trustline records custody, and only the
// custodian ships, so the consignor and consignee are the dispatcher and
// recipient.
const sameOwner = "same as the business"

// EU178 is member's one step back (the lots it received, from whom, and
// the batches it produced itself) and one step forward (the lots it
// shipped, to whom) among the traces' lots, in time order.
func EU178(traces []nodeapi.Trace, member string) ([]Movement, error) {
	ctes, err := CTEs(traces)
	if err != nil {
		return nil, err
	}
	s, _ := newSet(traces)
	received := map[string]CTE{} // lot + shipment → receiving
	for _, c := range ctes {
		if c.Type == Receiving {
			received[c.Lot+" "+c.shipment] = c
		}
	}
	var out []Movement
	for _, c := range ctes {
		var m Movement
		switch {
		case c.Type == Shipping && c.From == member:
			m.Direction = Forward
		case c.Type == Shipping && c.To == member:
			m.Direction = Back
		case c.Type == Harvesting && c.Member == member:
			m.Direction = Back
		default:
			continue
		}
		m.Lot, m.EventID, m.Reference = c.Lot, c.EventID, c.Values[KDETLC]
		if m.Reference == "" {
			m.Reference = TLC(c.lot.GTIN, c.lot.Lot)
		}
		p := s.products[c.GTIN]
		m.AnimalOrigin = p != nil && AnimalOrigin(p.Category)
		m.Description = s.productDescription(c.GTIN, c.lot.Product)
		m.Quantity = c.Values[KDEQuantity]
		m.DispatchDate = c.Values[KDEDate]
		if c.Type == Harvesting {
			m.Dispatcher = "own production: " + member
			if v := c.Values[KDEHarvestFarm]; v != "" {
				m.Dispatcher += ", " + v
			}
			m.Recipient = member
			m.Consignor, m.Consignee = sameOwner, sameOwner
			m.DispatchDate = ""
			m.ReceivedDate = c.Values[KDEDate]
		} else {
			m.Dispatcher = party(c.From, c.Values[KDEShippedFrom])
			m.Recipient = party(c.To, c.Values[KDERecipient])
			m.Consignor, m.Consignee = sameOwner, sameOwner
			if r, ok := received[c.Lot+" "+c.shipment]; ok && c.shipment != "" {
				m.ReceivedDate = r.Values[KDEDate]
			}
		}
		for _, item := range []struct{ v, name string }{
			{m.Description, "(a) description of the food"}, {m.Quantity, "(b) quantity"},
			{m.Dispatcher, "(c) dispatcher"}, {m.Recipient, "(e) recipient"},
		} {
			if item.v == "" {
				m.Gaps = append(m.Gaps, item.name+": not recorded")
			}
		}
		if c.Type == Shipping {
			if c.Values[KDEShippedFrom] == "" {
				m.Gaps = append(m.Gaps, "(c) address of the dispatcher: the shipping event names no location shipped from")
			}
			if c.Values[KDERecipient] == "" {
				m.Gaps = append(m.Gaps, "(e) address of the recipient: the shipping event names no destination")
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// party is a name and, when known, an address.
func party(name, address string) string {
	switch {
	case name == "":
		return address
	case address == "":
		return name
	}
	return name + ", " + address
}

// EUTable is the EU report as sheets: every movement, then the suppliers
// (one step back) and the business customers (one step forward).
func EUTable(ms []Movement) Table {
	header := []string{"Direction", "Lot", "Food of animal origin",
		"(a) Description of the food", "(b) Volume or quantity", "(c) Dispatched from (name, address)",
		"(d) Consignor (owner), if different", "(e) Dispatched to (name, address)", "(f) Consignee (owner), if different",
		"(g) Lot, batch or consignment reference", "(h) Date of dispatch", "Date received", "Not recorded", "EPCIS event ID"}
	all := Sheet{Name: "One step back and forward", Header: header}
	back := Sheet{Name: "Suppliers (one step back)", Header: header}
	fwd := Sheet{Name: "Customers (one step forward)", Header: header}
	for _, m := range ms {
		animal := "no"
		if m.AnimalOrigin {
			animal = "yes"
		}
		row := []string{m.Direction, m.Lot, animal, m.Description, m.Quantity, m.Dispatcher, m.Consignor,
			m.Recipient, m.Consignee, m.Reference, m.DispatchDate, m.ReceivedDate, strings.Join(m.Gaps, "; "), m.EventID}
		all.Rows = append(all.Rows, row)
		if m.Direction == Back {
			back.Rows = append(back.Rows, row)
		} else {
			fwd.Rows = append(fwd.Rows, row)
		}
	}
	return Table{Sheets: []Sheet{all, back, fwd}}
}
