// Package index is a member node's local index of the trustline ledger: a
// Pebble store rebuilt from the chaincode event payloads (ledger.Event)
// alone, in block order.
//
// # Exactly once
//
// Apply writes every index update of one transaction and the checkpoint
// (block number, ordinal of the event within the block, transaction id) in
// one batch committed with pebble.Sync. A crash at any instant therefore
// leaves either all of a transaction or none of it, and the checkpoint
// says which; applying a position at or before the checkpoint is a no-op,
// so a follower may replay from the checkpoint's block without duplicating.
// ApplyBlock does the same for a whole block at once, and moves the
// checkpoint past the block even when it holds no trustline transaction;
// ApplyBlocks for consecutive blocks at once (a node catching up), with
// one sync for all of them.
//
// # Key layout
//
// Keys are a one-byte table prefix followed by components separated by
// 0x00 (no GS1 value, event id or MSP id contains NUL), so that every
// "all X of Y" query is a prefix scan. Times are ledger.TimeLayout, which
// sorts as a string.
//
//	m checkpoint                          → Checkpoint JSON (excluded from Digest)
//	p {gtin}                              → ledger.Product
//	l {gtin} {lot}                        → ledger.LotSummary, as stored on the ledger
//	e {gtin} {lot} {txTime} {eventID}     → "" (the lot's events, in ledger order)
//	v {eventID}                           → EPCIS 2.0 event JSON-LD, byte for byte
//	t {eventTime} {eventID}               → "" (all events in event-time order)
//	o {epc} {eventTime} {eventID}         → "p" parentID or "e" epcList (EPC/SSCC → events)
//	c {epcClass} {eventTime} {eventID}    → "" (quantity lists' class → events)
//	u {gtin} {serial}                     → ledger.Unit (unit → lot)
//	d {inputLot} {outputLot}              → ledger.Quantity (downstream edge; lots as Digital Links)
//	a {outputLot} {inputLot}              → ledger.Quantity (upstream edge)
//	r {gtin} {lot}                        → ledger.Recall (the lot's own recall)
//	x {gtin} {lot} {recalledLot}          → "" (recalled through an upstream lot)
//	s {address, lower case}               → ledger.LabSigner
//	i {reportID}                          → ledger.InspectionRecord
//	h {shipmentID}                        → ledger.Shipment
//	k {sscc}                              → ledger.LogisticUnit
//	g roles | g proposal {id}             → ledger.Roles, ledger.RoleProposal
//	b, n, f                               → where each EPCIS event was recorded, lot records by block (blocks.go)
//	A {kind} {key}                        → anchored records as recorded (records.go)
//	E, R                                  → EPCIS query interface: events by field value, by record time (epcisquery.go)
//	G, H                                  → location master data and its hierarchy (locations.go)
//	J                                     → node-local records: named queries, subscriptions, scan counts; excluded from Digest (local.go)
//	w, y, z                               → anchor windows and anchors, node-local, excluded from Digest (anchors.go)
//	T {gtin} {lot}                        → the lot's trace record, derived from l, r, x, a, d, e, v, u, compressed; excluded from Digest (tracerec.go)
//
// Recall flags (x) are propagated downstream when they are written: a
// recall flags every lot reachable through d edges, and a new lot made
// from flagged or recalled inputs inherits their flags.
package index

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

// ErrNotFound is returned (wrapped) when a record is not in the index.
var ErrNotFound = errors.New("not found")

// ErrClosed is returned by an Index used after Close.
var ErrClosed = errors.New("index: closed")

// Layout is the version of what the index stores and derives: its tables,
// the claims' results and the anchoring leaves (which every member must
// compute alike). Open refuses an index of another layout.
//
//	1 (or none): before anchored records (ledger.Record) and the signer table of claims
//	2: records are anchoring leaves; q s {signer} {report} {lot}
//	3: b values carry the content hash of bound leaves (ledger.Leaf)
//	4: f, the lot records by block, for the anchored state (ledger.StateLeaf)
//	5: the EPCIS query tables E and R (epcisquery.go), location master data G and H (locations.go)
//	6: anchored records kept as recorded, A (records.go); ids of records with a schema version by RFC 8785 (ledger.StoredRecord)
//	7: products' service chains (ledger.ServiceChain) in A and, for the anchored state, in f (servicechain.go)
//	8: the per-lot trace record T (tracerec.go)
//	9: each unit's record also under its lot in T, next to the lot's trace record (T {gtin} {lot} {serial})
//	10: instead, the lot's trace record holds its units' records (tracerec.go)
//	11: trace records compressed with s2 against a fixed dictionary (tracerec.go)
const Layout = 11

