package orgca

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Role is the NodeOU an identity carries, which is what Fabric's policies
// ('LabMSP.admin', 'LabMSP.peer', …) test.
type Role string

// The roles an identity can have.
const (
	RoleAdmin   Role = "admin"
	RolePeer    Role = "peer"
	RoleOrderer Role = "orderer"
	RoleClient  Role = "client"
)

// Roles lists every role.
func Roles() []Role { return []Role{RoleAdmin, RolePeer, RoleOrderer, RoleClient} }

// The identities Init issues.
const (
	Admin   = "admin"   // the organisation's admin: channel join, chaincode lifecycle
	Peer    = "peer"    // its peer
	Orderer = "orderer" // its orderer (a BFT consenter)
	Node    = "node"    // its trustline node, a client of its own peer
	User    = "user"    // an ordinary client identity for applications and the CLI
)

// Default ports of the endpoints when a Spec names none.
const (
	DefaultPeerPort    = 7051
	DefaultOrdererPort = 7050
)

// Errors, to test with errors.Is.
var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
)

var (
	mspIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	hostRE  = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// reserved are names of an organisation directory's own entries.
var reserved = []string{"ca", "tlsca", "msp", "card.json", "issued.json"}

// Spec describes an organisation to create. Zero values mean defaults.
type Spec struct {
	// MSPID is the organisation's MSP id, e.g. "LabMSP". Required.
	MSPID string
	// Domain is the organisation's DNS domain, e.g. "lab.example.com";
	// identities are named under it. Required.
	Domain string
	// Name is the display name. Default: MSPID.
	Name string
	// PeerAddress is the host:port other members dial for this org's peer.
	// Default: peer.<Domain>:7051.
	PeerAddress string
	// OrdererAddress is the host:port of this org's orderer (its consenter
	// endpoint). Default: orderer.<Domain>:7050.
	OrdererAddress string
	// Hosts are further names or IP addresses every TLS certificate is valid
	// for (for example localhost and 127.0.0.1 on a one-host network, or a
	// host's public IP).
	Hosts []string
}

func (s *Spec) defaults() error {
	if !mspIDRE.MatchString(s.MSPID) {
		return fmt.Errorf("%w MSP id %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrInvalid, s.MSPID)
	}
	s.Domain = strings.ToLower(strings.TrimSuffix(s.Domain, "."))
	if !hostRE.MatchString(s.Domain) || len(s.Domain) > 253 || net.ParseIP(s.Domain) != nil {
		return fmt.Errorf("%w domain %q: want a DNS name such as lab.example.com", ErrInvalid, s.Domain)
	}
	if s.Name == "" {
		s.Name = s.MSPID
	}
	if s.PeerAddress == "" {
		s.PeerAddress = net.JoinHostPort("peer."+s.Domain, strconv.Itoa(DefaultPeerPort))
	}
	if s.OrdererAddress == "" {
		s.OrdererAddress = net.JoinHostPort("orderer."+s.Domain, strconv.Itoa(DefaultOrdererPort))
	}
	for what, a := range map[string]string{"peer": s.PeerAddress, "orderer": s.OrdererAddress} {
		if err := CheckAddress(a); err != nil {
			return fmt.Errorf("%s address: %w", what, err)
		}
	}
	for _, h := range s.Hosts {
		if err := checkHost(h); err != nil {
			return err
		}
	}
	return nil
}

// CheckAddress validates a host:port endpoint.
func CheckAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w address %q: want host:port", ErrInvalid, addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%w address %q: port must be 1 to 65535", ErrInvalid, addr)
	}
	return checkHost(host)
}

func checkHost(h string) error {
	if net.ParseIP(h) != nil || (hostRE.MatchString(h) && len(h) <= 253) {
		return nil
	}
	return fmt.Errorf("%w host %q: want a DNS name or an IP address", ErrInvalid, h)
}

// Org is an organisation directory opened by Init or Open.
type Org struct {
	dir    string
	card   Card
	issued []Issued
	hosts  []string
}

