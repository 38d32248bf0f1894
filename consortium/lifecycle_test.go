package consortium

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeLifecycle is a channel's _lifecycle as one member's peer sees it:
// the committed definition and the approvals of each definition.
type fakeLifecycle struct {
	me        string
	members   []string
	committed Definition
	approved  map[string]map[string]bool // definition key → member → approved
	installed []string
	commits   int
}

func key(d Definition) string { return d.String() }

func (f *fakeLifecycle) Committed(context.Context, string, string) (Definition, error) {
	d := f.committed
	d.Approvals = map[string]bool{}
	for _, m := range f.members {
		d.Approvals[m] = f.approved[key(f.committed)][m]
	}
	return d, nil
}

func (f *fakeLifecycle) Install(_ context.Context, pkg []byte) (string, error) {
	id := PackageID("x", pkg)
	f.installed = append(f.installed, id)
	return id, nil
}

func (f *fakeLifecycle) Approve(_ context.Context, _ string, d Definition, _ string) error {
	f.approve(f.me, d)
	return nil
}

func (f *fakeLifecycle) approve(org string, d Definition) {
	if f.approved[key(d)] == nil {
		f.approved[key(d)] = map[string]bool{}
	}
	f.approved[key(d)][org] = true
}

func (f *fakeLifecycle) Readiness(_ context.Context, _ string, d Definition) (map[string]bool, error) {
	m := map[string]bool{}
	for _, o := range f.members {
		m[o] = f.approved[key(d)][o]
	}
	return m, nil
}

func (f *fakeLifecycle) Commit(_ context.Context, _ string, d Definition, endorsers []string) error {
	if len(endorsers) <= len(f.members)/2 {
		return errors.New("fake: endorsement policy not met")
	}
	f.committed, f.commits = d, f.commits+1
	return nil
}

func (f *fakeLifecycle) Close() error { return nil }

func TestUpgradeByVote(t *testing.T) {
	members := []string{"BrandMSP", "LabMSP", "LogisticsMSP", "SupplierMSP"}
	v1 := Definition{Name: "trustline", Version: "1.0", Sequence: 1, ValidationParameter: []byte("policy")}
	f := &fakeLifecycle{members: members, committed: v1, approved: map[string]map[string]bool{key(v1): {"BrandMSP": true, "LabMSP": true, "LogisticsMSP": true, "SupplierMSP": true}}}
	ctx := context.Background()
	as := func(org string) *fakeLifecycle { f.me = org; return f }
	pkg, _, err := CCaaSPackage("trustline_1.1_brand", "127.0.0.1:9998")
	if err != nil {
		t.Fatal(err)
	}

	// Approving before anyone proposed is refused.
	if _, err := ApproveUpgrade(ctx, as("LabMSP"), "ch", "trustline", "1.1", "LabMSP", pkg, true); !errors.Is(err, ErrNotProposed) ||
		!strings.Contains(err.Error(), "no member approved trustline version 1.1 sequence 2 yet") {
		t.Fatalf("approve before a proposal: %v", err)
	}
	if len(f.installed) != 0 {
		t.Errorf("a refused approval installed %v", f.installed)
	}
	// The same version again is bad input.
	if _, err := ApproveUpgrade(ctx, as("BrandMSP"), "ch", "trustline", "1.0", "BrandMSP", pkg, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("propose the committed version: %v", err)
	}
	up, err := ApproveUpgrade(ctx, as("BrandMSP"), "ch", "trustline", "1.1", "BrandMSP", pkg, false)
	if err != nil {
		t.Fatal(err)
	}
	if up.Definition.Sequence != 2 || string(up.Definition.ValidationParameter) != "policy" || !up.Approvals["BrandMSP"] || up.Approvals["LabMSP"] {
		t.Errorf("proposal: %+v", up)
	}
	for i, org := range []string{"", "SupplierMSP"} {
		if org != "" {
			if _, err := ApproveUpgrade(ctx, as(org), "ch", "trustline", "1.1", org, pkg, true); err != nil {
				t.Fatal(err)
			}
		}
		_, err := CommitUpgrade(ctx, as("LabMSP"), "ch", "trustline", "1.1")
		want := []string{"too few approvals: 1 of 4 members approved trustline version 1.1 sequence 2 (BrandMSP); the channel's LifecycleEndorsement (MAJORITY) needs 3",
			"too few approvals: 2 of 4 members approved trustline version 1.1 sequence 2 (BrandMSP, SupplierMSP)"}[i]
		if !errors.Is(err, ErrTooFewApprovals) || !strings.Contains(err.Error(), want) {
			t.Errorf("commit with %d approvals: %v, want %q", i+1, err, want)
		}
	}
	if _, err := ApproveUpgrade(ctx, as("LabMSP"), "ch", "trustline", "1.1", "LabMSP", pkg, true); err != nil {
		t.Fatal(err)
	}
	d, err := CommitUpgrade(ctx, as("LabMSP"), "ch", "trustline", "1.1")
	if err != nil || d.Sequence != 2 || f.commits != 1 {
		t.Fatalf("commit by a majority: %+v %v", d, err)
	}
	// The fourth member approves late: the committed definition.
	up, err = ApproveUpgrade(ctx, as("LogisticsMSP"), "ch", "trustline", "1.1", "LogisticsMSP", pkg, true)
	if err != nil || up.Definition.Sequence != 2 || !up.Approvals["LogisticsMSP"] {
		t.Fatalf("late approval: %+v %v", up, err)
	}
	// Once it approved, approving again is bad input.
	if _, err := ApproveUpgrade(ctx, as("LogisticsMSP"), "ch", "trustline", "1.1", "LogisticsMSP", pkg, true); !errors.Is(err, ErrInvalid) {
		t.Errorf("approving twice: %v", err)
	}
	if _, err := CommitUpgrade(ctx, as("LabMSP"), "ch", "trustline", "1.1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("committing twice: %v", err)
	}
}

