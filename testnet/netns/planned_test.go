package netns

import "testing"

// A host's namespace and address follow from its number alone, so a member
// can name the address of a machine set up later.
func TestPlanned(t *testing.T) {
	l := &Lab{prefix: "tlx"}
	for _, tc := range []struct {
		i        int
		name, ip string
	}{
		{0, "tlx-h1", "198.18.0.2"},
		{4, "tlx-h5", "198.18.0.6"},
		{maxHosts - 1, "tlx-h200", "198.18.0.201"},
	} {
		if h := l.Planned(tc.i); h.Name != tc.name || h.IP != tc.ip || h.veth != "tlx-v"+tc.name[len("tlx-h"):] {
			t.Errorf("Planned(%d) = %+v, want %s at %s", tc.i, h, tc.name, tc.ip)
		}
	}
}