// Issued records one identity an organisation issued.
type Issued struct {
	Name    string   `json:"name"`
	Role    Role     `json:"role"`
	Serial  string   `json:"serial"` // hexadecimal
	Hosts   []string `json:"hosts,omitempty"`
	Revoked string   `json:"revoked,omitempty"` // RFC 3339 time of revocation
	// Renewed lists the serials of the certificates a renewal replaced
	// (hexadecimal, oldest first); they stay valid until they expire.
	Renewed []string `json:"renewed,omitempty"`
}

// orgState is issued.json.
type orgState struct {
	Hosts     []string `json:"hosts,omitempty"`
	CRLNumber int64    `json:"crlNumber,omitempty"`
	Issued    []Issued `json:"issued"`
}

// Init creates an organisation in dir (which must not hold one): its CA and
// TLS CA, the identities admin, peer, orderer, node and user, and its card.
func Init(dir string, spec Spec) (*Org, error) {
	if err := spec.defaults(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "card.json")); err == nil {
		return nil, fmt.Errorf("organisation in %s: %w", dir, ErrExists)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: %w", dir, ErrExists)
	}
	ca, err := newCA(spec.Domain, "ca")
	if err != nil {
		return nil, err
	}
	tlsca, err := newCA(spec.Domain, "tlsca")
	if err != nil {
		return nil, err
	}
	o := &Org{dir: dir, hosts: spec.Hosts}
	if err := writeKeyPair(o.caCert(), o.caKey(), ca); err != nil {
		return nil, err
	}
	if err := writeKeyPair(o.tlscaCert(), o.tlscaKey(), tlsca); err != nil {
		return nil, err
	}
	if err := writeMSP(o.MSPDir(), ca.cert, tlsca.cert); err != nil {
		return nil, err
	}
	peerHost, _, _ := net.SplitHostPort(spec.PeerAddress)
	ordererHost, _, _ := net.SplitHostPort(spec.OrdererAddress)
	for _, id := range []struct {
		name string
		role Role
		host string
	}{{Admin, RoleAdmin, ""}, {Peer, RolePeer, peerHost}, {Orderer, RoleOrderer, ordererHost}, {Node, RoleClient, ""}, {User, RoleClient, ""}} {
		var hosts []string
		if id.host != "" {
			hosts = []string{id.host}
		}
		if err := o.issue(ca, tlsca, spec.Domain, id.name, id.role, hosts); err != nil {
			return nil, err
		}
	}
	oid, err := readCert(o.Identity(Orderer).CertFile())
	if err != nil {
		return nil, err
	}
	otls, err := readCert(o.Identity(Orderer).TLSCertFile())
	if err != nil {
		return nil, err
	}
	o.card = Card{
		Version:     CardVersion,
		MSPID:       spec.MSPID,
		Name:        spec.Name,
		Domain:      spec.Domain,
		RootCert:    string(certPEM(ca.cert)),
		TLSRootCert: string(certPEM(tlsca.cert)),
		Peer:        Endpoint{Address: spec.PeerAddress},
		Orderer: OrdererEndpoint{
			Address:  spec.OrdererAddress,
			Identity: string(certPEM(oid)),
			TLSCert:  string(certPEM(otls)),
		},
	}
	if err := o.save(0); err != nil {
		return nil, err
	}
	return o, nil
}

// Open opens the organisation in dir.
func Open(dir string) (*Org, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	card, err := ReadCard(filepath.Join(dir, "card.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no organisation in %s (run `trustline org init` first): %w", dir, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	return &Org{dir: dir, card: card, issued: st.Issued, hosts: st.Hosts}, nil
}

func readState(dir string) (orgState, error) {
	var st orgState
	b, err := os.ReadFile(filepath.Join(dir, "issued.json"))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, "issued.json"), err)
	}
	return st, nil
}

