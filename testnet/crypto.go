package testnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trustline/trustline/orgca"
)

// Crypto: each organisation is made by orgca, exactly as a real member makes
// its own with `trustline org init`, in <dir>/crypto/<org>/ (see orgca for
// the layout). The testnet's endpoints are on each organisation's host
// address (127.0.0.1 by default), and every TLS certificate names that
// address, 127.0.0.1 and localhost.
//
// Nothing here is committed: it is generated on the first `testnet up`.

// domain is org's DNS domain.
func domain(org string) string { return org + ".trustline.test" }

// orgSpec is what `trustline org init` would be given for org.
func (p ports) orgSpec(org string) orgca.Spec {
	return orgca.Spec{
		MSPID:          MSPID(org),
		Domain:         domain(org),
		PeerAddress:    p.at(org, p.PeerListen(org)),
		OrdererAddress: p.at(org, p.OrdererListen(org)),
		Hosts:          hostNames(p.host(org).Addr),
	}
}

// hostNames are the names a TLS certificate of a process on addr carries.
func hostNames(addr string) []string {
	names := []string{"localhost", "127.0.0.1"}
	if addr != "127.0.0.1" {
		names = append(names, addr)
	}
	return names
}

// generateCrypto creates every organisation that does not exist yet under
// root.
func generateCrypto(root string, p ports) error {
	for _, org := range Orgs {
		dir := filepath.Join(root, org)
		if _, err := os.Stat(filepath.Join(dir, "card.json")); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "user")); err == nil {
			return errors.New("the network's crypto was made by an older trustline: `trustline testnet down --purge` and start again")
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if _, err := orgca.Init(dir, p.orgSpec(org)); err != nil {
			return fmt.Errorf("generating crypto for %s: %w", org, err)
		}
	}
	return nil
}