// ErrLayout is matched by a *LayoutError.
var ErrLayout = errors.New("index: written with another layout")

// LayoutError is returned by Open for an index written by a trustline of
// another layout: it must be rebuilt from the ledger.
type LayoutError struct {
	Dir        string
	Have, Want int
}

func (e *LayoutError) Error() string {
	if e.Have > e.Want {
		// A newer trustline wrote it: this one can neither read nor serve
		// it, and rebuilding it replaces what the newer one derived.
		return fmt.Sprintf("index %s was written with layout %d, newer than this trustline's layout %d: run a trustline that reads layout %d, "+
			"or rebuild the index from the ledger for this one (trustline node start --rebuild, or trustline index rebuild with the node stopped)",
			e.Dir, e.Have, e.Want, e.Have)
	}
	return fmt.Sprintf("index %s was written with layout %d, this trustline reads layout %d: rebuild it from the ledger "+
		"(trustline index rebuild, or delete the directory and the node follows the ledger from its first block)", e.Dir, e.Have, e.Want)
}

// Is makes errors.Is(err, ErrLayout) true.
func (e *LayoutError) Is(target error) bool { return target == ErrLayout }

// Table prefixes; see the package documentation.
const (
	tMeta       = 'm'
	tProduct    = 'p'
	tLot        = 'l'
	tLotEvent   = 'e'
	tEvent      = 'v'
	tTime       = 't'
	tEPC        = 'o'
	tClass      = 'c'
	tUnit       = 'u'
	tDown       = 'd'
	tUp         = 'a'
	tRecall     = 'r'
	tRecalledBy = 'x'
	tSigner     = 's'
	tInspection = 'i'
	tShipment   = 'h'
	tLogistic   = 'k'
	tGovernance = 'g'
)

const sep = 0x00

// defaultCacheSize is Options.CacheSize's default (Open and OpenOld).
const defaultCacheSize = 512 << 20

// Options configure an Index. The zero value is the default.
type Options struct {
	// FS is the file system; nil is the disk. vfs.NewMem() keeps the index
	// in memory (tests).
	FS vfs.FS
	// CacheSize is the memory of the index's caches in bytes; 0 is 512
	// MiB. Three quarters hold lots' trace records (rectable.go: about
	// 330 bytes a lot, so 512 MiB holds those of 1.1M lots), the rest is
	// Pebble's block cache. Both take memory as they are filled, up to
	// their size. A trace reads a few blocks at random places; with a
	// 64 MiB block cache and no record table, most of them missed in an
	// index of a million lots.
	CacheSize int64
	// Logger receives Pebble's log messages, its background errors and
	// its disk stalls; nil discards them.
	Logger *slog.Logger
	// NoSync commits without waiting for the disk, for a rebuild into a
	// directory of its own (a node's rolling rebuild): Close flushes
	// everything. A crash of the machine may lose the latest commits, never
	// part of one; a killed process loses none (the operating system
	// holds its log). Pebble is tuned for bulk writes (bulkOptions).
	NoSync bool
	// NoLog is NoSync without a write-ahead log, for a rebuild that is
	// thrown away unless it completes (trustline index rebuild): a crash
	// or a kill loses the commits since the last memtable flush, up to a
	// few hundred MiB of them, never part of one. The checkpoint is lost
	// with the writes it covers, so a rebuild that resumed would still
	// apply each block once (TestNoLogCrashResumes).
	NoLog bool
}

// bulkOptions tunes Pebble for a rebuild (Options.NoSync, NoLog):
//   - 128 MiB memtables (64 MiB otherwise): fewer, larger flushes.
//   - Level 0 compacted from 8 files (Pebble's default 4): the rebuild's
//     tables are merged down in fewer, larger compactions.
//   - With NoLog, no write-ahead log: without one a crash leaves the state
//     of the last memtable flush, which holds whole batches, each with its
//     checkpoint. A rebuild that is thrown away if it fails never reads
//     its log.
//
// The synced index a rebuild becomes is opened again without them.
// BenchmarkRebuild measures them ("rebuild" is NoLog).
func bulkOptions(po *pebble.Options, noLog bool) {
	po.DisableWAL = noLog
	po.MemTableSize = 128 << 20
	po.L0CompactionThreshold = 8
	po.L0StopWritesThreshold = 24
}

