package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// Transaction names of the trustline chaincode.
const (
	FnRegisterProduct   = "Product:RegisterProduct"
	FnCommissionUnits   = "Product:CommissionUnits"
	FnRecall            = "Product:Recall"
	FnCreateBatch       = "Batch:CreateBatch"
	FnTransform         = "Batch:Transform"
	FnRegisterLabSigner = "Lab:RegisterLabSigner"
	FnRevokeLabSigner   = "Lab:RevokeLabSigner"
	FnSubmitInspection  = "Lab:SubmitInspection"
	FnGetLabSigner      = "Lab:GetLabSigner"
	FnListLabSigners    = "Lab:ListLabSigners"
	FnPack              = "Custody:Pack"
	FnUnpack            = "Custody:Unpack"
	FnShip              = "Custody:Ship"
	FnReceive           = "Custody:Receive"
	FnRecordReadings    = "Custody:RecordReadings"
	FnProposeRoles      = "Governance:ProposeRoles"
	FnApproveRoles      = "Governance:ApproveRoles"
	FnGetRoles          = "Governance:GetRoles"
	FnGetRoleProposal   = "Governance:GetRoleProposal"
	FnGetEvent          = "Query:GetEvent"
	FnGetLot            = "Query:GetLot"
	FnGetLotEvents      = "Query:GetLotEvents"
	FnGetUpstream       = "Query:GetUpstream"
	FnGetDownstream     = "Query:GetDownstream"
	FnGetProduct        = "Query:GetProduct"
	FnGetUnit           = "Query:GetUnit"
	FnGetShipment       = "Query:GetShipment"
	FnGetLogisticUnit   = "Query:GetLogisticUnit"
	FnGetInspection     = "Query:GetInspection"
)

// writeJSON submits fn with one JSON-encoded request.
func writeJSON[T any](ctx context.Context, c *Client, fn string, req any, opts []CallOption) (T, error) {
	s, err := mustJSON(req)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: encoding the request: %w", fn, err)
	}
	return call[T](ctx, c, true, fn, []string{s}, opts)
}

// RegisterProduct registers a GTIN's master data; the caller (a brand)
// owns the product.
func (c *Client) RegisterProduct(ctx context.Context, req ledger.ProductRequest, opts ...CallOption) (*ledger.Product, error) {
	return writeJSON[*ledger.Product](ctx, c, FnRegisterProduct, req, opts)
}

// CommissionUnits serialises units of a lot of a product the caller owns.
func (c *Client) CommissionUnits(ctx context.Context, lot string, serials []string, opts ...CallOption) ([]ledger.Unit, error) {
	s, err := mustJSON(serials)
	if err != nil {
		return nil, err
	}
	return call[[]ledger.Unit](ctx, c, true, FnCommissionUnits, []string{lot, s}, opts)
}

// Recall recalls a lot of a product the caller owns, and with it every lot
// made from it. class is ledger.RecallClassI, II or III.
func (c *Client) Recall(ctx context.Context, lot, reason, class string, opts ...CallOption) (*ledger.Recall, error) {
	return call[*ledger.Recall](ctx, c, true, FnRecall, []string{lot, reason, class}, opts)
}

// CreateBatch records a batch's origin; the caller (a supplier) holds it.
func (c *Client) CreateBatch(ctx context.Context, req ledger.BatchRequest, opts ...CallOption) (*ledger.LotSummary, error) {
	return writeJSON[*ledger.LotSummary](ctx, c, FnCreateBatch, req, opts)
}

// Transform turns quantities of lots the caller holds into new lots.
func (c *Client) Transform(ctx context.Context, req ledger.TransformRequest, opts ...CallOption) ([]ledger.LotSummary, error) {
	return writeJSON[[]ledger.LotSummary](ctx, c, FnTransform, req, opts)
}

// RegisterLabSigner registers an Ethereum address the caller (a lab) signs
// inspection reports with.
func (c *Client) RegisterLabSigner(ctx context.Context, address, name, accreditation string, opts ...CallOption) (*ledger.LabSigner, error) {
	return call[*ledger.LabSigner](ctx, c, true, FnRegisterLabSigner, []string{address, name, accreditation}, opts)
}

// RevokeLabSigner revokes a signer the caller registered.
func (c *Client) RevokeLabSigner(ctx context.Context, address, reason string, opts ...CallOption) (*ledger.LabSigner, error) {
	return call[*ledger.LabSigner](ctx, c, true, FnRevokeLabSigner, []string{address, reason}, opts)
}

// SubmitInspection records a report signed (EIP-712, see package lab) by
// one of the caller's registered signers.
func (c *Client) SubmitInspection(ctx context.Context, report inspection.Report, signature []byte, opts ...CallOption) (*ledger.InspectionRecord, error) {
	s, err := mustJSON(report)
	if err != nil {
		return nil, err
	}
	return call[*ledger.InspectionRecord](ctx, c, true, FnSubmitInspection, []string{s, fmt.Sprintf("0x%x", signature)}, opts)
}

// Pack puts lots the caller holds into a logistic unit (an SSCC).
func (c *Client) Pack(ctx context.Context, req ledger.PackRequest, opts ...CallOption) (*ledger.LogisticUnit, error) {
	return writeJSON[*ledger.LogisticUnit](ctx, c, FnPack, req, opts)
}

// Unpack empties a logistic unit the caller holds.
func (c *Client) Unpack(ctx context.Context, sscc string, opts ...CallOption) (*ledger.LogisticUnit, error) {
	return call[*ledger.LogisticUnit](ctx, c, true, FnUnpack, []string{sscc}, opts)
}

