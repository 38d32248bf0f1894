package follower

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// recordedChain is a recorded block stream: each block as the peer
// delivers it (a marshalled common.Block), and the number of trustline
// payloads in them.
type recordedChain struct {
	blocks [][]byte
	events int
	bytes  int
}

// supplyPayloads replicates the transactions of the index's
// testdata/supply.json (the chaincode's own event encoding: two lots made
// into juice, units, packed, shipped, recalled) with fresh lots, units,
// logistic units, event ids and transaction ids per replica until there
// are n payloads; the products and the lab signer are registered once.
func supplyPayloads(tb testing.TB, n int) [][]byte {
	raw, err := os.ReadFile(filepath.Join("..", "index", "testdata", "supply.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var seq []struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(raw, &seq); err != nil {
		tb.Fatal(err)
	}
	var once, each []string
	for _, s := range seq {
		var ev ledger.Event
		if err := json.Unmarshal(s.Event, &ev); err != nil {
			tb.Fatal(err)
		}
		compact := new(bytes.Buffer)
		json.Compact(compact, s.Event)
		if len(ev.Products) > 0 || len(ev.LabSigners) > 0 {
			once = append(once, compact.String())
		} else {
			each = append(each, compact.String())
		}
	}
	lotRE := regexp.MustCompile(`\b(J1|L1|L2|S1|S2)\b`)
	hashRE := regexp.MustCompile(`sha-256;([0-9a-f]{2})(?:[0-9a-f]{2}){31}`)
	txRE := regexp.MustCompile(`"(tx\d+-\d+)"`)
	const sscc = "106141412345678908"
	out := make([][]byte, 0, n)
	for _, p := range once {
		out = append(out, []byte(p))
	}
	for r := 1; len(out) < n; r++ {
		body := fmt.Sprintf("%017d", 10614141200000000+r)[:17]
		cd, _ := gs1.CheckDigit(body)
		newSSCC := body + strconv.Itoa(cd)
		for _, p := range each {
			if len(out) == n {
				break
			}
			p = lotRE.ReplaceAllString(p, fmt.Sprintf("${1}r%d", r))
			p = hashRE.ReplaceAllStringFunc(p, func(m string) string {
				h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", m, r)))
				return "sha-256;" + hex.EncodeToString(h[:])
			})
			p = txRE.ReplaceAllString(p, fmt.Sprintf(`"${1}-r%d"`, r))
			p = regexp.MustCompile(sscc).ReplaceAllLiteralString(p, newSSCC)
			out = append(out, []byte(p))
		}
	}
	return out
}

// filler is n bytes standing for what a real envelope carries and the
// index ignores: certificates, signatures, proposals.
func filler(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*31)
	}
	return b
}

// benchTx is one transaction of a recorded chain: its chaincode event's
// payload, its read-write set, and the size of its proposal's arguments.
type benchTx struct {
	payload, results []byte
	input            int
}

// completeTxs are complete payloads as blocks written before slim events
// hold them: the records in the event, a read-write set about twice the
// payload (the records and their index keys) that the follower does not
// read.
func completeTxs(payloads [][]byte) []benchTx {
	out := make([]benchTx, len(payloads))
	for i, p := range payloads {
		out[i] = benchTx{payload: p, results: filler(2*len(p), 5), input: len(p)}
	}
	return out
}