// Index is an open index. Its methods are safe for concurrent use; Apply
// calls are serialised.
type Index struct {
	db *pebble.DB

	noSync bool

	cacheSize int64 // the block cache's size (Options.CacheSize; warm.go)

	mu sync.Mutex // serialises Apply: the checkpoint is read, then written
	cp Checkpoint

	watch watchers // watch.go

	claimed keySet // products with claims (claims.go)

	recalls keySet // lots with recalls or recall flags (recallset.go)

	leaves *leafFilter // leaffilter.go; nil unless opened empty

	batchTxBytes int // the bytes per transaction of the last ApplyBlocks batch

	writeBuf writeBuf // the write-only operations of an ApplyBlocks batch (splitbatch.go)

	events *eventCache // eventcache.go

	recs bool // the index has trace records (tracerec.go): set when opened

	locCache locationCache // locations.go

	prods productCache // productcache.go

	tab *recTable // rectable.go; nil: none

	localMu sync.Mutex // serialises LocalAdd (local.go)

	// The key of page tokens (epcisquery.go), read or made on first use.
	pageKeyOnce sync.Once
	pageKeyVal  []byte
	pageKeyErr  error
}

// Open opens (creating if needed) the index in dir. The caller must Close it.
func Open(dir string, opts *Options) (*Index, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.CacheSize = cmp.Or(o.CacheSize, defaultCacheSize)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tab := newRecTable(o.CacheSize / 4 * 3) // rectable.go
	blocks := o.CacheSize
	if tab != nil {
		blocks -= tab.max
	}
	cache := pebble.NewCache(blocks)
	defer cache.Unref()
	// A 64 MiB memtable (Pebble's default is 4 MiB) flushes a rebuild's
	// writes in fewer, larger tables: compactions took as much CPU as the
	// apply itself in BenchmarkRebuild, 7× less with it.
	po := &pebble.Options{FS: o.FS, Cache: cache, Logger: pebbleLogger{log}, EventListener: pebbleEvents(log), MemTableSize: 64 << 20}
	// Bloom filters on every level let a point Get (unit, lot, product,
	// event, recall: several per trace) skip the tables that cannot hold
	// its key; tables written before have none and still read correctly.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	o.NoSync = o.NoSync || o.NoLog
	if o.NoSync {
		bulkOptions(po, o.NoLog)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("index: opening %s: %w", dir, err)
	}
	x := &Index{db: db, noSync: o.NoSync, cacheSize: blocks, tab: tab, events: newEventCache()}
	cp, err := x.readCheckpoint()
	if err != nil {
		db.Close()
		return nil, err
	}
	if cp.Valid && cp.Layout != Layout {
		db.Close()
		return nil, &LayoutError{Dir: dir, Have: max(cp.Layout, 1), Want: Layout}
	}
	x.cp, x.recs = cp, true
	if !cp.Valid {
		// Opened empty: every position will be written by this process.
		empty, err := noKeys(db, []byte{tEventPos, sep})
		if err != nil {
			db.Close()
			return nil, err
		}
		if empty {
			x.leaves = newLeafFilter()
		}
	}
	if err := loadClaimed(&x.claimed, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: reading the claims: %w", err)
	}
	if err := loadRecalls(&x.recalls, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: reading the recalls: %w", err)
	}
	return x, nil
}

// Close closes the index.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return ErrClosed
	}
	var err error
	if x.noSync {
		err = x.db.Flush() // the unsynced write-ahead log must not be relied on
	}
	err = errors.Join(err, x.db.Close())
	x.db = nil
	x.tab.release() // rectable.go
	return err
}

// Compact flushes the memtable and compacts every table down into the
// last level, as Pebble would in time on its own. An index built in bulk
// (a rebuild, a benchmark's million lots) holds tables in every level
// until then, and a point read looks in each: compacted, a cold read
// misses the block cache once. Apply waits until it returns.
func (x *Index) Compact(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return ErrClosed
	}
	if err := x.db.Flush(); err != nil {
		return fmt.Errorf("index: flushing: %w", err)
	}
	if err := x.db.Compact(ctx, []byte{0}, []byte{0xff, 0xff}, true); err != nil {
		return fmt.Errorf("index: compacting: %w", err)
	}
	return nil
}

