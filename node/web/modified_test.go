package web

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestModifiedAsLedgerTimes: a page's Modified is the latest of the ledger
// times its view holds under the names package api's ledgerTimes reads
// (updatedAt, recalledAt, evaluatedAt, registeredAt), found here by
// decoding the view's JSON and walking every member: on random pages
// (pageGen) and on the fixture's trace pages.
func TestModifiedAsLedgerTimes(t *testing.T) {
	check := func(name string, p *Page) bool {
		t.Helper()
		b, err := json.Marshal(p)
		if err != nil {
			return false // the generator's odd numbers (±Inf, NaN)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		want := latestNamed(v)
		if got := p.Modified(); !got.Equal(want) {
			t.Fatalf("%s: Modified %v, the view's ledger times say %v", name, got, want)
		}
		return true
	}
	seen := 0
	for seed := range 10000 {
		p := (&pageGen{rnd: rand.New(rand.NewPCG(uint64(seed), 52))}).page()
		if check(fmt.Sprint("seed ", seed), p) && !p.Modified().IsZero() {
			seen++
		}
	}
	if seen < 1000 {
		t.Fatalf("only %d random pages had a ledger time", seen)
	}
	idx := fixture(t)
	for _, c := range [][3]string{{gtinJuice, "J2509-03", "B000142"}, {gtinJuice, "J2509-03", ""}} {
		tr, err := idx.Trace(c[0], c[1], c[2])
		if err != nil {
			t.Fatal(err)
		}
		p, err := TracePage(idx, tr, Links{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Modified().IsZero() {
			t.Fatalf("%v: no Modified", c)
		}
		if !check(c[1]+"/"+c[2], p) {
			t.Fatalf("%v: the view does not encode", c)
		}
	}
}

// latestNamed is the latest ledger time under a state time's name
// anywhere in a decoded JSON value.
func latestNamed(v any) time.Time {
	var latest string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, m := range v {
				if s, ok := m.(string); ok && slices.Contains([]string{"updatedAt", "recalledAt", "evaluatedAt", "registeredAt"}, k) && s > latest {
					latest = s
				}
				walk(m)
			}
		case []any:
			for _, m := range v {
				walk(m)
			}
		}
	}
	walk(v)
	t, err := time.Parse(time.RFC3339Nano, latest)
	if err != nil {
		return time.Time{}
	}
	return t
}

// TestModifiedCoversTheView: the view's members that ledgerTimes reads are
// the ones Modified reads. A new one (a type that Page comes to hold)
// fails here until Modified reads it too.
func TestModifiedCoversTheView(t *testing.T) {
	var got []string
	var walk func(tp reflect.Type, path string, on map[reflect.Type]bool)
	walk = func(tp reflect.Type, path string, on map[reflect.Type]bool) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice || tp.Kind() == reflect.Array || tp.Kind() == reflect.Map {
			if tp.Kind() != reflect.Pointer {
				path += "[]"
			}
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || on[tp] {
			return
		}
		on[tp] = true
		defer delete(on, tp)
		for f := range tp.Fields() {
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			if !f.IsExported() || tag == "-" {
				continue
			}
			switch tag {
			case "updatedAt", "recalledAt", "evaluatedAt", "registeredAt":
				got = append(got, path+"."+f.Name)
			}
			walk(f.Type, path+"."+f.Name, on)
		}
	}
	walk(reflect.TypeFor[Page](), "Page", map[reflect.Type]bool{})
	slices.Sort(got)
	want := []string{
		"Page.Lot.Recall.RecalledAt",
		"Page.Lot.UpdatedAt",
		"Page.Product.RegisteredAt",
		"Page.Recalls[].Recall.RecalledAt",
		"Page.Reports[].Lab.RegisteredAt",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the view's ledger times are at\n%s\nModified reads\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
