// Package chaincode is trustline's Hyperledger Fabric contract: batch origin,
// signed lab inspections, custody hand-offs with cold-chain readings,
// transformations, serialised units and recalls, recorded as GS1 EPCIS 2.0
// events.
package chaincode

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Name is the chaincode name the consortium deploys.
const Name = "trustline"

// New returns the chaincode with all of trustline's contracts.
func New() (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(
		&SystemContract{},
		&GovernanceContract{},
		&ProductContract{},
		&BatchContract{},
		&LabContract{},
		&CustodyContract{},
		&QueryContract{},
	)
	if err != nil {
		return nil, err
	}
	cc.Info.Title = "trustline"
	cc.Info.Version = "0.1.0"
	return cc, nil
}
