package consortium

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/orgca"
)

// Signer signs as one identity of an organisation: its MSP id, its
// certificate (PEM) and a signing function over a SHA-256 digest (Fabric
// wants low-S ECDSA, as fabric-gateway's signers make).
type Signer struct {
	MSPID string
	Cert  []byte
	Sign  identity.Sign
}

// AdminSigner is org's admin, from its organisation directory.
func AdminSigner(org *orgca.Org) (*Signer, error) {
	return fileSigner(org.MSPID(), org.Identity(orgca.Admin))
}

func fileSigner(mspID string, id orgca.Identity) (*Signer, error) {
	cert, err := os.ReadFile(id.CertFile())
	if err != nil {
		return nil, fmt.Errorf("admin certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(id.KeyFile())
	if err != nil {
		return nil, fmt.Errorf("admin key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("admin key %s: no PEM block", id.KeyFile())
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("admin key %s: %w", id.KeyFile(), err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	return &Signer{MSPID: mspID, Cert: cert, Sign: sign}, nil
}

// signatureHeader is a fresh SignatureHeader naming s.
func (s *Signer) signatureHeader() ([]byte, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return mustMarshal(&common.SignatureHeader{
		Creator: mustMarshal(&mspproto.SerializedIdentity{Mspid: s.MSPID, IdBytes: s.Cert}),
		Nonce:   nonce,
	}), nil
}

// sign signs data as Fabric signs a message: ECDSA over SHA-256.
func (s *Signer) sign(data []byte) ([]byte, error) {
	d := sha256.Sum256(data)
	return s.Sign(d[:])
}

// Sign adds s's signature of the update. An organisation signs once: its
// earlier signature is replaced.
func (u *Update) Sign(s *Signer, now time.Time) error {
	hdr, err := s.signatureHeader()
	if err != nil {
		return err
	}
	sig, err := s.sign(append(slices.Clone(hdr), u.ConfigUpdate...))
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	cert, err := orgca.ParseCertPEM(s.Cert)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now()
	}
	u.Signatures = slices.DeleteFunc(u.Signatures, func(g Signature) bool { return g.MSPID == s.MSPID })
	u.Signatures = append(u.Signatures, Signature{
		MSPID: s.MSPID, Signer: cert.Subject.CommonName, At: now.UTC().Truncate(time.Second),
		SignatureHeader: hdr, Signature: sig,
	})
	return nil
}

// Rule is one policy the update must satisfy, and how far it is.
type Rule struct {
	// Policy is the policy's path, e.g. /Channel/Application/Admins.
	Policy string `json:"policy"`
	// Rule is its text, e.g. "MAJORITY Admins".
	Rule string `json:"rule"`
	// Orgs are the organisations it counts (the group's members).
	Orgs []string `json:"orgs"`
	// Signed are those of Orgs with a valid admin signature.
	Signed []string `json:"signed"`
	Need   int      `json:"need"`
}

// Met reports whether enough organisations signed.
func (r Rule) Met() bool { return len(r.Signed) >= r.Need }

func (r Rule) String() string {
	return fmt.Sprintf("%s (%s of %d members' admins) needs %d signatures, has %d", r.Policy, r.Rule, len(r.Orgs), r.Need, len(r.Signed))
}

// Tally is what the update's signatures amount to against a channel
// configuration.
type Tally struct {
	Rules []Rule `json:"rules"`
	// Invalid are signatures that do not count, and why.
	Invalid []string `json:"invalid,omitempty"`
}

// Met reports whether every rule is met.
func (t Tally) Met() bool {
	for _, r := range t.Rules {
		if !r.Met() {
			return false
		}
	}
	return true
}

// Check checks the update against the channel's current configuration cc:
// it is for this channel, not stale, and (for an addition) its member is
// not already there; then it counts the valid admin signatures against the
// policies the update must satisfy. The error is nil when the update is
// ready to submit; otherwise it names the rule it fails (ErrStale,
// ErrExists, ErrNotMember, ErrTooFewSignatures).
func (u *Update) Check(cc *ChannelConfig) (Tally, error) {
	if u.Channel != cc.Channel {
		return Tally{}, fmt.Errorf("%w: the update is for channel %s, not %s", ErrInvalid, u.Channel, cc.Channel)
	}
	if cc.Sequence() != u.BaseSequence {
		return Tally{}, fmt.Errorf("%w: the channel's configuration moved on since the update was proposed (from config block %d, sequence %d; now config block %d, sequence %d): propose it again",
			ErrStale, u.BaseBlock, u.BaseSequence, cc.Block, cc.Sequence())
	}
	switch {
	case u.Kind == KindAdd && cc.HasOrg(u.MSPID):
		return Tally{}, fmt.Errorf("%w: %s is already in channel %s", ErrExists, u.MSPID, cc.Channel)
	case (u.Kind == KindRemove || u.Kind == KindMSP || u.Kind == KindOrdererCerts) && !cc.HasOrg(u.MSPID):
		return Tally{}, fmt.Errorf("%w: %s is not in channel %s", ErrNotMember, u.MSPID, cc.Channel)
	}
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(u.ConfigUpdate, &cu); err != nil {
		return Tally{}, fmt.Errorf("%w: config update: %v", ErrInvalid, err)
	}
	t := Tally{}
	valid := map[string]bool{}
	for _, s := range u.Signatures {
		if err := verifySignature(cc, s, u.ConfigUpdate); err != nil {
			t.Invalid = append(t.Invalid, fmt.Sprintf("%s (%s): %v", s.MSPID, s.Signer, err))
			continue
		}
		valid[s.MSPID] = true
	}
	for _, path := range modPolicies(cc.Config, &cu) {
		r, err := ruleFor(cc, path)
		if err != nil {
			return t, err
		}
		for _, o := range r.Orgs {
			if valid[o] {
				r.Signed = append(r.Signed, o)
			}
		}
		t.Rules = append(t.Rules, r)
	}
	for _, r := range t.Rules {
		if !r.Met() {
			return t, fmt.Errorf("%w: %d of %d member admins signed; %s (%s) needs %d", ErrTooFewSignatures, len(r.Signed), len(r.Orgs), r.Policy, r.Rule, r.Need)
		}
	}
	return t, nil
}

// verifySignature checks that s is a signature of configUpdate by an admin
// of its organisation in cc: a certificate issued by one of the
// organisation's root CAs, with the admin NodeOU, and a valid ECDSA
// signature over SignatureHeader||ConfigUpdate.
func verifySignature(cc *ChannelConfig, s Signature, configUpdate []byte) error {
	var hdr common.SignatureHeader
	if err := proto.Unmarshal(s.SignatureHeader, &hdr); err != nil {
		return fmt.Errorf("signature header: %v", err)
	}
	var id mspproto.SerializedIdentity
	if err := proto.Unmarshal(hdr.Creator, &id); err != nil {
		return fmt.Errorf("signer: %v", err)
	}
	if id.Mspid != s.MSPID {
		return fmt.Errorf("signed as %s, not %s", id.Mspid, s.MSPID)
	}
	msp, err := cc.MSP(id.Mspid)
	if err != nil {
		return err
	}
	cert, err := orgca.ParseCertPEM(id.IdBytes)
	if err != nil {
		return fmt.Errorf("signer certificate: %v", err)
	}
	roots := x509.NewCertPool()
	for _, r := range msp.RootCerts {
		roots.AppendCertsFromPEM(r)
	}
	inter := x509.NewCertPool()
	for _, r := range msp.IntermediateCerts {
		inter.AppendCertsFromPEM(r)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("certificate not issued by %s's CA: %v", id.Mspid, err)
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, string(orgca.RoleAdmin)) {
		return fmt.Errorf("%s is not an admin of %s (OU %v)", cert.Subject.CommonName, id.Mspid, cert.Subject.OrganizationalUnit)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("signer key is %T, not ECDSA", cert.PublicKey)
	}
	d := sha256.Sum256(append(slices.Clone(s.SignatureHeader), configUpdate...))
	if !ecdsa.VerifyASN1(pub, d[:], s.Signature) {
		return fmt.Errorf("signature does not verify")
	}
	return nil
}

// modPolicies lists the policies (absolute paths) the orderer checks for
// cu against the configuration it changes, as Fabric's configtx validator
// does: the mod_policy of each existing element the write set raises to its
// next version (a group's relative to the group itself, a value's or
// policy's relative to its group). New elements are covered by their
// group's raised version.
func modPolicies(cfg *common.Config, cu *common.ConfigUpdate) []string {
	var out []string
	add := func(base, mp string) {
		if !strings.HasPrefix(mp, "/") {
			mp = base + "/" + mp
		}
		if mp != "" && !slices.Contains(out, mp) {
			out = append(out, mp)
		}
	}
	var walk func(path string, cur, ws *common.ConfigGroup)
	walk = func(path string, cur, ws *common.ConfigGroup) {
		if cur == nil || ws == nil {
			return
		}
		if ws.Version == cur.Version+1 {
			add(path, cur.ModPolicy)
		}
		for k, v := range ws.Values {
			if e := cur.Values[k]; e != nil && v.Version == e.Version+1 {
				add(path, e.ModPolicy)
			}
		}
		for k, p := range ws.Policies {
			if e := cur.Policies[k]; e != nil && p.Version == e.Version+1 {
				add(path, e.ModPolicy)
			}
		}
		for k, g := range ws.Groups {
			walk(path+"/"+k, cur.Groups[k], g)
		}
	}
	walk("/Channel", cfg.GetChannelGroup(), cu.GetWriteSet())
	slices.Sort(out)
	return out
}

// ruleFor describes the policy at path: an ImplicitMeta policy over the
// member organisations' Admins (MAJORITY, ANY or ALL).
func ruleFor(cc *ChannelConfig, path string) (Rule, error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 2 || parts[0] != "Channel" {
		return Rule{}, fmt.Errorf("%w: policy path %s", ErrInvalid, path)
	}
	g := cc.Config.GetChannelGroup()
	for _, p := range parts[1 : len(parts)-1] {
		g = g.GetGroups()[p]
	}
	name := parts[len(parts)-1]
	cp := g.GetPolicies()[name]
	if cp == nil {
		return Rule{}, fmt.Errorf("%w: no policy %s", ErrInvalid, path)
	}
	if cp.Policy.GetType() == int32(common.Policy_SIGNATURE) {
		return signatureRule(path, cp.Policy)
	}
	if cp.Policy.GetType() != int32(common.Policy_IMPLICIT_META) {
		return Rule{}, fmt.Errorf("%w: policy %s is neither an ImplicitMeta policy over the members' admins nor a signature policy; trustline counts only those", ErrInvalid, path)
	}
	var im common.ImplicitMetaPolicy
	if err := proto.Unmarshal(cp.Policy.Value, &im); err != nil {
		return Rule{}, fmt.Errorf("%w: policy %s: %v", ErrInvalid, path, err)
	}
	orgs := sortedKeys(g.GetGroups())
	if len(parts) == 2 {
		// /Channel/Admins: over the Application and Orderer groups'
		// Admins; count the union of their organisations.
		seen := map[string]bool{}
		orgs = nil
		for _, sub := range []string{groupApplication, groupOrderer} {
			for _, o := range sortedKeys(g.GetGroups()[sub].GetGroups()) {
				if !seen[o] {
					seen[o], orgs = true, append(orgs, o)
				}
			}
		}
	}
	r := Rule{Policy: path, Rule: im.Rule.String() + " " + im.SubPolicy, Orgs: orgs}
	switch im.Rule {
	case common.ImplicitMetaPolicy_ANY:
		r.Need = 1
	case common.ImplicitMetaPolicy_ALL:
		r.Need = len(orgs)
	case common.ImplicitMetaPolicy_MAJORITY:
		r.Need = len(orgs)/2 + 1
	}
	return r, nil
}

// signatureRule describes a signature policy of the form an
// organisation's Admins policy takes, OR('X.admin', …): one admin
// signature of any organisation it names.
func signatureRule(path string, p *common.Policy) (Rule, error) {
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(p.Value, &env); err != nil {
		return Rule{}, fmt.Errorf("%w: policy %s: %v", ErrInvalid, path, err)
	}
	nof := env.Rule.GetNOutOf()
	if nof == nil || nof.N != 1 {
		return Rule{}, fmt.Errorf("%w: policy %s is not OR(…) of admin principals; trustline counts only those", ErrInvalid, path)
	}
	r := Rule{Policy: path, Need: 1}
	var names []string
	for _, id := range env.Identities {
		var role mspproto.MSPRole
		if id.PrincipalClassification != mspproto.MSPPrincipal_ROLE || proto.Unmarshal(id.Principal, &role) != nil || role.Role != mspproto.MSPRole_ADMIN {
			return Rule{}, fmt.Errorf("%w: policy %s names principals other than admins; trustline counts only admins", ErrInvalid, path)
		}
		if !slices.Contains(r.Orgs, role.MspIdentifier) {
			r.Orgs = append(r.Orgs, role.MspIdentifier)
			names = append(names, "'"+role.MspIdentifier+".admin'")
		}
	}
	r.Rule = "OR(" + strings.Join(names, ", ") + ")"
	return r, nil
}