// save writes the card and issued.json; crlNumber 0 keeps the stored one.
func (o *Org) save(crlNumber int64) error {
	if crlNumber == 0 {
		st, _ := readState(o.dir)
		crlNumber = st.CRLNumber
	}
	b, err := json.MarshalIndent(orgState{Hosts: o.hosts, CRLNumber: crlNumber, Issued: o.issued}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(o.dir, "issued.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return o.card.Write(o.CardFile())
}

// Dir is the organisation directory.
func (o *Org) Dir() string { return o.dir }

// Card is the organisation's public card.
func (o *Org) Card() Card { return o.card }

// MSPID is the organisation's MSP id.
func (o *Org) MSPID() string { return o.card.MSPID }

// CardFile is the path of card.json.
func (o *Org) CardFile() string { return filepath.Join(o.dir, "card.json") }

// MSPDir is the organisation's verifying MSP (no private key in it).
func (o *Org) MSPDir() string { return filepath.Join(o.dir, "msp") }

// TLSCAFile is the TLS root certificate of the organisation.
func (o *Org) TLSCAFile() string { return filepath.Join(o.MSPDir(), "tlscacerts", "tlsca.pem") }

// CRLFile is the organisation's current CRL (absent before a revocation).
func (o *Org) CRLFile() string { return filepath.Join(o.MSPDir(), "crls", "crl.pem") }

// Issued lists every identity issued, in order.
func (o *Org) Issued() []Issued { return slices.Clone(o.issued) }

func (o *Org) caCert() string    { return filepath.Join(o.dir, "ca", "ca.pem") }
func (o *Org) caKey() string     { return filepath.Join(o.dir, "ca", "ca.key") }
func (o *Org) tlscaCert() string { return filepath.Join(o.dir, "tlsca", "tlsca.pem") }
func (o *Org) tlscaKey() string  { return filepath.Join(o.dir, "tlsca", "tlsca.key") }

// Identity is where one identity's files are.
type Identity struct{ dir string }

// Identity returns the paths of the named identity (it may not exist).
func (o *Org) Identity(name string) Identity { return Identity{dir: filepath.Join(o.dir, name)} }

// MSPDir is the identity's local MSP (CORE_PEER_MSPCONFIGPATH and the like).
func (id Identity) MSPDir() string { return filepath.Join(id.dir, "msp") }

// CertFile is the enrollment (signing) certificate.
func (id Identity) CertFile() string { return filepath.Join(id.dir, "msp", "signcerts", "cert.pem") }

// KeyFile is the enrollment private key.
func (id Identity) KeyFile() string { return filepath.Join(id.dir, "msp", "keystore", "priv_sk") }

// TLSCertFile is the TLS certificate (server and client).
func (id Identity) TLSCertFile() string { return filepath.Join(id.dir, "tls", "server.crt") }

// TLSKeyFile is the TLS private key.
func (id Identity) TLSKeyFile() string { return filepath.Join(id.dir, "tls", "server.key") }

// TLSCAFile is the organisation's TLS root certificate, next to the key pair.
func (id Identity) TLSCAFile() string { return filepath.Join(id.dir, "tls", "ca.crt") }

// EnrollOptions are the settings of a further identity.
type EnrollOptions struct {
	// Role is the identity's NodeOU. Default: RoleClient.
	Role Role
	// Hosts are the names or IPs its TLS certificate is valid for, beyond
	// its own name and the organisation's hosts.
	Hosts []string
}

// Enroll issues a further identity, for example a lab technician or a
// warehouse system, signed by the organisation's CA and TLS CA.
func (o *Org) Enroll(name string, opts EnrollOptions) (Identity, error) {
	if !nameRE.MatchString(name) || slices.Contains(reserved, name) {
		return Identity{}, fmt.Errorf("%w identity name %q: use lower-case letters, digits, '.', '_' and '-', not %s", ErrInvalid, name, strings.Join(reserved, ", "))
	}
	if opts.Role == "" {
		opts.Role = RoleClient
	}
	if !slices.Contains(Roles(), opts.Role) {
		return Identity{}, fmt.Errorf("%w role %q: choose admin, peer, orderer or client", ErrInvalid, opts.Role)
	}
	for _, h := range opts.Hosts {
		if err := checkHost(h); err != nil {
			return Identity{}, err
		}
	}
	if o.find(name) >= 0 {
		return Identity{}, fmt.Errorf("identity %q: %w", name, ErrExists)
	}
	if _, err := os.Stat(filepath.Join(o.dir, name)); err == nil {
		return Identity{}, fmt.Errorf("%s: %w", filepath.Join(o.dir, name), ErrExists)
	}
	ca, err := readKeyPair(o.caCert(), o.caKey())
	if err != nil {
		return Identity{}, err
	}
	tlsca, err := readKeyPair(o.tlscaCert(), o.tlscaKey())
	if err != nil {
		return Identity{}, err
	}
	if err := o.issue(ca, tlsca, o.card.Domain, name, opts.Role, opts.Hosts); err != nil {
		return Identity{}, err
	}
	return o.Identity(name), o.save(0)
}

func (o *Org) find(name string) int {
	return slices.IndexFunc(o.issued, func(i Issued) bool { return i.Name == name })
}

// issue writes one identity: enrollment key pair with its NodeOU, TLS key
// pair for its name, hosts and the organisation's hosts.
func (o *Org) issue(ca, tlsca keyPair, domain, name string, role Role, hosts []string) error {
	cn := name + "." + domain
	if role == RoleAdmin || role == RoleClient {
		cn = name + "@" + domain
	}
	id, err := issue(ca, domain, cn, string(role), nil)
	if err != nil {
		return err
	}
	tlsHosts := []string{name + "." + domain}
	for _, h := range append(slices.Clone(hosts), o.hosts...) {
		if !slices.Contains(tlsHosts, h) {
			tlsHosts = append(tlsHosts, h)
		}
	}
	tls, err := issue(tlsca, domain, name+"."+domain, "", tlsHosts)
	if err != nil {
		return err
	}
	ident := o.Identity(name)
	if err := writeMSP(ident.MSPDir(), ca.cert, tlsca.cert); err != nil {
		return err
	}
	if err := writeKeyPair(ident.CertFile(), ident.KeyFile(), id); err != nil {
		return err
	}
	if err := writeKeyPair(ident.TLSCertFile(), ident.TLSKeyFile(), tls); err != nil {
		return err
	}
	if err := writeFile(ident.TLSCAFile(), certPEM(tlsca.cert), 0o644); err != nil {
		return err
	}
	o.issued = append(o.issued, Issued{Name: name, Role: role, Serial: id.cert.SerialNumber.Text(16), Hosts: hosts})
	return nil
}

// Renew issues the named identity new enrollment and TLS certificates,
// with new keys, from the same CA and TLS CA (same role, names and hosts),
// over its files: a renewal before expiry. The old certificates are not
// revoked: they stay valid until they expire, so that a process still
// holding them keeps working until it restarts with the new ones (Fabric
// peers and orderers read their certificates only at start).
func (o *Org) Renew(name string) (Identity, error) {
	i := o.find(name)
	if i < 0 {
		return Identity{}, fmt.Errorf("identity %q: %w", name, ErrNotFound)
	}
	old := o.issued[i]
	if old.Revoked != "" {
		return Identity{}, fmt.Errorf("%w: identity %q was revoked at %s: enroll a new identity instead", ErrInvalid, name, old.Revoked)
	}
	ca, err := readKeyPair(o.caCert(), o.caKey())
	if err != nil {
		return Identity{}, err
	}
	tlsca, err := readKeyPair(o.tlscaCert(), o.tlscaKey())
	if err != nil {
		return Identity{}, err
	}
	if err := o.issue(ca, tlsca, o.card.Domain, name, old.Role, old.Hosts); err != nil {
		return Identity{}, err
	}
	renewed := o.issued[len(o.issued)-1]
	renewed.Renewed = append(slices.Clone(old.Renewed), old.Serial)
	o.issued[i] = renewed
	o.issued = o.issued[:len(o.issued)-1]
	if name == Orderer {
		// The card carries the orderer's certificates: the channel's
		// consenter mapping takes them from it (consortium
		// ProposeOrdererCerts).
		oid, err := readCert(o.Identity(Orderer).CertFile())
		if err != nil {
			return Identity{}, err
		}
		otls, err := readCert(o.Identity(Orderer).TLSCertFile())
		if err != nil {
			return Identity{}, err
		}
		o.card.Orderer.Identity, o.card.Orderer.TLSCert = string(certPEM(oid)), string(certPEM(otls))
	}
	return o.Identity(name), o.save(0)
}

// Revoke revokes the named identity: it is added to the organisation's CRL,
// written to msp/crls (and so into the channel MSP of a consortium formed
// from the card) and into the card. It returns the CRL in PEM. A channel
// already running learns of it only through a channel config update.
func (o *Org) Revoke(name string) ([]byte, error) {
	i := o.find(name)
	if i < 0 {
		return nil, fmt.Errorf("identity %q: %w", name, ErrNotFound)
	}
	if o.issued[i].Revoked != "" {
		return nil, fmt.Errorf("identity %q was revoked at %s: %w", name, o.issued[i].Revoked, ErrExists)
	}
	ca, err := readKeyPair(o.caCert(), o.caKey())
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	o.issued[i].Revoked = now.Format(time.RFC3339)
	var entries []x509.RevocationListEntry
	for _, is := range o.issued {
		if is.Revoked == "" {
			continue
		}
		sn, ok := new(big.Int).SetString(is.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("issued.json: bad serial %q of %s", is.Serial, is.Name)
		}
		at, _ := time.Parse(time.RFC3339, is.Revoked)
		entries = append(entries, x509.RevocationListEntry{SerialNumber: sn, RevocationTime: at})
	}
	st, err := readState(o.dir)
	if err != nil {
		return nil, err
	}
	number := st.CRLNumber + 1
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                now.Add(-backdate),
		NextUpdate:                now.Add(validity),
		RevokedCertificateEntries: entries,
	}, ca.cert, ca.key)
	if err != nil {
		return nil, err
	}
	crl := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	if err := writeFile(o.CRLFile(), crl, 0o644); err != nil {
		return nil, err
	}
	if err := o.writeTLSCRL(number, now); err != nil { // tlscrl.go
		return nil, err
	}
	o.card.CRLs = []string{string(crl)}
	if err := o.save(number); err != nil {
		return nil, err
	}
	return crl, nil
}

