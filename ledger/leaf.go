package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// An anchoring leaf is what a window's Merkle tree commits to for one EPCIS
// event or anchored record. A bare leaf is the event or record id alone
// (receipt formats 1 and 2): it proves the content the id hashes, nothing
// about where it was recorded, and an EPCIS event id does not cover
// certificationInfo and a few other members. A bound leaf (receipt format 3)
// adds the transaction, the block and the SHA-256 of the content as stored:
//
//	{id}#tx={transaction id}&block={block number}&sha256={hex SHA-256 of JCS(content)}
//
// so a receipt's txId and block cannot be swapped and no member of the
// stored JSON can be changed. The content is hashed in its RFC 8785 (JSON
// Canonicalization Scheme) form: a receipt re-indented, re-escaped or with
// members reordered still hashes alike, in Go as in a browser, while any
// change of a value does not. '#' appears in no event or record id, so a
// bound leaf starts with exactly one id followed by '#'.

// LeafSep separates an id from the binding in a bound leaf.
const LeafSep = "#"

// Leaf is one anchoring leaf.
type Leaf struct {
	ID    string
	TxID  string
	Block uint64
	// SHA256 is the SHA-256 of the content's JCS form (ContentHash).
	SHA256 [sha256.Size]byte
}

// String is the bound leaf.
func (l Leaf) String() string {
	return l.ID + LeafSep + "tx=" + url.QueryEscape(l.TxID) + "&block=" + strconv.FormatUint(l.Block, 10) +
		"&sha256=" + hex.EncodeToString(l.SHA256[:])
}

// ContentHash is the SHA-256 of the RFC 8785 canonical form of a JSON
// document.
func ContentHash(doc []byte) ([sha256.Size]byte, error) {
	c, err := canonicalJSON(doc)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("canonicalising JSON (RFC 8785): %w", err)
	}
	return sha256.Sum256(c), nil
}

// BoundLeaf is the bound leaf of id, recorded by transaction tx in block
// with content doc.
func BoundLeaf(id, tx string, block uint64, doc []byte) (Leaf, error) {
	h, err := ContentHash(doc)
	if err != nil {
		return Leaf{}, err
	}
	return Leaf{ID: id, TxID: tx, Block: block, SHA256: h}, nil
}

// LeafID is the id a leaf is of: the leaf itself when it is bare.
func LeafID(leaf string) string {
	id, _, _ := strings.Cut(leaf, LeafSep)
	return id
}

// ParseLeaf reads a bound leaf; ok is false for a bare one.
func ParseLeaf(leaf string) (l Leaf, ok bool, err error) {
	id, rest, bound := strings.Cut(leaf, LeafSep)
	if !bound {
		return Leaf{ID: leaf}, false, nil
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return Leaf{}, true, fmt.Errorf("leaf %q: %w", leaf, err)
	}
	l.ID, l.TxID = id, q.Get("tx")
	if l.Block, err = strconv.ParseUint(q.Get("block"), 10, 64); err != nil {
		return Leaf{}, true, fmt.Errorf("leaf %q: block: %w", leaf, err)
	}
	h, err := hex.DecodeString(q.Get("sha256"))
	if err != nil || len(h) != sha256.Size {
		return Leaf{}, true, fmt.Errorf("leaf %q: sha256 is not %d hex bytes", leaf, sha256.Size)
	}
	copy(l.SHA256[:], h)
	return l, true, nil
}

// NextEventChain is a lot's event chain (LotSummary.EventChain) after the
// event id: the hex SHA-256 of the previous chain's bytes (none before the
// first event) followed by the id. A chain of n events thus commits to
// exactly those ids in that order: a receipt that leaves one out, adds one
// or reorders them recomputes another chain.
func NextEventChain(prev, id string) string {
	h := sha256.New()
	if b, err := hex.DecodeString(prev); err == nil {
		h.Write(b)
	}
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil))
}
