package ledger

import "slices"

// FTLFood is a food of the FDA's Food Traceability List (21 CFR 1.1300,
// the list the FDA publishes under FSMA section 204(d)(2)): foods whose
// Critical Tracking Events must carry Key Data Elements (21 CFR 1 subpart S).
type FTLFood struct {
	// Key is what a product record holds (Product.FoodTraceabilityList).
	Key string `json:"key"`
	// Name is the FDA's name of the food.
	Name string `json:"name"`
}

// FTLFoods are the foods of the Food Traceability List (version of
// November 2022), in the FDA's order.
var FTLFoods = []FTLFood{
	{"soft-cheese", "Cheeses, other than hard cheeses"},
	{"shell-eggs", "Shell eggs"},
	{"nut-butters", "Nut butters"},
	{"cucumbers", "Cucumbers (fresh)"},
	{"herbs", "Herbs (fresh)"},
	{"leafy-greens", "Leafy greens (fresh)"},
	{"leafy-greens-fresh-cut", "Leafy greens (fresh-cut)"},
	{"melons", "Melons (fresh)"},
	{"peppers", "Peppers (fresh)"},
	{"sprouts", "Sprouts (fresh)"},
	{"tomatoes", "Tomatoes (fresh)"},
	{"tropical-tree-fruits", "Tropical tree fruits (fresh)"},
	{"fruits-fresh-cut", "Fruits (fresh-cut)"},
	{"vegetables-fresh-cut", "Vegetables other than leafy greens (fresh-cut)"},
	{"finfish", "Finfish (fresh and frozen)"},
	{"smoked-finfish", "Smoked finfish (refrigerated and frozen)"},
	{"crustaceans", "Crustaceans (fresh and frozen)"},
	{"molluscan-shellfish", "Molluscan shellfish, bivalves (fresh and frozen)"},
	{"deli-salads", "Ready-to-eat deli salads (refrigerated)"},
}

// FTLFoodByKey returns the Food Traceability List food with key k.
func FTLFoodByKey(k string) (FTLFood, bool) {
	i := slices.IndexFunc(FTLFoods, func(f FTLFood) bool { return f.Key == k })
	if i < 0 {
		return FTLFood{}, false
	}
	return FTLFoods[i], true
}

// FTLKeys are the keys of FTLFoods, in order.
func FTLKeys() []string {
	keys := make([]string, len(FTLFoods))
	for i, f := range FTLFoods {
		keys[i] = f.Key
	}
	return keys
}
