package receipt_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/receipt/receipttest"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// storyCases are receipttest's tampering classes on the story's lot B
// receipt, with its file.
func storyCases(t *testing.T, s *receipt.TamperStory) []receipttest.Case {
	t.Helper()
	base, err := receipt.Parse(s.Base)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := receipttest.Cases(base, receipttest.Sources{Other: s.Other, Older: s.Older})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tc := range cases {
		names = append(names, tc.Name)
		if _, ok := s.Wants[tc.Name]; !ok {
			t.Errorf("case %q is new: give its message on the story in TamperStory.Wants", tc.Name)
		}
	}
	for name := range s.Wants {
		if !slices.Contains(names, name) {
			t.Errorf("case %q is gone", name)
		}
	}
	return cases
}

// TestTampering is the table of tampering classes of issue 12
// (receipttest.Cases): each edited receipt of the recalled lot B fails
// verification, offline and against a chain, with a message naming what is
// wrong (the case's, and the story's own message for it); the untampered
// one verifies. The node's TestIntegrationNodeAnchorsAndServesReceipts runs
// the same classes on a real lot's receipt with the real binary and chain.
func TestTampering(t *testing.T) {
	run := func(t *testing.T, online bool) {
		s := receipt.NewTamperStory(t, online)
		for _, tc := range storyCases(t, s) {
			t.Run(tc.Name, func(t *testing.T) {
				r, _, err := tc.Apply(s.Base)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := receipt.Verify(ctxT(t), r, s.Opts)
				if err != nil {
					t.Fatal(err)
				}
				got := receipt.Failures(rep)
				if tc.Tamper == nil {
					if !rep.OK() || len(got) > 0 {
						t.Fatalf("untampered receipt does not verify:\n%s", strings.Join(got, "\n"))
					}
					if len(rep.Lots) != 1 || !rep.Lots[0].Chained || rep.Lots[0].Events != 5 {
						t.Errorf("lot verdicts %+v, want lot B complete with 5 events", rep.Lots)
					}
					if r.Version != receipt.Version || rep.State == nil || !slices.Equal(rep.State.Fresh, []string{s.Lot}) || rep.State.Block != 19 {
						t.Errorf("version %d, state verdict %+v: want lot B proven latest as of block 19", r.Version, rep.State)
					}
					if lim := strings.Join(r.Limits(), "\n"); strings.Contains(lim, "completeness") || strings.Contains(lim, "bare") || strings.Contains(lim, "currency") {
						t.Errorf("a complete, bound receipt states limits:\n%s", lim)
					}
					return
				}
				if rep.OK() {
					t.Fatal("tampered receipt verifies")
				}
				want := string(tc.Part) + ": "
				for _, phrase := range []string{tc.Want, s.Wants[tc.Name]} {
					if !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, want) && strings.Contains(f, phrase) }) {
						t.Errorf("failures:\n%s\nwant a %s failure with %q", strings.Join(got, "\n"), tc.Part, phrase)
					}
				}
			})
		}
	}
	t.Run("offline", func(t *testing.T) { run(t, false) })
	t.Run("online", func(t *testing.T) { run(t, true) })
}

// TestServiceTampering: lot B's format 5 receipt with its product's
// service events verifies their completeness, and each class of
// receipttest.ServiceCases fails its part naming the service event
// missing.
func TestServiceTampering(t *testing.T) {
	doc := receipt.NewServiceStory(t)
	base, err := receipt.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := receipttest.ServiceCases(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r, _, err := tc.Apply(doc)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := receipt.Verify(context.Background(), r, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(receipt.Failures(rep), "\n")
			if tc.Tamper == nil {
				if r.Version != receipt.Version || rep.Service == nil || !rep.Service.OK() || rep.Service.Events != 2 || rep.Service.Shown != 2 || !rep.State.OK() {
					t.Fatalf("untampered: version %d, service %+v, state %+v:\n%s", r.Version, rep.Service, rep.State, got)
				}
				return
			}
			if rep.Service.OK() || !strings.Contains(got, string(tc.Part)+": ") || !strings.Contains(got, tc.Want) {
				t.Errorf("want a %s failure naming %q; got:\n%s", tc.Part, tc.Want, got)
			}
		})
	}
}
