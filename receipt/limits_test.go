package receipt

import (
	"strings"
	"testing"
)

// TestLimitsByVersion: what each format leaves unproven is stated (issue 12
// item 8): versions 1 and 2 completeness, currency, the binding of txId and
// block and the content outside the CBV hash (version 1 also the claims);
// version 3 currency offline; version 4 nothing, for lot B's receipt.
func TestLimitsByVersion(t *testing.T) {
	s := newStory(t)
	v3 := s.receipt(t, nil)
	v3.Version, v3.State = 3, nil
	for _, tc := range []struct {
		name      string
		limits    []string
		want, not []string
	}{
		{"version 1", Limits(1), []string{"completeness", "currency", "transaction id and block", "certificationInfo", "claim verdict"}, nil},
		{"version 2", Limits(2), []string{"completeness", "currency", "transaction id and block", "certificationInfo"}, []string{"claim verdict"}},
		{"version 3", v3.Limits(), []string{"currency", "offline"}, []string{"completeness", "transaction id"}},
		{"version 4", s.receipt(t, nil).Limits(), nil, []string{"completeness", "currency", "transaction id", "certificationInfo"}},
	} {
		all := strings.Join(tc.limits, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: limits lack %q:\n%s", tc.name, w, all)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(all, w) {
				t.Errorf("%s: limits state %q:\n%s", tc.name, w, all)
			}
		}
	}
}
