// Package service is a brand's after-sales desk on its own node: consumers
// file questions and complaints from the scan page, brand staff answer
// them, and the ledger records both (chaincode Service contract) so that
// every node can judge the brand's service promises (claim kind
// service_within, package claims).
//
// # What is where
//
// The ledger has a pseudonymous ticket id, the topic, the lot and a salted
// SHA-256 of the message; the message, its salt and the consumer's secret
// for reading the answer stay in the node's Store, off the ledger and out
// of the index, and the brand can delete them (then the hash links to
// nothing). The consumer is asked for no name or contact: they keep a link
// with their ticket id and secret token to read the answer.
//
// # Order of writes
//
// File keeps the ticket in the Store before it submits the filing, and
// removes it if the ledger refuses, so that the ledger never holds a
// ticket whose message the brand does not have. Answer submits first and
// keeps the answer's text after: an answer the ledger refused is not shown
// to the consumer.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// Dir is where a node with data directory dataDir keeps its tickets.
func Dir(dataDir string) string { return filepath.Join(dataDir, "service") }

// Ledger records tickets and answers: a *client.Client.
type Ledger interface {
	FileTicket(ctx context.Context, req ledger.ServiceRequest, opts ...client.CallOption) (*ledger.ServiceTicket, error)
	AnswerTicket(ctx context.Context, a ledger.ServiceAnswer, opts ...client.CallOption) (*ledger.ServiceTicket, error)
}

// Limits of what a consumer may send.
const (
	// DefaultMaxMessageRunes bounds a message: a question, not a file.
	DefaultMaxMessageRunes = 2000
	// MaxMessageBytes bounds a message's encoding, whatever the runes.
	MaxMessageBytes = 8 << 10
)

// Options configure a Desk. The zero value is the default.
type Options struct {
	// MaxMessageRunes; 0 means DefaultMaxMessageRunes.
	MaxMessageRunes int
	// Now is the clock of the store's filing times (not the ledger's); nil
	// means time.Now.
	Now func() time.Time
	// Rand is the source of ticket ids, tokens and salts; nil means
	// crypto/rand.
	Rand io.Reader
}

// Desk files and answers tickets for one brand (an MSP).
type Desk struct {
	store *Store
	led   Ledger
	opts  Options
}

// NewDesk returns a desk keeping tickets in store (nil: answers are
// recorded without their text) and recording them through led.
func NewDesk(store *Store, led Ledger, opts *Options) *Desk {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxMessageRunes == 0 {
		o.MaxMessageRunes = DefaultMaxMessageRunes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &Desk{store: store, led: led, opts: o}
}

// Store is the desk's store; nil without one.
func (d *Desk) Store() *Store { return d.store }

// InputError is a consumer's or staff's mistake, naming the field.
type InputError struct{ Field, Reason string }

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// Filing is a consumer's ticket as the page sends it.
type Filing struct {
	// Subject is the lot or unit Digital Link the consumer scanned.
	Subject string
	Topic   string
	Message string
	Lang    string
}

// Filed is a recorded ticket: its id and the consumer's secret token for
// reading the answer, which only the consumer gets.
type Filed struct {
	Ticket string `json:"ticket"`
	Token  string `json:"token"`
	// FiledAt is the ledger time of the filing.
	FiledAt string `json:"filedAt"`
}

// CheckFiling checks a filing and returns its subject, parsed.
func (d *Desk) CheckFiling(f Filing) (digitallink.Link, error) {
	l, err := digitallink.Parse(f.Subject)
	if err != nil {
		return l, &InputError{"subject", err.Error()}
	}
	if l.Lot == "" || l.Level() != digitallink.Lot && l.Level() != digitallink.Unit {
		return l, &InputError{"subject", "names neither a lot nor a unit"}
	}
	if !slices.Contains(ledger.ServiceTopics(), f.Topic) {
		return l, &InputError{"topic", fmt.Sprintf("must be one of %s", strings.Join(ledger.ServiceTopics(), ", "))}
	}
	return l, d.checkMessage("message", f.Message, true)
}

func (d *Desk) checkMessage(field, m string, required bool) error {
	switch n := utf8.RuneCountInString(m); {
	case !utf8.ValidString(m):
		return &InputError{field, "is not valid UTF-8"}
	case len(m) > MaxMessageBytes || n > d.opts.MaxMessageRunes:
		return &InputError{field, fmt.Sprintf("is too long: at most %d characters", d.opts.MaxMessageRunes)}
	case required && strings.TrimSpace(m) == "":
		return &InputError{field, "is empty"}
	}
	for _, r := range m {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return &InputError{field, fmt.Sprintf("contains the control character %U", r)}
		}
	}
	return nil
}

