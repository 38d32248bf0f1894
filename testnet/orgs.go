// Package testnet creates and runs a local trustline consortium: four
// organisations with one peer and one SmartBFT orderer each, the trustline
// chaincode as an external service, and a geth dev chain, all as native
// processes on 127.0.0.1 — or, with Config.Hosts, each organisation on a
// host of its own (a network namespace of package netns, with its own
// address).
package testnet

// Organisation names, as accepted by Network.Org and `trustline testnet env`.
const (
	Brand     = "brand"
	Supplier  = "supplier"
	Lab       = "lab"
	Logistics = "logistics"
)

// Orgs lists the consortium's organisations in a fixed order.
var Orgs = []string{Brand, Supplier, Lab, Logistics}

// Retailer is an organisation the testnet can run that is not a founding
// member: it joins by the members' vote (see candidate.go).
const Retailer = "retailer"

// Candidates are the organisations that may join later, after Orgs in
// port order.
var Candidates = []string{Retailer}

// MSPID returns the MSP id of org ("BrandMSP" for "brand").
func MSPID(org string) string {
	switch org {
	case Brand:
		return "BrandMSP"
	case Supplier:
		return "SupplierMSP"
	case Lab:
		return "LabMSP"
	case Logistics:
		return "LogisticsMSP"
	case Retailer:
		return "RetailerMSP"
	}
	return ""
}

// ChannelName is the consortium's channel.
const ChannelName = "trustline"
