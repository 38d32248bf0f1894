package cmdutil

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustline/trustline/ledger"
)

// Table forms of ledger records, for --output table.

// LotTable writes a lot summary.
func LotTable(w io.Writer, l *ledger.LotSummary) error {
	rows := [][2]string{
		{"Lot", l.ID}, {"Status", string(l.Status)}, {"Custodian", l.Custodian},
		{"Quantity", qty(l.Quantity)}, {"Remaining", qty(l.Remaining)},
		{"Produced", l.ProducedAt}, {"Expiry", l.Expiry}, {"Created by", l.CreatedBy},
		{"Shipment", l.Shipment}, {"Logistic unit", l.LogisticUnit},
	}
	if l.Recall != nil {
		rows = append(rows, [2]string{"Recall", fmt.Sprintf("class %s: %s (%s)", l.Recall.Class, l.Recall.Reason, l.Recall.RecalledBy)})
	}
	if len(l.RecalledVia) > 0 {
		rows = append(rows, [2]string{"Recalled via", strings.Join(l.RecalledVia, ", ")})
	}
	if l.Breach != nil {
		rows = append(rows, [2]string{"Breach", fmt.Sprintf("%g °C at %s (%s), limits %g..%g °C", l.Breach.TemperatureC, l.Breach.Time, l.Breach.Device, l.Breach.MinC, l.Breach.MaxC)})
	}
	c := l.Counts
	rows = append(rows, [2]string{"Counts", fmt.Sprintf("%d events, %d inspections, %d shipments, %d readings (%d excursions), %d units",
		c.Events, c.Inspections, c.Shipments, c.Readings, c.Excursions, c.Units)})
	return Fields(w, rows...)
}

// LotsTable writes one line per lot.
func LotsTable(w io.Writer, lots []ledger.LotSummary) error {
	for _, l := range lots {
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", l.ID, l.Status, qty(l.Remaining), l.Custodian); err != nil {
			return err
		}
	}
	return nil
}

// ShipmentTable writes a shipment.
func ShipmentTable(w io.Writer, s *ledger.Shipment) error {
	return Fields(w,
		[2]string{"Shipment", s.ID}, [2]string{"Status", string(s.Status)},
		[2]string{"Lots", strings.Join(s.Lots, ", ")}, [2]string{"Logistic unit", s.LogisticUnit},
		[2]string{"From", s.From}, [2]string{"To", s.To}, [2]string{"Destination", s.Destination},
		[2]string{"Shipped", s.ShippedAt}, [2]string{"Received", s.ReceivedAt},
	)
}

// ProductTable writes a product.
func ProductTable(w io.Writer, p *ledger.Product) error {
	rows := [][2]string{
		{"Product", p.ID}, {"Name", p.Name}, {"Brand", p.Brand},
		{"Category", p.Category}, {"Temperature", fmt.Sprintf("%g..%g °C", p.TempMinC, p.TempMaxC)},
		{"Shelf life", fmt.Sprintf("%d days", p.ShelfLifeDays)},
	}
	if f, ok := ledger.FTLFoodByKey(p.FoodTraceabilityList); ok {
		rows = append(rows, [2]string{"FDA traceability list", f.Name})
	}
	return Fields(w, append(rows, [2]string{"Owner", p.Owner})...)
}

func qty(q ledger.Quantity) string {
	if q.Value == "" {
		return ""
	}
	return q.Value + " " + q.UOM
}
