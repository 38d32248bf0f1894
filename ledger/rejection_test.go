package ledger

import "testing"

func TestRejection(t *testing.T) {
	tests := []struct {
		code, msg, wire string
	}{
		{RejectNotFound, "unknown lot L1", "[not-found] unknown lot L1"},
		{RejectForbidden, "only the current custodian (SupplierMSP) can ship lot L1", "[forbidden] only the current custodian (SupplierMSP) can ship lot L1"},
		{RejectInvalid, "gtin \"1\": bad", "[invalid] gtin \"1\": bad"},
		{RejectExists, "lot L1 exists", "[exists] lot L1 exists"},
		{RejectState, "lot L1 is recalled", "[state] lot L1 is recalled"},
		{"", "disk on fire", "disk on fire"},
	}
	for _, tc := range tests {
		if got := Rejection(tc.code, tc.msg); got != tc.wire {
			t.Errorf("Rejection(%q, %q) = %q, want %q", tc.code, tc.msg, got, tc.wire)
		}
		if code, reason := SplitRejection(tc.wire); code != tc.code || reason != tc.msg {
			t.Errorf("SplitRejection(%q) = %q, %q; want %q, %q", tc.wire, code, reason, tc.code, tc.msg)
		}
	}
	// Brackets that are not a code are the message's own.
	for _, msg := range []string{"[draft] report", "[not-found]no space", "[unknown] x", "[", ""} {
		if code, reason := SplitRejection(msg); code != "" || reason != msg {
			t.Errorf("SplitRejection(%q) = %q, %q; want the message whole", msg, code, reason)
		}
	}
}