func TestCCaaSPackage(t *testing.T) {
	a, id, err := CCaaSPackage("trustline_1.1_brand", "127.0.0.1:9998")
	if err != nil {
		t.Fatal(err)
	}
	b, id2, _ := CCaaSPackage("trustline_1.1_brand", "127.0.0.1:9998")
	_, other, _ := CCaaSPackage("trustline_1.1_brand", "127.0.0.1:9997")
	if string(a) != string(b) || id != id2 || id == other || !strings.HasPrefix(id, "trustline_1.1_brand:") {
		t.Errorf("package ids %s %s %s", id, id2, other)
	}
	if _, _, err := CCaaSPackage("bad label", "127.0.0.1:1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad label: %v", err)
	}
}

// A member joining after upgrades approves the committed definition (its
// version and sequence), not the first deployment's; one that approved
// it already approves nothing.
func TestApproveAsNewMember(t *testing.T) {
	ctx := context.Background()
	pkg, _, err := CCaaSPackage("trustline_retailer", "127.0.0.1:9998")
	if err != nil {
		t.Fatal(err)
	}
	founders := []string{"BrandMSP", "LabMSP", "LogisticsMSP", "SupplierMSP"}
	for _, tc := range []struct {
		name      string
		committed Definition
	}{
		{"never upgraded", Definition{Name: "trustline", Version: "1.0", Sequence: 1, ValidationParameter: []byte("policy")}},
		{"after two upgrades", Definition{Name: "trustline", Version: "1.2", Sequence: 3, ValidationParameter: []byte("policy")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := map[string]bool{}
			for _, m := range founders {
				all[m] = true
			}
			f := &fakeLifecycle{me: "RetailerMSP", members: append(founders, "RetailerMSP"), committed: tc.committed,
				approved: map[string]map[string]bool{key(tc.committed): all}}
			up, err := ApproveAsNewMember(ctx, f, "ch", "trustline", "RetailerMSP", pkg)
			if err != nil {
				t.Fatal(err)
			}
			d := up.Definition
			if d.Version != tc.committed.Version || d.Sequence != tc.committed.Sequence || string(d.ValidationParameter) != "policy" ||
				!up.Approvals["RetailerMSP"] || len(f.installed) != 1 || up.PackageID != f.installed[0] || f.commits != 0 {
				t.Fatalf("approved %+v (installed %v, commits %d)", up, f.installed, f.commits)
			}
			if _, err := ApproveAsNewMember(ctx, f, "ch", "trustline", "RetailerMSP", pkg); err != nil || len(f.installed) != 1 {
				t.Fatalf("approving again: %v, installed %v", err, f.installed)
			}
		})
	}
}
