package claims

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Why is a verdict's reason as data: a stable code and typed arguments.
// Result.Reason is its English text (Why.String), the one that stored
// results, receipts and `trustline verify` compare; a consumer page
// renders the same Why in the shopper's language. Why is not part of a
// Result's JSON, so receipts and the index keep exactly the English text;
// it is had by evaluating (Evaluate sets Result.Why).
//
// Codes are stable: a new wording gets a new code, never an old code with
// other arguments. ReasonCodes lists them and ReasonArgs their arguments.
type Why struct {
	Code string
	Args []Arg
	// Also are further clauses, written after it, each after "; ".
	Also []Why
}

// ArgKind is what an argument of a Why is, so that a renderer can write
// it in its language: a count picks plural forms, a time and a duration
// are written by the language's conventions.
type ArgKind uint8

// Argument kinds.
const (
	// ArgText is shown as it is: an id, a name, a region, a verdict word
	// ("pass", "fail") as recorded.
	ArgText ArgKind = iota + 1
	// ArgCount is a whole number (N); plural forms follow it.
	ArgCount
	// ArgTemp is a temperature in °C (C), written without its unit.
	ArgTemp
	// ArgTime is a ledger time (T), shown in UTC; when the ledger's text
	// could not be read, T is zero and Text holds it.
	ArgTime
	// ArgTimeAfter is a time (T) that follows another (Prev): shown
	// without its date when on the same UTC day.
	ArgTimeAfter
	// ArgDuration is a duration (D), to the minute.
	ArgDuration
	// ArgTook is how long an answer took (D): a duration, or "under a
	// minute".
	ArgTook
	// ArgList is a list of texts (List), e.g. analytes.
	ArgList
	// ArgClause is one nested reason (Why[0]).
	ArgClause
	// ArgClauses are nested reasons (Why), each after "; ".
	ArgClauses
)

// Arg is one argument of a Why; which fields are set depends on Kind.
type Arg struct {
	Kind    ArgKind
	Text    string
	N       int
	C       float64
	T, Prev time.Time
	D       time.Duration
	List    []string
	Why     []Why
}

// reasonDef is a code's English wording (fmt verbs, all %s, possibly
// reordered as %[n]s; "one|other" plural forms chosen by the first
// argument, a count) and its arguments.
type reasonDef struct {
	en   string
	args []ArgKind
}

// Verbatim is the code of a reason known only as text (a result read
// back from storage, without a Why): its one argument is the text.
const Verbatim = "verbatim"

