package receipt

import (
	"errors"
	"strings"
	"testing"
)

// TestVerifySubject tampers with what ties a receipt to its subject: each
// case must fail the subject check with a message naming what is wrong,
// while every event and record still verifies on its own.
func TestVerifySubject(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(r *Receipt)
		want   string // in the subject failure
	}{
		{"untouched", func(*Receipt) {}, ""},
		{"subject changed to another lot", func(r *Receipt) {
			r.Subject = Subject{DigitalLink: rawLot, Lots: []string{rawLot}}
		}, "lot record " + yogurtLot + " is neither the subject lot"},
		{"subject changed to a never-commissioned serial", func(r *Receipt) {
			r.Subject = Subject{DigitalLink: yogurtLot + "/21/NEVER", Lots: []string{yogurtLot}}
		}, "no proven commissioning event names unit"},
		{"subject lots disagree with the link", func(r *Receipt) { r.Subject.Lots = []string{rawLot} }, "subject lots list"},
		{"no subject", func(r *Receipt) { r.Subject = Subject{} }, "names no subject"},
		{"subject not a lot", func(r *Receipt) {
			r.Subject = Subject{DigitalLink: "https://id.gs1.org/01/09506000134369"}
		}, "is not a lot or a unit"},
		{"ingredient event shown as the lot's own", func(r *Receipt) { r.Events[1].Upstream = false }, "names neither the subject lot"},
		{"claim about another lot", func(r *Receipt) { r.Claims[0].Lot = rawLot }, "claim claim-1 is about lot " + rawLot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := claimFixture(t)
			tc.tamper(r)
			rep, err := Verify(ctxT(t), r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range append(rep.Verdicts, rep.Records...) {
				if !v.OK() {
					t.Errorf("%s %s%s failed: %v", v.Type, v.EventID, v.RecordID, v.Failures)
				}
			}
			var msgs []string
			for _, f := range rep.Subject {
				if f.Part != PartSubject || !errors.Is(f, ErrSubject) {
					t.Errorf("failure %v: part %s, want %s matching ErrSubject", f, f.Part, PartSubject)
				}
				msgs = append(msgs, f.Error())
			}
			got := strings.Join(msgs, "\n")
			switch {
			case tc.want == "" && (len(msgs) > 0 || !rep.OK()):
				t.Fatalf("untampered receipt: OK=%v, subject failures:\n%s", rep.OK(), got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Fatalf("subject failures:\n%s\nwant one with %q", got, tc.want)
			case tc.want != "" && rep.OK():
				t.Fatal("report OK despite subject failures")
			}
		})
	}
}