// nodeOUConfig enables NodeOUs: an identity's role is the OU its
// certificate carries.
const nodeOUConfig = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
`

// writeMSP writes the public part of an MSP folder: CA certs and NodeOUs.
func writeMSP(dir string, ca, tlsca *x509.Certificate) error {
	for name, data := range map[string][]byte{
		"cacerts/ca.pem":       certPEM(ca),
		"tlscacerts/tlsca.pem": certPEM(tlsca),
		"config.yaml":          []byte(nodeOUConfig),
	} {
		if err := writeFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteMSP writes the verifying MSP folder of the card's organisation, as a
// channel configuration takes it: root and TLS root certificates, NodeOUs
// and CRLs. It holds nothing secret.
func (c Card) WriteMSP(dir string) error {
	ca, err := ParseCertPEM([]byte(c.RootCert))
	if err != nil {
		return fmt.Errorf("%s root certificate: %w", c.MSPID, err)
	}
	tlsca, err := ParseCertPEM([]byte(c.TLSRootCert))
	if err != nil {
		return fmt.Errorf("%s TLS root certificate: %w", c.MSPID, err)
	}
	if err := writeMSP(dir, ca, tlsca); err != nil {
		return err
	}
	for i, crl := range c.CRLs {
		if err := writeFile(filepath.Join(dir, "crls", fmt.Sprintf("crl%d.pem", i)), []byte(crl), 0o644); err != nil {
			return err
		}
	}
	return nil
}