var reasonDefs = map[string]reasonDef{
	Verbatim:       {"%s", []ArgKind{ArgText}},
	"unknown_kind": {"this node cannot evaluate claims of kind %s with these parameters", []ArgKind{ArgText}},

	// cold_chain
	"range_unknown":        {"the product's temperature range is not known", nil},
	"temp_above":           {"reading of %s °C at %s (%s) exceeds %s °C", []ArgKind{ArgTemp, ArgTime, ArgText, ArgTemp}},
	"temp_below":           {"reading of %s °C at %s (%s) is below %s °C", []ArgKind{ArgTemp, ArgTime, ArgText, ArgTemp}},
	"readings_outside":     {"%s readings outside %s–%s °C", []ArgKind{ArgCount, ArgTemp, ArgTemp}},
	"shipment_no_readings": {"shipment %s carried no temperature readings", []ArgKind{ArgText}},
	"gap_ship_recv":        {"no reading for %s between shipping at %s and receiving at %s on shipment %s (limit %s)", []ArgKind{ArgDuration, ArgTime, ArgTimeAfter, ArgText, ArgDuration}},
	"gap_ship_first":       {"no reading for %s between shipping at %s and the first reading at %s on shipment %s (limit %s)", []ArgKind{ArgDuration, ArgTime, ArgTimeAfter, ArgText, ArgDuration}},
	"gap_readings":         {"no reading for %s between %s and %s on shipment %s (limit %s)", []ArgKind{ArgDuration, ArgTime, ArgTimeAfter, ArgText, ArgDuration}},
	"gap_last_recv":        {"no reading for %s between the last reading at %s and receiving at %s on shipment %s (limit %s)", []ArgKind{ArgDuration, ArgTime, ArgTimeAfter, ArgText, ArgDuration}},
	"gap_in_transit":       {"the shipment is still in transit, and its logger's readings may yet fill the gap", nil},
	"readings_so_far":      {"%s readings within %s–%s °C so far; not yet received at a retail place", []ArgKind{ArgCount, ArgTemp, ArgTemp}},
	"no_readings":          {"no temperature readings were recorded between origin and retail", nil},
	"cold_chain_kept":      {"all %s readings from origin to retail within %s–%s °C; longest gap in transit %s (limit %s)", []ArgKind{ArgCount, ArgTemp, ArgTemp, ArgDuration, ArgDuration}},

	// farm_to_shelf_within
	"no_harvest":          {"no origin with a harvest time is recorded yet", nil},
	"not_at_retail_late":  {"not received at a retail place %s after harvest on %s (limit %s h)", []ArgKind{ArgDuration, ArgTime, ArgCount}},
	"not_at_retail_yet":   {"harvested %s; not yet received at a retail place (%s of %s h left)", []ArgKind{ArgTime, ArgDuration, ArgCount}},
	"at_retail_late":      {"received at a retail place on %s, %s after harvest on %s, over the %s h limit", []ArgKind{ArgTime, ArgDuration, ArgTime, ArgCount}},
	"at_retail_in_time":   {"received at a retail place on %s, %s after harvest on %s (limit %s h)", []ArgKind{ArgTime, ArgDuration, ArgTime, ArgCount}},
	"signer_revoked":      {"its signer %s (%s) was revoked on %s", []ArgKind{ArgText, ArgText, ArgTime}},
	"signer_unregistered": {"its signer %s is not a registered lab signer", []ArgKind{ArgText}},

	// lab_tested
	"analyte_over":        {"%s %s %s over the limit %s", []ArgKind{ArgText, ArgText, ArgText, ArgText}},
	"report_lacks":        {"report %s does not cover %s", []ArgKind{ArgText, ArgList}},
	"report_no_sampling":  {"report %s has no readable sampling time", []ArgKind{ArgText}},
	"report_not_counted":  {"report %s does not count: %s", []ArgKind{ArgText, ArgClause}},
	"report_verdict":      {"report %s has verdict %s", []ArgKind{ArgText, ArgText}},
	"report_verdict_over": {"report %s has verdict %s: %s", []ArgKind{ArgText, ArgText, ArgClauses}},
	"report_too_old":      {"report %s was sampled on %s, %s ago, older than %s days", []ArgKind{ArgText, ArgTime, ArgDuration, ArgCount}},
	"lab_passed":          {"report %s by %s (%s), sampled from %s on %s, passes %s", []ArgKind{ArgText, ArgText, ArgText, ArgClause, ArgTime, ArgList}},
	"this_lot":            {"this lot", nil},
	"ingredient_lot":      {"ingredient lot %s", []ArgKind{ArgText}},
	"no_lab_report":       {"no report of a registered lab signer covering %s is recorded yet", []ArgKind{ArgList}},
	"no_lab_report_notes": {"no report of a registered lab signer covering %s is recorded yet (%s)", []ArgKind{ArgList, ArgClauses}},

	// origin_in
	"no_origin":      {"no origin is recorded yet", nil},
	"origin_outside": {"origin of %s (%s) lies outside %s", []ArgKind{ArgText, ArgClause, ArgText}},
	"origin_inside":  {"%s (%s) lies in %s", []ArgKind{ArgClause, ArgClause, ArgText}},
	"place_town":     {"%s, %s", []ArgKind{ArgText, ArgText}},
	"place_town_geo": {"%s, %s at %s, %s", []ArgKind{ArgText, ArgText, ArgText, ArgText}},
	"place_geo":      {"%s, %s", []ArgKind{ArgText, ArgText}},
	"place_producer": {"%s", []ArgKind{ArgText}},
	"the_origin":     {"the origin", nil},
	"all_origins":    {"all %s origins", []ArgKind{ArgCount}},

	// certified
	"cert_not_counted": {"certificate %s for %s does not count: %s", []ArgKind{ArgText, ArgText, ArgClause}},
	"cert_verdict":     {"certificate %s for %s has verdict %s", []ArgKind{ArgText, ArgText, ArgText}},
	"cert_expired":     {"certificate %s for %s, issued %s, expired after %s days", []ArgKind{ArgText, ArgText, ArgTime, ArgCount}},
	"no_cert":          {"no %s certificate for the origin producer %s is recorded yet", []ArgKind{ArgText, ArgText}},
	"cert_current":     {"current %s certificate: %s", []ArgKind{ArgText, ArgClauses}},
	"cert_entry":       {"%s by %s, issued %s", []ArgKind{ArgText, ArgText, ArgTime}},

	// service_within
	"no_tickets":         {"no tickets filed in the last %s days; nothing to judge yet", []ArgKind{ArgCount}},
	"ticket_unanswered":  {"ticket %s filed on %s is unanswered after %s (limit %s)", []ArgKind{ArgText, ArgTime, ArgTook, ArgDuration}},
	"ticket_late":        {"ticket %s filed on %s was answered %s later (limit %s)", []ArgKind{ArgText, ArgTime, ArgTook, ArgDuration}},
	"tickets_in_time":    {"%[2]s of %[1]s ticket in the last %[3]s days answered in time|%[2]s of %[1]s tickets in the last %[3]s days answered in time", []ArgKind{ArgCount, ArgCount, ArgCount}},
	"tickets_unanswered": {"%s ticket filed in the last %s days, none answered yet|%s tickets filed in the last %s days, none answered yet", []ArgKind{ArgCount, ArgCount}},
	"tickets_open":       {"%s open, the first due by %s", []ArgKind{ArgCount, ArgTime}},
	"service_kept":       {"%s answered ticket in the last %s days, answered within %s; the longest took %s|%s answered tickets in the last %s days, all answered within %s; the longest took %s", []ArgKind{ArgCount, ArgCount, ArgDuration, ArgTook}},

	// Overall (a badge for the whole lot)
	"recalled":          {"Recalled: %s", []ArgKind{ArgText}},
	"recalled_upstream": {"Recalled through an ingredient lot", nil},
	"no_claims":         {"no claims", nil},
	"claims_hold":       {"%s claims hold", []ArgKind{ArgCount}},
	"claim_reason":      {"%s: %s", []ArgKind{ArgText, ArgClause}},
}

