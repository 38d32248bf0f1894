// Package consortium forms a trustline channel from its members' public org
// cards (package orgca) and joins each member's own orderer and peer to it.
//
// Forming needs public material only: every member runs `trustline org
// init` on its own host and sends its card; anyone (usually the first
// member) runs `trustline consortium create` with all the cards and the
// role table, and sends the resulting genesis block and consortium.json back
// to everyone. Each member then joins its orderer and peer with its own
// admin identity. Nobody ever holds another member's private key.
//
// The channel is ordered by SmartBFT with one consenter per member, named by
// the orderer certificates on its card; channel, orderer and application
// administration and chaincode lifecycle need a MAJORITY of the members. The
// role table (which member is brand, supplier, lab, logistics) is what the
// chaincode is initialised with (Governance:Init) once deployed.
//
// Membership then changes by the members' vote (update.go): a proposed
// config update, signed by each member's admin on its own host, submitted
// once a majority signed.
//
// The genesis block is made by Fabric's configtxgen from a configtx.yaml
// written here: Fabric's encoder of channel configurations is internal to
// its module, and configtxgen is its supported front end.
package consortium

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// Defaults of a consortium's channel and chaincode.
const (
	DefaultChannel           = "trustline"
	DefaultChaincode         = "trustline"
	DefaultChaincodeVersion  = "1.0"
	DefaultChaincodeSequence = 1
)

// ErrInvalid is wrapped by errors about a consortium's definition.
var ErrInvalid = errors.New("invalid consortium")

var channelRE = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,248}$`)

// Member is one organisation of the consortium: its card and its roles.
type Member struct {
	Card  orgca.Card    `json:"card"`
	Roles []ledger.Role `json:"roles"`
}

// Chaincode is the chaincode definition every member approves.
type Chaincode struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Sequence int64  `json:"sequence"`
}

// Consortium is a channel's definition: what consortium.json holds.
type Consortium struct {
	Channel   string    `json:"channel"`
	Chaincode Chaincode `json:"chaincode"`
	// Members, in consenter order (the first is consenter 1).
	Members []Member `json:"members"`
}

// New defines a consortium of members on channel (default "trustline")
// with the trustline chaincode, and validates it.
func New(channel string, members []Member) (*Consortium, error) {
	if channel == "" {
		channel = DefaultChannel
	}
	c := &Consortium{
		Channel:   channel,
		Chaincode: Chaincode{Name: DefaultChaincode, Version: DefaultChaincodeVersion, Sequence: DefaultChaincodeSequence},
		Members:   members,
	}
	return c, c.Validate()
}

// Validate checks the definition: a valid channel name, at least one
// member, valid cards, distinct MSP ids and endpoints, and a valid role
// table naming every member.
func (c *Consortium) Validate() error {
	if !channelRE.MatchString(c.Channel) {
		return fmt.Errorf("%w: channel name %q: lower-case letters, digits, '.' and '-', starting with a letter", ErrInvalid, c.Channel)
	}
	if len(c.Members) == 0 {
		return fmt.Errorf("%w: no members", ErrInvalid)
	}
	seen := map[string]string{}
	for _, m := range c.Members {
		if err := m.Card.Validate(); err != nil {
			return fmt.Errorf("%w: card of %s: %v", ErrInvalid, m.Card.MSPID, err)
		}
		for _, k := range []string{"MSP id " + m.Card.MSPID, "address " + m.Card.Peer.Address, "address " + m.Card.Orderer.Address} {
			if other, dup := seen[k]; dup {
				return fmt.Errorf("%w: %s appears on the cards of %s and %s", ErrInvalid, k, other, m.Card.MSPID)
			}
			seen[k] = m.Card.MSPID
		}
		if len(m.Roles) == 0 {
			return fmt.Errorf("%w: %s has no role: give it one of %v", ErrInvalid, m.Card.MSPID, ledger.KnownRoles())
		}
	}
	if _, err := c.RoleTable().Members(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// RoleTable is the table the chaincode is initialised with.
func (c *Consortium) RoleTable() ledger.RoleTable {
	t := ledger.RoleTable{}
	for _, m := range c.Members {
		t[m.Card.MSPID] = slices.Clone(m.Roles)
	}
	return t
}

// Member returns the member with mspID.
func (c *Consortium) Member(mspID string) (Member, bool) {
	i := slices.IndexFunc(c.Members, func(m Member) bool { return m.Card.MSPID == mspID })
	if i < 0 {
		return Member{}, false
	}
	return c.Members[i], true
}

// Write writes consortium.json.
func (c *Consortium) Write(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Read reads and validates consortium.json.
func Read(path string) (*Consortium, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Consortium
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// ParseRoles parses "MSPID=role[,role…]" assignments into a role table.
func ParseRoles(specs []string) (ledger.RoleTable, error) {
	t := ledger.RoleTable{}
	for _, s := range specs {
		id, roles, ok := strings.Cut(s, "=")
		if !ok || id == "" || roles == "" {
			return nil, fmt.Errorf("%w: role %q: want MSPID=role[,role], e.g. LabMSP=lab", ErrInvalid, s)
		}
		for _, r := range strings.Split(roles, ",") {
			role := ledger.Role(strings.TrimSpace(r))
			if !role.Valid() {
				return nil, fmt.Errorf("%w: role %q of %s: choose from %v", ErrInvalid, role, id, ledger.KnownRoles())
			}
			t[id] = append(t[id], role)
		}
	}
	return t, nil
}

// Assemble makes members from cards and a role table, in card order. Every
// card needs roles, and every role table entry a card.
func Assemble(cards []orgca.Card, roles ledger.RoleTable) ([]Member, error) {
	var members []Member
	for _, c := range cards {
		members = append(members, Member{Card: c, Roles: roles[c.MSPID]})
	}
	for id := range roles {
		if !slices.ContainsFunc(cards, func(c orgca.Card) bool { return c.MSPID == id }) {
			return nil, fmt.Errorf("%w: roles given for %s, which has no org card", ErrInvalid, id)
		}
	}
	return members, nil
}

// hostPort splits a validated address.
func hostPort(addr string) (string, string) {
	h, p, _ := net.SplitHostPort(addr)
	return h, p
}

// Genesis writes the channel's genesis block to out, with configtxgen (the
// executable's path), working in dir (configtx.yaml and the members' MSPs,
// all public, are left there).
func (c *Consortium) Genesis(ctx context.Context, configtxgen, dir, out string) error {
	if err := c.WriteConfigtx(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, configtxgen,
		"-configPath", dir, "-profile", Profile, "-channelID", c.Channel, "-outputBlock", out)
	cmd.Env = []string{"FABRIC_CFG_PATH=" + dir, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("configtxgen: %w\n%s", err, strings.TrimSpace(string(b)))
	}
	return nil
}

// FindConfigtxgen locates Fabric's configtxgen: in $TRUSTLINE_BIN, next to
// the running executable (an installed trustline), or on $PATH.
func FindConfigtxgen() (string, error) {
	var dirs []string
	if d := os.Getenv("TRUSTLINE_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "configtxgen")
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("configtxgen"); err == nil {
		return p, nil
	}
	return "", errors.New("cannot find Fabric's configtxgen: set TRUSTLINE_BIN, put it next to trustline or on PATH, or pass --configtxgen (make fabric builds it)")
}
