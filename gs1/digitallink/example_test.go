package digitallink_test

import (
	"errors"
	"fmt"

	"github.com/trustline/trustline/gs1/digitallink"
)

func ExampleParse() {
	l, err := digitallink.Parse("https://brand.example.com/dl/01/9506000134352/10/LOT%2F7/21/0042?linkType=all")
	if err != nil {
		panic(err)
	}
	fmt.Println(l.GTIN, l.Lot, l.Serial, l.Level())
	fmt.Println(l.Path())
	fmt.Println(l.LotLink())
	// Output:
	// 09506000134352 LOT/7 0042 unit
	// /01/09506000134352/10/LOT%2F7/21/0042
	// https://id.gs1.org/01/09506000134352/10/LOT%2F7
}

func ExampleParse_error() {
	_, err := digitallink.Parse("https://id.gs1.org/01/09506000134352/21/0042/10/LOT7")
	fmt.Println(err)

	var dlErr *digitallink.Error
	if errors.As(err, &dlErr) {
		fmt.Println("segment:", dlErr.Segment)
	}
	// Output:
	// digitallink: qualifier 10 (lot) must come before 21 (serial)
	// segment: 10
}

func ExampleForLot() {
	l, err := digitallink.ForLot("9506000134352", "2024-W17")
	if err != nil {
		panic(err)
	}
	fmt.Println(l)
	fmt.Println(l.WithBase("https://trace.example.org/"))
	// Output:
	// https://id.gs1.org/01/09506000134352/10/2024-W17
	// https://trace.example.org/01/09506000134352/10/2024-W17
}
