package ledger

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestRoleTableMembers(t *testing.T) {
	tests := []struct {
		name  string
		table RoleTable
		want  []Member
		err   string
	}{
		{
			name:  "testnet",
			table: RoleTable{"SupplierMSP": {"supplier"}, "BrandMSP": {"brand"}, "LabMSP": {"lab"}, "LogisticsMSP": {"logistics"}},
			want: []Member{
				{"BrandMSP", []Role{RoleBrand}}, {"LabMSP", []Role{RoleLab}},
				{"LogisticsMSP", []Role{RoleLogistics}}, {"SupplierMSP", []Role{RoleSupplier}},
			},
		},
		{
			name:  "roles in canonical order",
			table: RoleTable{"Org1": {"logistics", "brand"}},
			want:  []Member{{"Org1", []Role{RoleBrand, RoleLogistics}}},
		},
		{name: "empty", table: RoleTable{}, err: "no members"},
		{name: "bad msp", table: RoleTable{"Org 1": {"brand"}}, err: `MSP id "Org 1" is malformed`},
		{name: "no roles", table: RoleTable{"Org1": {}}, err: "Org1 has no roles"},
		{name: "unknown role", table: RoleTable{"Org1": {"admin"}}, err: `unknown role "admin"`},
		{name: "duplicate role", table: RoleTable{"Org1": {"lab", "lab"}}, err: `role "lab" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.table.Members()
			if tt.err != "" {
				if !errors.Is(err, ErrInvalidRoles) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Members() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Members() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRolesQueries(t *testing.T) {
	members, _ := RoleTable{"A": {"brand", "lab"}, "B": {"supplier"}, "C": {"logistics"}, "D": {"lab"}}.Members()
	r := Roles{Members: members}
	for _, c := range []struct {
		msp  string
		role Role
		want bool
	}{{"A", RoleLab, true}, {"A", RoleSupplier, false}, {"B", RoleSupplier, true}, {"E", RoleBrand, false}} {
		if got := r.Has(c.msp, c.role); got != c.want {
			t.Errorf("Has(%s, %s) = %v", c.msp, c.role, got)
		}
	}
	if r.Majority() != 3 {
		t.Errorf("Majority of 4 = %d, want 3", r.Majority())
	}
	if (Roles{Members: members[:3]}).Majority() != 2 {
		t.Error("Majority of 3 != 2")
	}
	if Role("x").Valid() || !RoleBrand.Valid() {
		t.Error("Role.Valid")
	}
}

func TestFormatTimeSorts(t *testing.T) {
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	var in []time.Time
	var s []string
	for _, d := range []time.Duration{time.Second, 0, time.Nanosecond, 10 * time.Hour, -time.Millisecond} {
		in = append(in, base.Add(d))
		s = append(s, FormatTime(base.Add(d)))
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Before(in[j]) })
	sort.Strings(s)
	for i := range in {
		if FormatTime(in[i]) != s[i] {
			t.Fatalf("string order differs from time order at %d: %s vs %s", i, FormatTime(in[i]), s[i])
		}
	}
	if got := FormatTime(base); got != "2025-06-01T06:00:00.000000000Z" {
		t.Fatalf("FormatTime = %s", got)
	}
}

func TestEventJSON(t *testing.T) {
	ev := Event{Function: "Custody:Ship", MSPID: "SupplierMSP", TxID: "tx", Timestamp: "t",
		EPCIS: []json.RawMessage{json.RawMessage(`{"type":"ObjectEvent"}`)},
		Lots:  []LotSummary{{ID: "l", Status: StatusInTransit}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"products\":", "roles\":", "units\":[", "recalls\":"} {
		if strings.Contains(string(b), `"`+absent) {
			t.Errorf("empty %s not omitted: %s", absent, b)
		}
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, ev) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