// Ship hands a lot or logistic unit the caller holds to another member.
func (c *Client) Ship(ctx context.Context, req ledger.ShipRequest, opts ...CallOption) (*ledger.Shipment, error) {
	return writeJSON[*ledger.Shipment](ctx, c, FnShip, req, opts)
}

// Receive takes custody of a lot or logistic unit shipped to the caller.
func (c *Client) Receive(ctx context.Context, req ledger.ReceiveRequest, opts ...CallOption) (*ledger.Shipment, error) {
	return writeJSON[*ledger.Shipment](ctx, c, FnReceive, req, opts)
}

// RecordReadings records cold-chain readings of a lot or logistic unit the
// caller holds.
func (c *Client) RecordReadings(ctx context.Context, req ledger.ReadingsRequest, opts ...CallOption) (*ledger.LotSummary, error) {
	return writeJSON[*ledger.LotSummary](ctx, c, FnRecordReadings, req, opts)
}

// ProposeRoles proposes a new role table to the consortium.
func (c *Client) ProposeRoles(ctx context.Context, roles ledger.RoleTable, opts ...CallOption) (*ledger.RoleProposal, error) {
	return writeJSON[*ledger.RoleProposal](ctx, c, FnProposeRoles, roles, opts)
}

// ApproveRoles approves a role proposal.
func (c *Client) ApproveRoles(ctx context.Context, id string, opts ...CallOption) (*ledger.RoleProposal, error) {
	return call[*ledger.RoleProposal](ctx, c, true, FnApproveRoles, []string{id}, opts)
}

// Roles returns the consortium's role table.
func (c *Client) Roles(ctx context.Context, opts ...CallOption) (*ledger.Roles, error) {
	return call[*ledger.Roles](ctx, c, false, FnGetRoles, nil, opts)
}

// RoleProposal returns a role proposal.
func (c *Client) RoleProposal(ctx context.Context, id string, opts ...CallOption) (*ledger.RoleProposal, error) {
	return call[*ledger.RoleProposal](ctx, c, false, FnGetRoleProposal, []string{id}, opts)
}

// LabSigner returns a lab signer by address.
func (c *Client) LabSigner(ctx context.Context, address string, opts ...CallOption) (*ledger.LabSigner, error) {
	return call[*ledger.LabSigner](ctx, c, false, FnGetLabSigner, []string{address}, opts)
}

// LabSigners lists every lab signer.
func (c *Client) LabSigners(ctx context.Context, opts ...CallOption) ([]ledger.LabSigner, error) {
	return call[[]ledger.LabSigner](ctx, c, false, FnListLabSigners, nil, opts)
}

// Event returns an EPCIS 2.0 event (JSON-LD) by its event id.
func (c *Client) Event(ctx context.Context, id string, opts ...CallOption) (json.RawMessage, error) {
	return c.evaluate(ctx, FnGetEvent, []string{id}, opts)
}

// Lot returns a lot by Digital Link, its status derived from upstream recalls.
func (c *Client) Lot(ctx context.Context, lot string, opts ...CallOption) (*ledger.LotSummary, error) {
	return call[*ledger.LotSummary](ctx, c, false, FnGetLot, []string{lot}, opts)
}

// LotEvents returns a lot's events as an EPCIS 2.0 document.
func (c *Client) LotEvents(ctx context.Context, lot string, opts ...CallOption) (json.RawMessage, error) {
	return c.evaluate(ctx, FnGetLotEvents, []string{lot}, opts)
}

// Upstream returns the lots a lot was made from, transitively.
func (c *Client) Upstream(ctx context.Context, lot string, opts ...CallOption) (*ledger.Trace, error) {
	return call[*ledger.Trace](ctx, c, false, FnGetUpstream, []string{lot}, opts)
}

// Downstream returns the lots made from a lot, transitively.
func (c *Client) Downstream(ctx context.Context, lot string, opts ...CallOption) (*ledger.Trace, error) {
	return call[*ledger.Trace](ctx, c, false, FnGetDownstream, []string{lot}, opts)
}

// Product returns a product's master data by GTIN.
func (c *Client) Product(ctx context.Context, gtin string, opts ...CallOption) (*ledger.Product, error) {
	return call[*ledger.Product](ctx, c, false, FnGetProduct, []string{gtin}, opts)
}

// Unit returns a serialised unit by Digital Link.
func (c *Client) Unit(ctx context.Context, unit string, opts ...CallOption) (*ledger.Unit, error) {
	return call[*ledger.Unit](ctx, c, false, FnGetUnit, []string{unit}, opts)
}

// Shipment returns a shipment by id (its Ship transaction's id).
func (c *Client) Shipment(ctx context.Context, id string, opts ...CallOption) (*ledger.Shipment, error) {
	return call[*ledger.Shipment](ctx, c, false, FnGetShipment, []string{id}, opts)
}

// LogisticUnit returns a logistic unit by SSCC.
func (c *Client) LogisticUnit(ctx context.Context, sscc string, opts ...CallOption) (*ledger.LogisticUnit, error) {
	return call[*ledger.LogisticUnit](ctx, c, false, FnGetLogisticUnit, []string{sscc}, opts)
}

// Inspection returns a submitted inspection by report id.
func (c *Client) Inspection(ctx context.Context, reportID string, opts ...CallOption) (*ledger.InspectionRecord, error) {
	return call[*ledger.InspectionRecord](ctx, c, false, FnGetInspection, []string{reportID}, opts)
}
