package chaincode

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

func TestErrorClasses(t *testing.T) {
	cause := errors.New("disk on fire")
	tests := []struct {
		err   error
		class error
		msg   string
	}{
		{errorf(ErrNotFound, "no lot %s", "L1"), ErrNotFound, "no lot L1"},
		{wrapf(ErrInvalid, cause, "gtin %q", "1"), ErrInvalid, `gtin "1": disk on fire`},
		{errorf(ErrForbidden, "x"), ErrForbidden, "x"},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.class) || tt.err.Error() != tt.msg {
			t.Errorf("%v: class or message wrong", tt.err)
		}
		for _, other := range []error{ErrInvalid, ErrNotFound, ErrExists, ErrForbidden, ErrState} {
			if other != tt.class && errors.Is(tt.err, other) {
				t.Errorf("%v is also %v", tt.err, other)
			}
		}
	}
	if !errors.Is(tests[1].err, cause) {
		t.Error("wrapped cause lost")
	}
}

func TestValidators(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"text ok", checkText("f", "Tomatoes", 10), ""},
		{"text blank", checkText("f", "  ", 10), "f is required"},
		{"optional empty", checkOptionalText("f", "", 10), ""},
		{"bad utf8", checkOptionalText("f", "a\xffb", 10), "not valid UTF-8"},
		{"del char", checkOptionalText("f", "a\x7fb", 10), "control character"},
		{"too long", checkOptionalText("f", strings.Repeat("x", 40), 32), "longer than 32 bytes"},
		{"nan", checkFinite("v", math.NaN()), "v is not a finite number"},
		{"inf", checkFinite("v", math.Inf(-1)), "not a finite number"},
		{"finite", checkFinite("v", -1), ""},
		{"uri ok", checkURI("u", "ipfs://bafy"), ""},
		{"uri relative", checkURI("u", "/a/b"), "is not an absolute URI"},
		{"uri empty", checkURI("u", ""), "u is required"},
		{"sha ok", checkSHA256("h", strings.Repeat("0", 64)), ""},
		{"window future", checkWindow("t", now.Add(6*time.Minute), now, time.Hour), "in the future"},
		{"window skew ok", checkWindow("t", now.Add(4*time.Minute), now, time.Hour), ""},
		{"window old", checkWindow("t", now.Add(-2*time.Hour), now, time.Hour), "more than 1h0m0s before"},
		{"range nan", checkTempRange(math.NaN(), 1), "not a finite number"},
		{"range inverted", checkTempRange(5, 1), "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				if tt.err != nil {
					t.Fatalf("unexpected error %v", tt.err)
				}
				return
			}
			if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) || !errors.Is(tt.err, ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid containing %q", tt.err, tt.want)
			}
		})
	}
	for in, want := range map[string]string{"logger-1": "urn:trustline:device:logger-1", "urn:epc:id:giai:1": "urn:epc:id:giai:1", "a b": "urn:trustline:device:a%20b"} {
		if got := deviceURI(in); got != want {
			t.Errorf("deviceURI(%q) = %q, want %q", in, got, want)
		}
	}
	if got := pastTense("unpack"); got != "unpacked" {
		t.Errorf("pastTense = %q", got)
	}
	if got := truncate(strings.Repeat("x", 10), 4); got != "xxxx…" {
		t.Errorf("truncate = %q", got)
	}
	if _, err := marshalCanonical(math.NaN()); err == nil {
		t.Error("NaN marshalled")
	}
	if got, _ := marshalCanonical(map[string]string{"b": "<&>", "a": ""}); string(got) != `{"a":"","b":"<&>"}` {
		t.Errorf("marshalCanonical = %s", got)
	}
}

// A transaction's error reaches Fabric with its class's code in front
// (ledger.Rejection), still matching its class; an error without a class
// is left alone.
func TestClassify(t *testing.T) {
	tests := []struct {
		err   error
		class error
		wire  string
	}{
		{errorf(ErrNotFound, "unknown lot %s", "L1"), ErrNotFound, "[not-found] unknown lot L1"},
		{errorf(ErrInvalid, "bad"), ErrInvalid, "[invalid] bad"},
		{errorf(ErrExists, "lot L1 exists"), ErrExists, "[exists] lot L1 exists"},
		{errorf(ErrForbidden, "not yours"), ErrForbidden, "[forbidden] not yours"},
		{errorf(ErrState, "recalled"), ErrState, "[state] recalled"},
		{fmt.Errorf("reading: %w", errorf(ErrNotFound, "no x")), ErrNotFound, "[not-found] reading: no x"},
		{errors.New("disk on fire"), nil, "disk on fire"},
	}
	for _, tt := range tests {
		err := tt.err
		classify(&err)
		if err.Error() != tt.wire || tt.class != nil && !errors.Is(err, tt.class) {
			t.Errorf("classify(%q) = %q, want %q matching %v", tt.err, err, tt.wire, tt.class)
		}
	}
	var none error
	if classify(&none); none != nil {
		t.Errorf("classify(nil) = %v", none)
	}
}

// Every rejection a contract function returns carries its code on the
// wire: the harness sees what a peer would send.
func TestRejectionCodeOnTheWire(t *testing.T) {
	e := newEnv(t)
	r := e.invoke(brand, "Query:GetLot", "https://id.gs1.org/01/09506000134352/10/NOPE")
	if code, reason := ledger.SplitRejection(r.Response.Message); r.OK() || code != ledger.RejectNotFound || !strings.HasPrefix(reason, "unknown lot") {
		t.Fatalf("GetLot of a missing lot: ok=%v %q, want a [not-found] rejection", r.OK(), r.Response.Message)
	}
}