// pebbleLogger is Pebble's log through slog. Pebble's Fatalf must not
// return: it logs, then panics, as Pebble's own logger exits.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) { l.log.Info(fmt.Sprintf(format, args...)) }
func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...))
}
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "fatal", true)
	panic(msg)
}

// pebbleEvents logs the Pebble events an operator acts on: slow disks and
// write stalls (background errors and corruption go through the logger).
func pebbleEvents(log *slog.Logger) *pebble.EventListener {
	return &pebble.EventListener{
		DiskSlow: func(info pebble.DiskSlowInfo) {
			log.Warn("disk slow", "op", info.OpType.String(), "path", info.Path, "for", info.Duration)
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			log.Warn("index writes stalled", "reason", info.Reason)
		},
		WriteStallEnd: func() { log.Info("index writes resumed") },
	}
}

// Position is a transaction's place in the chain: its block and its index
// among the block's transactions (-1: before the first; see BlockStart).
type Position struct {
	Block uint64 `json:"block"`
	Tx    int    `json:"tx"`
	TxID  string `json:"txId"`
}

// Before reports whether p comes strictly before q.
func (p Position) Before(q Position) bool {
	return p.Block < q.Block || p.Block == q.Block && p.Tx < q.Tx
}

// Checkpoint is the position of the last applied transaction.
type Checkpoint struct {
	Position
	// Valid is false for an empty index (nothing applied yet).
	Valid bool `json:"valid"`
	// Applied counts transactions applied since the index was created,
	// with or without a payload.
	Applied uint64 `json:"applied"`
	// Events counts the payloads indexed: a rebuild from the same blocks
	// counts the same, so a replayed transaction shows here.
	Events uint64 `json:"events"`
	// Blocks counts the blocks completed with ApplyBlock.
	Blocks uint64 `json:"blocks"`
	// At is when the checkpoint was written (wall clock).
	At time.Time `json:"at"`
	// Layout is the index layout that wrote it.
	Layout int `json:"layout"`
}

// NextBlock is the block a follower resumes from: the checkpoint's own
// block, whose later transactions may not be applied yet (after
// ApplyBlock the checkpoint is BlockStart of the next block).
func (c Checkpoint) NextBlock() uint64 {
	if !c.Valid {
		return 0
	}
	return c.Block
}

var checkpointKey = []byte{tMeta, sep, 'c', 'h', 'e', 'c', 'k', 'p', 'o', 'i', 'n', 't'}

func (x *Index) readCheckpoint() (Checkpoint, error) {
	var cp Checkpoint
	ok, err := getJSON(x.db, checkpointKey, &cp)
	if err != nil {
		return cp, fmt.Errorf("index: reading the checkpoint: %w", err)
	}
	if ok {
		cp.Valid = true
	}
	return cp, nil
}

// Checkpoint returns the position of the last applied transaction.
func (x *Index) Checkpoint() Checkpoint {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cp
}

// Apply indexes the chaincode event payload ev of the transaction at pos
// and advances the checkpoint to pos, atomically and durably. A nil ev
// only advances the checkpoint (a payload the node cannot decode must not
// stop it). It reports whether pos was new: a position at or before the
// checkpoint is skipped.
func (x *Index) Apply(pos Position, ev *ledger.Event) (bool, error) {
	ok, c, err := x.apply(pos, ev)
	if c != nil {
		x.watch.notify(*c) // unlocked: a watcher may read the index
	}
	return ok, err
}