// File keeps a consumer's ticket and records its filing on the ledger.
func (d *Desk) File(ctx context.Context, f Filing) (Filed, error) {
	l, err := d.CheckFiling(f)
	if err != nil {
		return Filed{}, err
	}
	if d.store == nil {
		return Filed{}, errors.New("service: the desk has no store for messages")
	}
	id, token, salt := d.random(), d.random(), d.random()
	tokenSum := sha256.Sum256([]byte(token))
	t := Ticket{
		ID: "tkt-" + id, TokenSHA256: hex.EncodeToString(tokenSum[:]), Subject: l.String(), GTIN: l.GTIN,
		Topic: f.Topic, Lang: f.Lang, Message: f.Message, Salt: salt, FiledAt: ledger.FormatTime(d.opts.Now()),
	}
	if err := d.store.Put(t); err != nil {
		return Filed{}, fmt.Errorf("service: keeping the message: %w", err)
	}
	tk, err := d.led.FileTicket(ctx, ledger.ServiceRequest{Ticket: t.ID, Subject: t.Subject, Topic: t.Topic, MessageSHA256: Hash(salt, f.Message)})
	if err != nil {
		_ = d.store.Delete(t.ID)
		return Filed{}, err
	}
	t.Recorded, t.FiledAt = true, tk.FiledAt
	if err := d.store.Put(t); err != nil {
		return Filed{}, fmt.Errorf("service: keeping the message: %w", err)
	}
	return Filed{Ticket: t.ID, Token: token, FiledAt: tk.FiledAt}, nil
}

// Answer records the brand's answer to a ticket and, with a store, keeps
// its text for the consumer to read.
func (d *Desk) Answer(ctx context.Context, id, outcome, message string) (*ledger.ServiceTicket, error) {
	if err := ledger.CheckTicketID(id); err != nil {
		return nil, &InputError{"ticket", err.Error()}
	}
	if !slices.Contains(ledger.ServiceOutcomes(), outcome) {
		return nil, &InputError{"outcome", fmt.Sprintf("must be one of %s", strings.Join(ledger.ServiceOutcomes(), ", "))}
	}
	if err := d.checkMessage("answer", message, false); err != nil {
		return nil, err
	}
	var t Ticket
	if d.store != nil && message != "" {
		var err error
		if t, err = d.store.Get(id); err != nil {
			return nil, err
		}
	}
	a := ledger.ServiceAnswer{Ticket: id, Outcome: outcome}
	salt := ""
	if message != "" {
		salt = d.random()
		a.MessageSHA256 = Hash(salt, message)
	}
	tk, err := d.led.AnswerTicket(ctx, a)
	if err != nil {
		return nil, err
	}
	if d.store != nil && message != "" {
		t.Answer = &Answer{Outcome: outcome, Message: message, Salt: salt, At: tk.AnsweredAt}
		if err := d.store.Put(t); err != nil {
			return tk, fmt.Errorf("service: the answer is recorded, but keeping its text failed: %w", err)
		}
	}
	return tk, nil
}

// Read returns a ticket for the consumer holding its token; a wrong token
// reads as no ticket, so that ids on the ledger reveal nothing.
func (d *Desk) Read(id, token string) (Ticket, error) {
	if d.store == nil {
		return Ticket{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	t, err := d.store.Get(id)
	if err != nil {
		return Ticket{}, err
	}
	sum := sha256.Sum256([]byte(token))
	want, _ := hex.DecodeString(t.TokenSHA256)
	if subtle.ConstantTimeCompare(sum[:], want) != 1 || !t.Recorded {
		return Ticket{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return t, nil
}

// Hash is the salted hash the ledger records of a message: SHA-256 of the
// salt's text and the message, lower-case hex. The salt keeps a short
// message ("my name is …") from being found by guessing.
func Hash(salt, message string) string {
	h := sha256.Sum256([]byte(salt + message))
	return hex.EncodeToString(h[:])
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// random is 128 random bits in lower-case base32 (26 characters).
func (d *Desk) random() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(d.opts.Rand, b); err != nil {
		panic(fmt.Sprintf("service: no randomness: %v", err)) // crypto/rand does not fail
	}
	return strings.ToLower(b32.EncodeToString(b))
}