// demoTxs replicates the demo story's transactions as this chaincode
// records them (testdata/demo-txs.json, which the chaincode's
// TestDemoFixture writes: each slim event, and the writes in its
// namespace) until there are n, with fresh lots, units, report, event ids
// and transaction ids per replica. The transactions that record no EPCIS
// event (roles, products, claims, the lab's signer) are there once.
func demoTxs(tb testing.TB, n int) []benchTx {
	raw, err := os.ReadFile(filepath.Join("testdata", "demo-txs.json"))
	if err != nil {
		tb.Fatal(err)
	}
	type write struct{ Key, Value string }
	var story []struct {
		Event  string
		Writes []write
	}
	if err := json.Unmarshal(raw, &story); err != nil {
		tb.Fatal(err)
	}
	lifecycle := mustMarshal(tb, &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "namespaces/fields/trustline/Sequence", Version: &kvrwset.Version{BlockNum: 5}}}})
	tx := func(event string, ws []write) benchTx {
		slices.SortFunc(ws, func(a, b write) int { return strings.Compare(a.Key, b.Key) })
		kv := &kvrwset.KVRWSet{}
		input := 0
		for _, w := range ws {
			kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: w.Key, Value: []byte(w.Value)})
			input += len(w.Value)
		}
		results := mustMarshal(tb, &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{
			{Namespace: "_lifecycle", Rwset: lifecycle}, {Namespace: "trustline", Rwset: mustMarshal(tb, kv)}}})
		return benchTx{payload: []byte(event), results: results, input: input}
	}
	var out []benchTx
	var each []int
	for i, t := range story {
		if strings.Contains(t.Event, `"epcis":`) {
			each = append(each, i)
		} else {
			out = append(out, tx(t.Event, t.Writes))
		}
	}
	rename := regexp.MustCompile(`\b(RM-F1|YG-F1-A|YG-F1-B|SF100[1-5]|BFL-F1-0417)\b|sha-256;[0-9a-f]{64}|\b0{40}[0-9a-f]{24}\b`)
	for r := 1; len(out) < n; r++ {
		fresh := func(s string) string {
			return rename.ReplaceAllStringFunc(s, func(m string) string {
				switch {
				case strings.HasPrefix(m, "sha-256;"):
					h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", m, r))
					return "sha-256;" + hex.EncodeToString(h[:])
				case len(m) == 64:
					h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", m, r))
					return hex.EncodeToString(h[:])
				}
				return m + "r" + strconv.Itoa(r)
			})
		}
		for _, i := range each {
			if len(out) == n {
				break
			}
			ws := make([]write, len(story[i].Writes))
			for j, w := range story[i].Writes {
				ws[j] = write{fresh(w.Key), fresh(w.Value)}
			}
			out = append(out, tx(fresh(story[i].Event), ws))
		}
	}
	return out
}

// recordChain makes a block stream of the transactions, txsPerBlock
// endorser transactions a block, each with the size of a real one: a
// creator certificate, three endorsements (certificate and signature) and
// the proposal's arguments.
func recordChain(tb testing.TB, txs []benchTx, txsPerBlock int) recordedChain {
	cert := func(seed byte) []byte { return filler(850, seed) }
	var c recordedChain
	// Block 0 is the channel's configuration, as on a real ledger.
	cfg := mustMarshal(tb, &common.Envelope{Payload: mustMarshal(tb, &common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(tb, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: "trustline"})},
		Data:   filler(20000, 1)})})
	block := func(num uint64, data [][]byte) []byte {
		md := make([][]byte, common.BlockMetadataIndex_COMMIT_HASH+1)
		md[common.BlockMetadataIndex_SIGNATURES] = filler(4*(850+72), 2)
		filter := make([]byte, len(data)) // all VALID (0)
		md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
		return mustMarshal(tb, &common.Block{Header: &common.BlockHeader{Number: num, PreviousHash: filler(32, 3), DataHash: filler(32, 4)},
			Data: &common.BlockData{Data: data}, Metadata: &common.BlockMetadata{Metadata: md}})
	}
	c.blocks = append(c.blocks, block(0, [][]byte{cfg}))
	for first := 0; first < len(txs); first += txsPerBlock {
		num := uint64(len(c.blocks))
		var data [][]byte
		for i, t := range txs[first:min(first+txsPerBlock, len(txs))] {
			txID := fmt.Sprintf("%064x", sha256.Sum256(fmt.Appendf(nil, "%d/%d", num, i)))
			ev := mustMarshal(tb, &peer.ChaincodeEvent{ChaincodeId: "trustline", TxId: txID, EventName: ledger.EventName, Payload: t.payload})
			ca := mustMarshal(tb, &peer.ChaincodeAction{Results: t.results, Events: ev,
				Response: &peer.Response{Status: 200}, ChaincodeId: &peer.ChaincodeID{Name: "trustline", Version: "1"}})
			prp := mustMarshal(tb, &peer.ProposalResponsePayload{ProposalHash: filler(32, 6), Extension: ca})
			var ends []*peer.Endorsement
			for e := range 3 {
				ends = append(ends, &peer.Endorsement{Endorser: cert(byte(10 + e)), Signature: filler(72, byte(20+e))})
			}
			act := mustMarshal(tb, &peer.ChaincodeActionPayload{ChaincodeProposalPayload: filler(t.input+200, 7),
				Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: ends}})
			sh := mustMarshal(tb, &common.SignatureHeader{Creator: cert(8), Nonce: filler(24, 9)})
			tx := mustMarshal(tb, &peer.Transaction{Actions: []*peer.TransactionAction{{Header: sh, Payload: act}}})
			ch := mustMarshal(tb, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "trustline", TxId: txID,
				Timestamp: nil, Extension: filler(20, 10)})
			pl := mustMarshal(tb, &common.Payload{Header: &common.Header{ChannelHeader: ch, SignatureHeader: sh}, Data: tx})
			data = append(data, mustMarshal(tb, &common.Envelope{Payload: pl, Signature: filler(72, 11)}))
		}
		c.blocks = append(c.blocks, block(num, data))
		c.events += len(data)
	}
	for _, b := range c.blocks {
		c.bytes += len(b)
	}
	return c
}

