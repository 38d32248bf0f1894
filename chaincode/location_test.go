package chaincode

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/ledger"
)

func TestSetLocation(t *testing.T) {
	e := newEnv(t)
	warehouse := ledger.LocationRequest{ID: glnWarehouse, Name: "Central warehouse", TimeZone: "Europe/Berlin",
		Address: &ledger.Address{Street: "Hafenstraße 1", City: "Hamburg", PostalCode: "20457", Country: "DE"},
		Geo:     &ledger.Geo{Latitude: 53.54, Longitude: 9.98}}
	var l ledger.Location
	ev := e.okJSON(&l, logistics, "Location:SetLocation", mustJSON(warehouse))
	if l.ID != glnURI(glnWarehouse) || l.Owner != logistics || l.TimeZone != "Europe/Berlin" || len(ev.Locations) != 1 || len(ev.EPCIS) != 0 {
		t.Fatalf("SetLocation = %+v, event %+v", l, ev)
	}
	dock := ledger.LocationRequest{ID: "urn:epc:id:sgln:9506000.13438.dock1", Name: "Dock 1", Parent: glnURI(glnWarehouse)}
	dock.ID = glnURI(glnWarehouse) + "/254/dock1"
	var d ledger.Location
	e.okJSON(&d, logistics, "Location:SetLocation", mustJSON(dock))
	if d.Parent != glnURI(glnWarehouse) {
		t.Fatalf("dock = %+v", d)
	}
	// The owner updates it; the answer and the query agree.
	warehouse.Name = "Central warehouse (north)"
	e.okJSON(&l, logistics, "Location:SetLocation", mustJSON(warehouse))
	var got ledger.Location
	e.queryJSON(&got, brand, "Location:GetLocation", glnWarehouse)
	if got.Name != warehouse.Name || got.Owner != logistics {
		t.Fatalf("GetLocation = %+v", got)
	}
	e.queryFail(brand, "is not recorded", "Location:GetLocation", glnFarm)
	e.queryFail(brand, "location id", "Location:GetLocation", "https://id.gs1.org/01/"+gtinTomato)

	for _, tt := range []struct {
		name, caller string
		req          ledger.LocationRequest
		raw, want    string
	}{
		{"not the owner", brand, ledger.LocationRequest{ID: glnWarehouse, Name: "Mine"}, "", "owned by LogisticsMSP"},
		{"outsider", outsider, ledger.LocationRequest{ID: glnFarm, Name: "Farm"}, "", "OutsiderMSP is not a member"},
		{"not a GLN", supplier, ledger.LocationRequest{ID: "https://id.gs1.org/01/" + gtinTomato, Name: "Farm"}, "", "is not a GLN"},
		{"bad check digit", supplier, ledger.LocationRequest{ID: "9506000134377", Name: "Farm"}, "", "check digit"},
		{"no name", supplier, ledger.LocationRequest{ID: glnFarm, Name: " "}, "", "name is required"},
		{"bad country", supplier, ledger.LocationRequest{ID: glnFarm, Name: "Farm", Address: &ledger.Address{Country: "Germany"}}, "", "not an ISO 3166-1"},
		{"bad geo", supplier, ledger.LocationRequest{ID: glnFarm, Name: "Farm", Geo: &ledger.Geo{Latitude: 91}}, "", "not a latitude"},
		{"bad time zone", supplier, ledger.LocationRequest{ID: glnFarm, Name: "Farm", TimeZone: "CET+1 summer"}, "", "IANA time zone"},
		{"unknown parent", supplier, ledger.LocationRequest{ID: glnFarm, Name: "Farm", Parent: "9506000134390"}, "", "is not recorded; record it first"},
		{"own parent", supplier, ledger.LocationRequest{ID: glnFarm, Name: "Farm", Parent: glnFarm}, "", "its own parent"},
		{"cycle", logistics, ledger.LocationRequest{ID: glnWarehouse, Name: "W", Parent: glnURI(glnWarehouse) + "/254/dock1"}, "", "is inside it"},
		{"unknown field", supplier, ledger.LocationRequest{}, `{"id":"` + glnFarm + `","name":"Farm","colour":"red"}`, `unknown field "colour"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			arg := tt.raw
			if arg == "" {
				arg = mustJSON(tt.req)
			}
			e.fail(tt.caller, tt.want, "Location:SetLocation", arg)
		})
	}
	if !strings.HasPrefix(glnURI(glnFarm), "https://id.gs1.org/414/") {
		t.Fatal("fixture")
	}
}
