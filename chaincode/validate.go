package chaincode

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustline/trustline/ledger"
)

// Time policy. Event times recorded by the chaincode are the transaction
// timestamp; times that clients supply (production, readings, reports) are
// checked against it, because a client can put any time in a proposal but
// the endorsing peers reject timestamps far from their clocks.
const (
	// MaxClockSkew is how far after the transaction time a supplied time
	// may be: clocks of devices and clients drift.
	MaxClockSkew = 5 * time.Minute
	// MaxReadingAge is how old a cold-chain reading may be when recorded:
	// data loggers are read out at the end of a leg, which rarely lasts a month.
	MaxReadingAge = 30 * 24 * time.Hour
	// MaxReportAge is how old an inspection report may be when submitted.
	MaxReportAge = 90 * 24 * time.Hour
	// MaxOriginAge is how long before its registration a batch may have been
	// produced (frozen and dry goods are registered late).
	MaxOriginAge = 5 * 365 * 24 * time.Hour
	// MaxShelfLife bounds expiry after production and a product's shelf life.
	MaxShelfLife = 10 * 365 * 24 * time.Hour
)

// Physical bounds of readings: anything outside is a broken sensor or a
// unit mix-up, not food.
const (
	MinTemperatureC = -100
	MaxTemperatureC = 100
)

// Size limits: every peer stores every record.
const (
	maxTextLen   = 256
	maxIDLen     = 128
	maxListLen   = 1000
	maxReadings  = 1000
	maxEvidences = 50
)

// checkText checks a required free-text field.
func checkText(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return errorf(ErrInvalid, "%s is required", field)
	}
	return checkOptionalText(field, v, max)
}

// checkOptionalText checks an optional free-text field.
func checkOptionalText(field, v string, max int) error {
	if len(v) > max {
		return errorf(ErrInvalid, "%s is longer than %d bytes: %q…", field, max, v[:32])
	}
	if !utf8.ValidString(v) {
		return errorf(ErrInvalid, "%s %q is not valid UTF-8", field, v)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return errorf(ErrInvalid, "%s %q contains a control character", field, v)
		}
	}
	return nil
}

// parseTime parses a client-supplied RFC 3339 time.
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf(ErrInvalid, "%s %q is not an RFC 3339 time", field, v)
	}
	return t.UTC(), nil
}

// checkWindow rejects t after now+MaxClockSkew or before now-maxAge.
func checkWindow(field string, t, now time.Time, maxAge time.Duration) error {
	if t.After(now.Add(MaxClockSkew)) {
		return errorf(ErrInvalid, "%s %s is in the future of the transaction time %s", field, t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if t.Before(now.Add(-maxAge)) {
		return errorf(ErrInvalid, "%s %s is more than %s before the transaction time %s", field, t.Format(time.RFC3339), humanDuration(maxAge), now.Format(time.RFC3339))
	}
	return nil
}

func humanDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

var (
	quantityRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?$`)
	uomRE      = regexp.MustCompile(`^[A-Z0-9]{2,3}$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	uriRE      = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$`)
)

// parseQuantity checks q: a positive decimal with at most 6 decimals and a
// UN/CEFACT unit code.
func parseQuantity(field string, q ledger.Quantity) (*big.Rat, error) {
	if !quantityRE.MatchString(q.Value) {
		return nil, errorf(ErrInvalid, "%s value %q is not a decimal number with at most 6 decimals", field, q.Value)
	}
	r, _ := new(big.Rat).SetString(q.Value)
	if r.Sign() <= 0 {
		return nil, errorf(ErrInvalid, "%s value %q is not positive", field, q.Value)
	}
	if !uomRE.MatchString(q.UOM) {
		return nil, errorf(ErrInvalid, "%s unit %q is not a UN/CEFACT Rec. 20 code such as KGM", field, q.UOM)
	}
	return r, nil
}

// formatDecimal formats r, which has at most 6 decimals, without trailing zeros.
func formatDecimal(r *big.Rat) string {
	s := r.FloatString(6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// decimalFloat converts a checked decimal string to the number EPCIS carries.
func decimalFloat(s string) float64 {
	r, _ := new(big.Rat).SetString(s)
	f, _ := r.Float64()
	return f
}

func checkSHA256(field, v string) error {
	if !sha256RE.MatchString(v) {
		return errorf(ErrInvalid, "%s %q is not 64 lower-case hex digits", field, v)
	}
	return nil
}

func checkURI(field, v string) error {
	if err := checkText(field, v, maxTextLen); err != nil {
		return err
	}
	if !uriRE.MatchString(v) {
		return errorf(ErrInvalid, "%s %q is not an absolute URI", field, v)
	}
	return nil
}

func checkFinite(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errorf(ErrInvalid, "%s is not a finite number", field)
	}
	return nil
}