// recordedSource delivers a recorded chain as the gateway client does:
// each block unmarshalled from its bytes, then parsed by parseBlocks.
type recordedSource struct{ c recordedChain }

func (s recordedSource) raw(ctx context.Context, start uint64) <-chan *common.Block {
	out := make(chan *common.Block, 16)
	go func() {
		defer close(out)
		for _, raw := range s.c.blocks[start:] {
			b := new(common.Block)
			if err := proto.Unmarshal(raw, b); err != nil {
				panic(err)
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out
}

func (s recordedSource) Blocks(ctx context.Context, start uint64) (<-chan Block, error) {
	return parseBlocks(ctx, s.raw(ctx, start), "trustline"), nil
}

func (s recordedSource) Height(context.Context) (uint64, error) { return uint64(len(s.c.blocks)), nil }

// loadAvg is the first field of /proc/loadavg ("" where there is none).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return ""
	}
	return string(f[0])
}

// BenchmarkRebuild measures a member catching up from block 0: a recorded
// block stream (TRUSTLINE_BENCH_EVENTS transactions, default 100,000,
// TRUSTLINE_BENCH_BLOCK_TXS a block, default 20) is rebuilt into a fresh
// on-disk index by the follower, as a node does (synced commits: "node"),
// and as `trustline index rebuild` does (NoLog: "rebuild"), and as a
// node's rolling rebuild does (NoSync: "rolling"). The transactions are
// the chaincode's own: TRUSTLINE_BENCH_FORM "slim" (the default) is the
// demo story as this chaincode records it (slim events, the records in the
// write set: demoTxs), "complete" the index's supply fixture in the
// complete events of blocks written before slim events (supplyPayloads).
// The baselines from the same run: "deliver" is the
// stream alone with a no-op consumer (each block unmarshalled, as the
// gateway client delivers it), the upper bound of any rebuild that reads
// blocks through the gateway; "parse" adds ParseBlock and the payloads'
// decoding; "apply" is the index's side alone (blocks decoded
// beforehand). Each sub-benchmark reports events/s and CPU-µs per event,
// and all but "deliver" their ratio to delivery.
func BenchmarkRebuild(b *testing.B) {
	n := envInt(b, "TRUSTLINE_BENCH_EVENTS", 100_000)
	per := envInt(b, "TRUSTLINE_BENCH_BLOCK_TXS", 20)
	var txs []benchTx
	switch form := os.Getenv("TRUSTLINE_BENCH_FORM"); form {
	case "", "slim":
		txs = demoTxs(b, n)
	case "complete":
		txs = completeTxs(supplyPayloads(b, n))
	default:
		b.Fatalf("TRUSTLINE_BENCH_FORM=%q: want slim or complete", form)
	}
	c := recordChain(b, txs, per)
	b.Logf("recorded %d blocks, %d events, %.1f MiB; GOMAXPROCS %d", len(c.blocks), c.events, float64(c.bytes)/(1<<20), runtime.GOMAXPROCS(0))
	src := recordedSource{c}
	var deliver float64
	// On a shared machine the wall clock says mostly how busy it is: the
	// process's CPU time per event (all cores, background compactions
	// included) is reported too, and its page faults per event: on a
	// virtual machine a fault on fresh memory costs microseconds.
	var cpu0 time.Duration
	var faults0 int64
	usage := func() (time.Duration, int64) {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt + ru.Majflt
	}
	start := func() { cpu0, faults0 = usage() }
	report := func(b *testing.B, name string, d time.Duration) float64 {
		n := float64(c.events) * float64(b.N)
		rate := n / d.Seconds()
		cpu, faults := usage()
		cpuPer := float64((cpu - cpu0).Microseconds()) / n
		faultsPer := float64(faults-faults0) / n
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(cpuPer, "cpu-µs/event")
		b.ReportMetric(faultsPer, "faults/event")
		b.ReportMetric(0, "ns/op")
		if deliver > 0 && name != "deliver" {
			b.ReportMetric(rate/deliver, "x-deliver")
			b.Logf("%s: %.0f events/s (%.2fx delivery), %.1f CPU-µs/event, %.2f page faults/event, load %s", name, rate, rate/deliver, cpuPer, faultsPer, loadAvg())
		} else {
			b.Logf("%s: %.0f events/s, %.1f CPU-µs/event, %.2f page faults/event, load %s", name, rate, cpuPer, faultsPer, loadAvg())
		}
		return rate
	}
	b.Run("deliver", func(b *testing.B) {
		start()
		t0 := time.Now()
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			n := 0
			for range src.raw(ctx, 0) {
				if n++; n == len(c.blocks) {
					break
				}
			}
			cancel()
		}
		deliver = report(b, "deliver", time.Since(t0))
	})
	b.Run("parse", func(b *testing.B) {
		start()
		f := &Follower{log: slog.New(slog.DiscardHandler)}
		t0 := time.Now()
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			blocks, _ := src.Blocks(ctx, 0)
			n := 0
			for d := range orderedMap(ctx, blocks, 0, f.decode, nil) {
				if d.Err != nil {
					b.Fatal(d.Err)
				}
				if n++; n == len(c.blocks) {
					break
				}
			}
			cancel()
		}
		report(b, "parse", time.Since(t0))
	})
	// The follower as it was: each block parsed, decoded and committed
	// (synced) in turn on one goroutine.
	b.Run("serial", func(b *testing.B) {
		start()
		var total time.Duration
		for range b.N {
			idx, err := index.Open(filepath.Join(b.TempDir(), "index"), nil)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			for _, raw := range c.blocks {
				pb := parseRecorded(b, raw)
				var txs []index.Tx
				for i, t := range pb.Txs {
					if t.Valid && t.Event != nil && t.Event.Name == ledger.EventName {
						_, ev, err := t.Event.CompletePayload()
						if err != nil {
							b.Fatal(err)
						}
						txs = append(txs, index.Tx{Pos: index.Position{Block: pb.Number, Tx: i, TxID: t.ID}, Event: ev})
					}
				}
				if _, err := idx.ApplyBlock(pb.Number, txs); err != nil {
					b.Fatal(err)
				}
			}
			err = idx.Close()
			total += time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
		}
		report(b, "serial", total)
	})
	// The index's side alone: every block decoded and prepared beforehand
	// (untimed), then applied in batches of maxBatchTxs transactions, as a
	// catching-up follower does, NoLog. Its CPU includes the background
	// flushes and compactions the applies cause, until Close.
	b.Run("apply", func(b *testing.B) {
		f := &Follower{log: slog.New(slog.DiscardHandler)}
		var total, cpu time.Duration
		var faults int64
		for range b.N {
			var batches [][]index.Block
			var cur []index.Block
			txs := 0
			for _, raw := range c.blocks {
				d := f.decode(parseRecorded(b, raw))
				cur = append(cur, index.Block{Number: d.Number, Txs: d.txs})
				if txs += len(d.txs); txs >= maxBatchTxs {
					batches, cur, txs = append(batches, cur), nil, 0
				}
			}
			batches = append(batches, cur)
			idx, err := index.Open(filepath.Join(b.TempDir(), "index"), &index.Options{NoLog: true})
			if err != nil {
				b.Fatal(err)
			}
			start()
			t0 := time.Now()
			for _, bl := range batches {
				if _, err := idx.ApplyBlocks(bl); err != nil {
					b.Fatal(err)
				}
			}
			err = idx.Close()
			total += time.Since(t0)
			c, n := usage()
			cpu, faults = cpu+c-cpu0, faults+n-faults0
			if err != nil {
				b.Fatal(err)
			}
		}
		c, n := usage()
		cpu0, faults0 = c-cpu, n-faults
		report(b, "apply", total)
	})
	for _, mode := range []struct {
		name string
		opts index.Options
	}{{"node", index.Options{}}, {"rolling", index.Options{NoSync: true}}, {"rebuild", index.Options{NoLog: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			start()
			var total time.Duration
			for range b.N {
				dir := b.TempDir()
				idx, err := index.Open(filepath.Join(dir, "index"), &mode.opts)
				if err != nil {
					b.Fatal(err)
				}
				// A transaction skipped (logged as an error) would be
				// indexed as an event without its writes.
				var logged bytes.Buffer
				f := New(src, idx, &Options{StopAt: uint64(len(c.blocks)), Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelError}))})
				t0 := time.Now()
				if err := f.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				err = idx.Close()
				total += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if cp := f.idx.Checkpoint(); cp.Events != uint64(c.events) || logged.Len() > 0 {
					b.Fatalf("indexed %d events of %d; %s", cp.Events, c.events, logged.Bytes())
				}
			}
			report(b, mode.name, total)
		})
	}
}

// parseRecorded is a recorded block as the follower reads it: unmarshalled
// and parsed.
func parseRecorded(tb testing.TB, raw []byte) Block {
	blk := new(common.Block)
	if err := proto.Unmarshal(raw, blk); err != nil {
		tb.Fatal(err)
	}
	pb, err := ParseBlock(blk, "trustline")
	if err != nil {
		tb.Fatal(err)
	}
	return pb
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
