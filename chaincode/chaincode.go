// Package chaincode is trustline's Hyperledger Fabric contract: batch origin,
// signed lab inspections, custody hand-offs with cold-chain readings,
// transformations, serialised units and recalls, recorded as GS1 EPCIS 2.0
// events whose ids are the CBV 2.0 event hash.
//
// # Functions
//
// Transaction names are "Contract:Function". Arguments in braces are JSON
// (the ledger package's request types); lots are GS1 Digital Links.
//
//	Governance:Init(rolesJSON)             anyone, once         {"BrandMSP":["brand"],…}; caller must be in it
//	Governance:ProposeRoles(rolesJSON)     member               applied when a majority of members approved
//	Governance:ApproveRoles(proposalID)    member
//	Governance:GetRoles, GetRoleProposal(id)
//	Product:RegisterProduct({ProductRequest})   brand           GTIN master data; the caller owns it
//	Product:CommissionUnits(lot, [serials])     brand, owner    ObjectEvent ADD commissioning
//	Product:Recall(lot, reason, class)          brand, owner    ObjectEvent disposition recalled
//	Batch:CreateBatch({BatchRequest})           supplier        ObjectEvent ADD commissioning with ILMD
//	Batch:Transform({TransformRequest})         supplier, holder of the inputs   TransformationEvent
//	Lab:RegisterLabSigner(address, name, accreditation)  lab
//	Lab:RevokeLabSigner(address, reason)        lab that registered it
//	Lab:SubmitInspection({inspection.Report}, signature) lab, EIP-712 signer of that lab
//	                                            ObjectEvent inspecting with certificationInfo
//	Lab:GetLabSigner(address), ListLabSigners()
//	Custody:Pack({PackRequest})                 member holding the lots   AggregationEvent ADD packing
//	Custody:Unpack(sscc)                        member holding the unit   AggregationEvent DELETE unpacking
//	Custody:Ship({ShipRequest})                 current custodian  ObjectEvent shipping
//	Custody:Receive({ReceiveRequest})           named recipient    ObjectEvent receiving; custody moves
//	Custody:RecordReadings({ReadingsRequest})   current custodian  ObjectEvent sensor_reporting
//	Query:GetEvent(id) GetLot(lot) GetLotEvents(lot) GetUpstream(lot) GetDownstream(lot)
//	Query:GetProduct(gtin) GetUnit(unit) GetShipment(id) GetLogisticUnit(sscc) GetInspection(reportID)
//	Claim:RegisterClaim({ClaimRequest})        brand, owner    a claim about a product or lot (see package claims)
//	Claim:SupersedeClaim(oldID, {ClaimRequest}) brand that made oldID   new claim; the old one gains supersededBy
//	Claim:GetClaim(id), ListClaims(gtin)
//	Capture:Record(sourceEventID, fn, [args])   as fn           fn(args) for an event captured through a node's
//	                                            EPCIS capture interface; refuses an id already recorded
//	Service:File({ServiceRequest})            brand, owner    a consumer's ticket, filed by the brand's node: ObjectEvent
//	                                            of the product class, tl:service with a ticket id and a salted message hash
//	Service:Answer({ServiceAnswer})           brand the ticket was filed with, once   the brand's answer, likewise
//	Service:GetTicket(id)
//	Location:SetLocation({LocationRequest})     member; owner to change  GLN/SGLN master data (name, address, geo, parent, time zone)
//	Location:GetLocation(gln)
//	System:Ping(nonce), GetPing(mspID, nonce)   operational liveness, outside the ledger's records
//
// Identity is the transaction creator's MSP id (via cid); roles are ledger
// state (see Governance). Time is the transaction timestamp; client-supplied
// times are checked against it (see MaxClockSkew and the other limits).
//
// # Writes
//
// Every write validates everything before it writes anything, then puts
// its records and sets exactly one chaincode event, a ledger.Event listing
// every record written. Rejections wrap ErrInvalid, ErrNotFound, ErrExists,
// ErrForbidden or ErrState and name the offending value. On the wire their
// message starts with the class's code, "[not-found] unknown lot …"
// (ledger.Rejection), which clients read back as the class (package client's
// ErrNotFound and the others).
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
		&ClaimContract{},
		&CaptureContract{},
		&LocationContract{},
		&ServiceContract{},
	)
	if err != nil {
		return nil, err
	}
	cc.Info.Title = "trustline"
	cc.Info.Version = "0.1.0"
	return cc, nil
}
