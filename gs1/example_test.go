package gs1_test

import (
	"errors"
	"fmt"

	"github.com/trustline/trustline/gs1"
)

func ExampleValidateGTIN() {
	gtin, err := gs1.ValidateGTIN("9506000134352") // a GTIN-13
	fmt.Println(gtin, err)

	_, err = gs1.ValidateGTIN("09506000134353")
	fmt.Println(err)

	var gerr *gs1.Error
	if errors.As(err, &gerr) {
		fmt.Println(gerr.Kind, gerr.Field)
	}
	// Output:
	// 09506000134352 <nil>
	// GTIN 09506000134353 has check digit 3, expected 2
	// check digit GTIN
}

func ExampleCheckDigit() {
	d, _ := gs1.CheckDigit("950600013435")
	fmt.Println(d)
	// Output: 2
}