// apply is Apply under the lock; it returns what changed for the watchers,
// nil when nobody watches.
func (x *Index) apply(pos Position, ev *ledger.Event) (bool, *Change, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return false, nil, ErrClosed
	}
	if x.cp.Valid && !x.cp.Position.Before(pos) {
		return false, nil, nil
	}
	b := x.db.NewIndexedBatch()
	defer b.Close()
	w, cw := x.batchWriter(b)
	if ev != nil {
		if err := applyTx(w, pos, ev, nil); err != nil {
			return false, nil, err
		}
	}
	if err := flushClaims(w); err != nil { // claims.go
		return false, nil, err
	}
	if err := flushTraceRecs(w); err != nil { // tracerec.go
		return false, nil, err
	}
	cp := x.cp
	cp.Position, cp.Valid, cp.At, cp.Layout = pos, true, time.Now().UTC(), Layout
	cp.Applied++
	if ev != nil {
		cp.Events++
	}
	if err := setJSON(b, checkpointKey, cp); err != nil {
		return false, nil, err
	}
	if err := b.Commit(x.writeOpts()); err != nil {
		return false, nil, fmt.Errorf("index: committing block %d tx %d: %w", pos.Block, pos.Tx, err)
	}
	tabCommitted(w) // tracerec.go
	x.cp = cp
	if ev != nil && len(ev.Locations) > 0 {
		x.locCache.changed()
	}
	if ev != nil && len(ev.Products) > 0 {
		x.prods.changed()
	}
	return true, cw.change(cp), nil
}

// ApplyError is an error indexing the transaction at Pos; nothing of it
// was written.
type ApplyError struct {
	Pos Position
	Err error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("index: applying block %d tx %d (%s): %v", e.Pos.Block, e.Pos.Tx, e.Pos.TxID, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Digest is a SHA-256 over every key and value except the checkpoint
// metadata, the node-local tables and the trace records (derived from the
// other tables), in key order: two indexes built from the same
// transactions have the same digest.
func (x *Index) Digest() (string, error) {
	it, err := x.db.NewIter(nil)
	if err != nil {
		return "", err
	}
	defer it.Close()
	h := sha256.New()
	var n [8]byte
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) > 0 && (k[0] == tMeta || k[0] == tTraceRec || nodeLocal(k[0])) { // nodeLocal: anchors.go; tTraceRec: tracerec.go
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return "", err
		}
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write(k)
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		h.Write(n[:])
		h.Write(v)
	}
	if err := it.Error(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// key builds a key of table t from components.
func key(t byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 1, n)
	k[0] = t
	for _, p := range parts {
		k = append(k, sep)
		k = append(k, p...)
	}
	return k
}

// prefix is key(t, parts...) followed by a separator: the prefix of every
// key with more components.
func prefix(t byte, parts ...string) []byte { return append(key(t, parts...), sep) }

// split returns the components of k after its table byte.
func split(k []byte) []string {
	if len(k) < 2 {
		return nil
	}
	var out []string
	for _, p := range bytes.Split(k[2:], []byte{sep}) {
		out = append(out, string(p))
	}
	return out
}

// upperBound is the smallest key greater than every key with prefix p.
func upperBound(p []byte) []byte {
	u := append([]byte(nil), p...)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] < 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}

type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

type writer interface {
	reader
	Set(key, value []byte, o *pebble.WriteOptions) error
}

func get(r reader, k []byte) ([]byte, bool, error) {
	v, c, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	c.Close()
	return out, true, nil
}

func getJSON(r reader, k []byte, v any) (bool, error) {
	b, ok, err := get(r, k)
	if err != nil || !ok {
		return false, err
	}
	if err := jsondec.Unmarshal(b, v); err != nil { // encoding/json's value or error, faster
		return false, fmt.Errorf("index: corrupt value under %q: %w", k, err)
	}
	return true, nil
}

func setJSON(w writer, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.Set(k, b, nil)
}

// scan calls fn for every key with prefix p, in order, from the first key
// at or after from (nil: the start) until fn returns false.
func scan(r reader, p, from []byte, fn func(k, v []byte) (bool, error)) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	ok := it.First()
	if from != nil {
		ok = it.SeekGE(from)
	}
	for ; ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		more, err := fn(it.Key(), v)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return it.Error()
}

// noKeys reports whether no key has prefix p.
func noKeys(r reader, p []byte) (bool, error) {
	empty := true
	err := scan(r, p, nil, func(_, _ []byte) (bool, error) {
		empty = false
		return false, nil
	})
	return empty, err
}

// lotKey parses a lot Digital Link into its GTIN and lot number.
func lotKey(link string) (gtin, lot string, ok bool) {
	l, err := digitallink.Parse(link)
	if err != nil || l.GTIN == "" || l.Lot == "" {
		return "", "", false
	}
	return l.GTIN, l.Lot, true
}

func validComponent(s string) bool { return s != "" && bytes.IndexByte([]byte(s), sep) < 0 }
