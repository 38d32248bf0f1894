package chaincode

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/ledger"
)

// maxLocationDepth bounds the parent chain SetLocation walks for cycles.
const maxLocationDepth = 32

// LocationContract records location master data (ledger.Location): what a
// GLN or SGLN names, by the member that owns the place.
type LocationContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*LocationContract) GetName() string { return "Location" }

// SetLocation records or updates a location's master data (a
// ledger.LocationRequest). Any member may record a location no one has;
// the member that first recorded it owns it, and only it may change it.
// A parent must be recorded already, and may not be the location or one
// of its descendants.
func (*LocationContract) SetLocation(ctx contractapi.TransactionContextInterface, locationJSON string) (_ *ledger.Location, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.requireMember(); err != nil {
		return nil, err
	}
	var req ledger.LocationRequest
	if err := unmarshalStrict([]byte(locationJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "location must be a JSON LocationRequest")
	}
	id, err := ledger.LocationID(req.ID)
	if err != nil {
		return nil, wrapf(ErrInvalid, err, "location id")
	}
	l := &ledger.Location{ID: id, Name: req.Name, Address: req.Address, Geo: req.Geo, TimeZone: req.TimeZone,
		Owner: t.msp, UpdatedAt: t.nowString()}
	if req.Parent != "" {
		if l.Parent, err = ledger.LocationID(req.Parent); err != nil {
			return nil, wrapf(ErrInvalid, err, "location parent")
		}
	}
	if err := l.Validate(); err != nil {
		return nil, wrapf(ErrInvalid, err, "location")
	}
	k, err := t.key(ledger.ObjectLocation, id)
	if err != nil {
		return nil, err
	}
	var old ledger.Location
	if ok, err := t.get(k, &old); err != nil {
		return nil, err
	} else if ok && old.Owner != t.msp {
		return nil, errorf(ErrForbidden, "location %s is owned by %s; only it may change it", id, old.Owner)
	}
	// The parent chain must be known and must not lead back here.
	for p, depth := l.Parent, 0; p != ""; depth++ {
		if depth == maxLocationDepth {
			return nil, errorf(ErrInvalid, "location %s: the parent chain is deeper than %d", id, maxLocationDepth)
		}
		if p == id {
			return nil, errorf(ErrInvalid, "location %s: parent %s is inside it", id, l.Parent)
		}
		pk, err := t.key(ledger.ObjectLocation, p)
		if err != nil {
			return nil, err
		}
		var parent ledger.Location
		if ok, err := t.get(pk, &parent); err != nil {
			return nil, err
		} else if !ok {
			return nil, errorf(ErrNotFound, "location %s: parent %s is not recorded; record it first", id, p)
		}
		p = parent.Parent
	}
	if err := t.put(k, l); err != nil {
		return nil, err
	}
	return l, t.commit()
}

// GetLocation returns a location's master data by GLN Digital Link or bare
// GLN.
func (*LocationContract) GetLocation(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.Location, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	canon, err := ledger.LocationID(id)
	if err != nil {
		return nil, wrapf(ErrInvalid, err, "location id")
	}
	k, err := t.key(ledger.ObjectLocation, canon)
	if err != nil {
		return nil, err
	}
	var l ledger.Location
	if ok, err := t.get(k, &l); err != nil {
		return nil, err
	} else if !ok {
		return nil, errorf(ErrNotFound, "location %s is not recorded", canon)
	}
	return &l, nil
}