// ReasonCodes lists every reason code, sorted.
func ReasonCodes() []string {
	out := make([]string, 0, len(reasonDefs))
	for c := range reasonDefs {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// ReasonArgs are the kinds of a code's arguments, in order (nil for an
// unknown code or one without arguments).
func ReasonArgs(code string) []ArgKind { return slices.Clone(reasonDefs[code].args) }

// IsZero reports whether w is no reason at all.
func (w Why) IsZero() bool { return w.Code == "" }

// String is w in English: the text of Result.Reason.
func (w Why) String() string {
	d, ok := reasonDefs[w.Code]
	if !ok {
		return w.Code
	}
	tmpl := d.en
	if one, other, ok := strings.Cut(tmpl, "|"); ok {
		tmpl = other
		if len(w.Args) > 0 && w.Args[0].Kind == ArgCount && w.Args[0].N == 1 {
			tmpl = one
		}
	}
	args := make([]any, len(w.Args))
	for i, a := range w.Args {
		args[i] = a.english()
	}
	s := fmt.Sprintf(tmpl, args...)
	for _, a := range w.Also {
		s += "; " + a.String()
	}
	return s
}

func (a Arg) english() string {
	switch a.Kind {
	case ArgCount:
		return strconv.Itoa(a.N)
	case ArgTemp:
		return num(a.C)
	case ArgTime:
		if a.T.IsZero() {
			return a.Text
		}
		return stamp(a.T)
	case ArgTimeAfter:
		return stampAfter(a.Prev, a.T)
	case ArgDuration:
		return dur(a.D)
	case ArgTook:
		return took(a.D)
	case ArgList:
		return strings.Join(a.List, ", ")
	case ArgClause, ArgClauses:
		parts := make([]string, len(a.Why))
		for i, w := range a.Why {
			parts[i] = w.String()
		}
		return strings.Join(parts, "; ")
	}
	return a.Text
}

// why builds a reason.
func why(code string, args ...Arg) Why { return Why{Code: code, Args: args} }

// also returns w followed by the clause c.
func (w Why) also(c Why) Why {
	w.Also = append(slices.Clone(w.Also), c)
	return w
}

// Argument constructors.
func argText(s string) Arg           { return Arg{Kind: ArgText, Text: s} }
func argCount(n int) Arg             { return Arg{Kind: ArgCount, N: n} }
func argTemp(c float64) Arg          { return Arg{Kind: ArgTemp, C: c} }
func argTime(t time.Time) Arg        { return Arg{Kind: ArgTime, T: t.UTC()} }
func argAfter(prev, t time.Time) Arg { return Arg{Kind: ArgTimeAfter, T: t.UTC(), Prev: prev.UTC()} }
func argDur(d time.Duration) Arg     { return Arg{Kind: ArgDuration, D: d} }
func argTook(d time.Duration) Arg    { return Arg{Kind: ArgTook, D: d} }
func argList(items []string) Arg     { return Arg{Kind: ArgList, List: slices.Clone(items)} }
func argClause(w Why) Arg            { return Arg{Kind: ArgClause, Why: []Why{w}} }
func argClauses(ws []Why) Arg        { return Arg{Kind: ArgClauses, Why: slices.Clone(ws)} }

// argTimeString is a ledger time as text; text that is not RFC 3339 is
// shown as it is.
func argTimeString(s string) Arg {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Arg{Kind: ArgTime, Text: s}
	}
	return argTime(t)
}
