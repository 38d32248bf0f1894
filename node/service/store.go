package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/trustline/trustline/ledger"
)

// ErrNotFound is returned (wrapped) for a ticket the store does not hold:
// never filed here, or deleted.
var ErrNotFound = errors.New("service: no such ticket")

// Ticket is what the brand's node keeps of a ticket, off the ledger: the
// consumer's message and the salts of the hashes on the ledger.
type Ticket struct {
	ID string `json:"id"`
	// TokenSHA256 is the hash of the consumer's secret for reading the
	// answer (the token itself is given to the consumer only).
	TokenSHA256 string `json:"tokenSha256"`
	// Subject is the Digital Link the consumer scanned (lot or unit).
	Subject string `json:"subject"`
	GTIN    string `json:"gtin"`
	Topic   string `json:"topic"`
	// Lang is the page's language, so that staff know how to answer.
	Lang    string `json:"lang"`
	Message string `json:"message"`
	// Salt is random text; the ledger has SHA-256(salt ‖ message) (Hash).
	Salt    string `json:"salt"`
	FiledAt string `json:"filedAt"`
	// Recorded is set once the ledger has the filing.
	Recorded bool    `json:"recorded"`
	Answer   *Answer `json:"answer,omitempty"`
}

// Answer is the brand's answer, kept with the ticket.
type Answer struct {
	Outcome string `json:"outcome"`
	Message string `json:"message,omitempty"`
	Salt    string `json:"salt,omitempty"`
	At      string `json:"at"`
}

// Store keeps tickets as one file each under a directory of the node's
// own, apart from the index: nothing in it is ledger-derived (so it is in
// no index digest), and deleting a ticket removes its file, message and
// salt with it. Files are written whole (a temporary file renamed) and
// readable by the node's user only.
type Store struct {
	dir string
	mu  sync.Mutex
}

// OpenStore opens (creating) the store in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

func (s *Store) path(id string) (string, error) {
	if err := ledger.CheckTicketID(id); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, id+".json"), nil
}

// Put writes t, replacing any earlier version.
func (s *Store) Put(t Ticket) error {
	p, err := s.path(t.ID)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// Get reads a ticket.
func (s *Store) Get(id string) (Ticket, error) {
	var t Ticket
	p, err := s.path(id)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return t, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return t, err
	}
	return t, json.Unmarshal(b, &t)
}

// Delete removes a ticket's message and salts for good; the ledger keeps
// the ticket id and hashes, which then link to nothing.
func (s *Store) Delete(id string) error {
	p, err := s.path(id)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(p); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	} else if err != nil {
		return err
	}
	return nil
}

// List returns every ticket, by filing time then id.
func (s *Store) List() ([]Ticket, error) {
	es, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	for _, e := range es {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || ledger.CheckTicketID(id) != nil {
			continue
		}
		t, err := s.Get(id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Ticket) int {
		if c := strings.Compare(a.FiledAt, b.FiledAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
