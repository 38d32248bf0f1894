package chaincode

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// ClaimContract records a brand's claims about its products and lots
// ("cold chain all the way"). The chaincode only records them; member
// nodes evaluate them against the ledger with package claims. A claim is
// never edited: SupersedeClaim replaces it with a new one.
type ClaimContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*ClaimContract) GetName() string { return "Claim" }

// RegisterClaim records a claim (a ledger.ClaimRequest) about a product or
// lot the caller owns. Its id is "claim-" and the transaction id.
func (*ClaimContract) RegisterClaim(ctx contractapi.TransactionContextInterface, claimJSON string) (_ *ledger.Claim, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	c, err := t.newClaim(claimJSON)
	if err != nil {
		return nil, err
	}
	if err := t.putClaim(c); err != nil {
		return nil, err
	}
	return c, t.commit()
}

// SupersedeClaim replaces the active claim oldID with a new claim on the
// same product; only the brand that registered oldID may.
func (*ClaimContract) SupersedeClaim(ctx contractapi.TransactionContextInterface, oldID, claimJSON string) (_ *ledger.Claim, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	c, err := t.newClaim(claimJSON)
	if err != nil {
		return nil, err
	}
	old, k, err := t.claim(oldID)
	if err != nil {
		return nil, err
	}
	if old.Brand != t.msp {
		return nil, errorf(ErrForbidden, "claim %s was registered by %s; %s cannot supersede it", old.ID, old.Brand, t.msp)
	}
	if !old.Active() {
		return nil, errorf(ErrState, "claim %s is already superseded by %s", old.ID, old.SupersededBy)
	}
	if old.GTIN != c.GTIN {
		return nil, errorf(ErrInvalid, "claim %s is about product %s; a claim superseding it must be too, not %s", old.ID, old.GTIN, c.GTIN)
	}
	c.Supersedes = old.ID
	old.SupersededBy, old.SupersededAt = c.ID, t.nowString()
	if err := t.put(k, old); err != nil {
		return nil, err
	}
	if err := t.putClaim(c); err != nil {
		return nil, err
	}
	return c, t.commit()
}

// GetClaim returns a claim by id, superseded or not.
func (*ClaimContract) GetClaim(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.Claim, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	c, _, err := t.claim(id)
	return c, err
}

// ListClaims returns every claim about a product and its lots, superseded
// ones included, by id.
func (*ClaimContract) ListClaims(ctx contractapi.TransactionContextInterface, gtin string) (_ []ledger.Claim, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	g, err := gtin14("gtin", gtin)
	if err != nil {
		return nil, err
	}
	it, err := t.stub.GetStateByPartialCompositeKey(ledger.ObjectClaimSubject, []string{g})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []ledger.Claim{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		var id string
		if err := unmarshalStrict(kv.Value, &id); err != nil {
			return nil, err
		}
		c, _, err := t.claim(id)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

// newClaim validates a ClaimRequest from the caller and builds its record.
func (t *txn) newClaim(claimJSON string) (*ledger.Claim, error) {
	if err := t.requireRole(ledger.RoleBrand); err != nil {
		return nil, err
	}
	var req ledger.ClaimRequest
	if err := unmarshalStrict([]byte(claimJSON), &req); err != nil {
		return nil, wrapf(ErrInvalid, err, "claim must be a JSON ClaimRequest")
	}
	c := &ledger.Claim{
		ID: "claim-" + t.id, Kind: req.Kind, Wording: req.Wording, Params: req.Params,
		Brand: t.msp, RegisteredAt: t.nowString(), RegisteredTx: t.id,
	}
	if gs1.AllDigits(req.Subject) {
		g, err := gtin14("claim subject", req.Subject)
		if err != nil {
			return nil, err
		}
		c.GTIN, c.Subject = g, productLink(g)
	} else {
		l, err := parseLink("claim subject", req.Subject)
		if err != nil {
			return nil, err
		}
		switch {
		case l.Level() == digitallink.Product && l.CPV == "":
			c.GTIN, c.Subject = l.GTIN, productLink(l.GTIN)
		case l.Level() == digitallink.Lot:
			lot, err := t.lotByLink("claim subject", req.Subject)
			if err != nil {
				return nil, err
			}
			c.GTIN, c.Lot, c.Subject = lot.rec.GTIN, lot.rec.Lot, lot.rec.ID
		default:
			return nil, errorf(ErrInvalid, "claim subject %q names neither a product nor a lot", req.Subject)
		}
	}
	p, err := t.product(c.GTIN)
	if err != nil {
		return nil, err
	}
	if p.Owner != t.msp {
		return nil, errorf(ErrForbidden, "product %s belongs to %s; %s cannot make claims about it", p.GTIN, p.Owner, t.msp)
	}
	if err := checkText("claim wording", req.Wording, maxTextLen); err != nil {
		return nil, err
	}
	if err := req.Params.Check(req.Kind); err != nil {
		return nil, wrapf(ErrInvalid, err, "claim parameters")
	}
	return c, nil
}

func (t *txn) claim(id string) (*ledger.Claim, string, error) {
	if err := checkText("claim id", id, maxIDLen); err != nil {
		return nil, "", err
	}
	k, err := t.key(ledger.ObjectClaim, id)
	if err != nil {
		return nil, "", err
	}
	var c ledger.Claim
	ok, err := t.get(k, &c)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errorf(ErrNotFound, "no claim %q", id)
	}
	return &c, k, nil
}

// putClaim writes a new claim and its entry in the product's claim index.
func (t *txn) putClaim(c *ledger.Claim) error {
	k, err := t.key(ledger.ObjectClaim, c.ID)
	if err != nil {
		return err
	}
	if ok, err := t.exists(k); err != nil {
		return err
	} else if ok {
		return errorf(ErrExists, "claim %s already exists", c.ID)
	}
	ik, err := t.key(ledger.ObjectClaimSubject, c.GTIN, c.ID)
	if err != nil {
		return err
	}
	if err := t.put(k, c); err != nil {
		return err
	}
	if c.Kind == ledger.ClaimService {
		if err := t.startServiceChain(c.GTIN); err != nil { // service.go
			return err
		}
	}
	return t.putIndex(ik, c.ID)
}
