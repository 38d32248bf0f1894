package follower

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// protoParseEnvelope is parseEnvelope as it was before the wire walk
// (wire.go): every message on the path unmarshalled with proto.Unmarshal.
// It is the reference the walk is compared with.
func protoParseEnvelope(raw []byte, chaincode string) (string, *ChaincodeEvent, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return "", nil, fmt.Errorf("envelope: %w", err)
	}
	var pl common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &pl); err != nil {
		return "", nil, fmt.Errorf("payload: %w", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch); err != nil {
		return "", nil, fmt.Errorf("channel header: %w", err)
	}
	if common.HeaderType(ch.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return ch.GetTxId(), nil, nil
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(pl.GetData(), &tx); err != nil {
		return ch.GetTxId(), nil, fmt.Errorf("transaction: %w", err)
	}
	for _, action := range tx.GetActions() {
		var act peer.ChaincodeActionPayload
		if err := proto.Unmarshal(action.GetPayload(), &act); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode action payload: %w", err)
		}
		var prp peer.ProposalResponsePayload
		if err := proto.Unmarshal(act.GetAction().GetProposalResponsePayload(), &prp); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("proposal response payload: %w", err)
		}
		var ca peer.ChaincodeAction
		if err := proto.Unmarshal(prp.GetExtension(), &ca); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode action: %w", err)
		}
		if len(ca.GetEvents()) == 0 {
			continue
		}
		var ev peer.ChaincodeEvent
		if err := proto.Unmarshal(ca.GetEvents(), &ev); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode event: %w", err)
		}
		if ev.GetChaincodeId() == chaincode {
			return ch.GetTxId(), &ChaincodeEvent{Name: ev.GetEventName(), Payload: ev.GetPayload(), Chaincode: chaincode, Results: ca.GetResults()}, nil
		}
	}
	return ch.GetTxId(), nil, nil
}

// protoWrites is ChaincodeEvent.writes as it was before the wire walk.
func protoWrites(e *ChaincodeEvent) (map[string][]byte, error) {
	if len(e.Results) == 0 {
		return nil, errors.New("the transaction has no read-write set")
	}
	var txrw rwset.TxReadWriteSet
	if err := proto.Unmarshal(e.Results, &txrw); err != nil {
		return nil, fmt.Errorf("read-write set: %w", err)
	}
	for _, ns := range txrw.GetNsRwset() {
		if ns.GetNamespace() != e.Chaincode {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", e.Chaincode, err)
		}
		out := make(map[string][]byte, len(kv.GetWrites()))
		for _, w := range kv.GetWrites() {
			if !w.GetIsDelete() {
				out[w.GetKey()] = w.GetValue()
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no writes in namespace %s", e.Chaincode)
}

// errStage is the part of a parse error that names where it was found
// ("chaincode action: …"), which the two paths must agree on; the rest is
// the decoder's own wording.
func errStage(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), ":")
	return s
}

// compareEnvelope parses raw both ways and reports how they differ ("" if
// they do not): tx id, whether and where they fail, the event (name,
// payload, chaincode, read-write set) and the writes of its namespace.
func compareEnvelope(raw []byte, chaincode string) string {
	wid, wev, werr := parseEnvelope(raw, chaincode)
	pid, pev, perr := protoParseEnvelope(raw, chaincode)
	if wid != pid || errStage(werr) != errStage(perr) || (werr == nil) != (perr == nil) {
		return fmt.Sprintf("wire (%q, %v), proto (%q, %v)", wid, werr, pid, perr)
	}
	if (wev == nil) != (pev == nil) {
		return fmt.Sprintf("wire event %+v, proto event %+v", wev, pev)
	}
	if wev == nil {
		return ""
	}
	if wev.Name != pev.Name || !bytes.Equal(wev.Payload, pev.Payload) || wev.Chaincode != pev.Chaincode || !bytes.Equal(wev.Results, pev.Results) {
		return fmt.Sprintf("wire event %+v, proto event %+v", wev, pev)
	}
	return compareWrites(wev)
}

func compareWrites(e *ChaincodeEvent) string {
	ww, werr := e.writes()
	pw, perr := protoWrites(e)
	if (werr == nil) != (perr == nil) || errStage(werr) != errStage(perr) {
		return fmt.Sprintf("writes: wire error %v, proto error %v", werr, perr)
	}
	if len(ww) != len(pw) {
		return fmt.Sprintf("writes: wire %d, proto %d", len(ww), len(pw))
	}
	for k, v := range pw {
		if w, ok := ww[k]; !ok || !bytes.Equal(w, v) {
			return fmt.Sprintf("writes: key %q: wire %q, proto %q", k, w, v)
		}
	}
	return ""
}

// recordedEnvelopes are the transactions of the chains BenchmarkRebuild and
// TestSlimEventsIndexAsComplete build, complete and slim, with their
// validation flags.
func recordedEnvelopes(t testing.TB) (envs [][]byte) {
	payloads := supplyPayloads(t, 300)
	chains := []recordedChain{recordChain(t, completeTxs(payloads), 20)}
	if tt, ok := t.(*testing.T); ok {
		chains = append(chains, chainOf(tt, payloads, 20, func(i int) bool { return i%2 == 0 }))
	}
	for _, c := range chains {
		for _, raw := range c.blocks {
			var b common.Block
			if err := proto.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			envs = append(envs, b.GetData().GetData()...)
		}
	}
	return envs
}

// TestWireDifferential parses the recorded chains' transactions with the
// wire walk and with proto.Unmarshal (and their blocks with ParseBlock
// both ways), then the same transactions mutated at random (bytes flipped,
// cut, inserted, fields repeated and spliced), and random structures
// (fields repeated to be merged, unknown fields, wrong wire types, invalid
// UTF-8): the two must agree on every one, and neither may panic.
func TestWireDifferential(t *testing.T) {
	envs := recordedEnvelopes(t)
	events := 0
	for i, raw := range envs {
		if d := compareEnvelope(raw, "trustline"); d != "" {
			t.Fatalf("recorded transaction %d: %s", i, d)
		}
		if _, ev, _ := parseEnvelope(raw, "trustline"); ev != nil {
			events++
		}
	}
	if events < 500 {
		t.Fatalf("%d events in the recorded chains", events)
	}
	n := 20000
	if testing.Short() {
		n = 4000
	}
	rng := rand.New(rand.NewPCG(18, 4))
	// outcomes counts the results by kind, so that the log shows that
	// every stage's refusal and the events were reached.
	outcomes := map[string]int{}
	count := func(raw []byte) {
		_, ev, err := parseEnvelope(raw, "trustline")
		switch {
		case err != nil:
			outcomes[errStage(err)]++
		case ev != nil:
			outcomes["event"]++
			if _, err := ev.writes(); err != nil {
				outcomes["writes: "+errStage(err)]++
			} else {
				outcomes["writes"]++
			}
		default:
			outcomes["no event"]++
		}
	}
	for i := range n {
		raw := mutate(rng, envs[rng.IntN(len(envs))], envs)
		if d := compareEnvelope(raw, "trustline"); d != "" {
			t.Fatalf("mutation %d (%x): %s", i, raw, d)
		}
		count(raw)
	}
	t.Logf("mutated: %v", outcomes)
	clear(outcomes)
	for i := range n {
		raw := randomEnvelope(rng)
		if d := compareEnvelope(raw, "trustline"); d != "" {
			t.Fatalf("random envelope %d (%x): %s", i, raw, d)
		}
		count(raw)
	}
	t.Logf("random: %v", outcomes)
}

// mutate changes raw at random, at its own level or inside one of the
// messages it holds.
func mutate(rng *rand.Rand, raw []byte, others [][]byte) []byte {
	b := bytes.Clone(raw)
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			return b
		}
		switch rng.IntN(6) {
		case 0: // flip a byte
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		case 1: // cut
			b = b[:rng.IntN(len(b))]
		case 2: // insert a byte
			i := rng.IntN(len(b))
			b = append(b[:i], append([]byte{byte(rng.IntN(256))}, b[i:]...)...)
		case 3: // repeat a field of the outer message (merged or last wins)
			if f := fieldSpan(rng, b); f != nil {
				b = append(b, f...)
			}
		case 4: // splice another transaction's field in
			if f := fieldSpan(rng, others[rng.IntN(len(others))]); f != nil {
				b = append(b, f...)
			}
		case 5: // mutate a nested message in place, re-encoding its length
			b = mutateNested(rng, b, others)
		}
	}
	return b
}

// fieldSpan is one well-formed field of message b, tag included, or nil.
func fieldSpan(rng *rand.Rand, b []byte) []byte {
	var spans [][]byte
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			break
		}
		spans = append(spans, rest[:n+m])
		rest = rest[n+m:]
	}
	if len(spans) == 0 {
		return nil
	}
	return spans[rng.IntN(len(spans))]
}

// mutateNested mutates a length-delimited field of b (descending into it
// at random) and re-encodes it, so that the outer messages stay well
// formed and the damage is found deeper on the path.
func mutateNested(rng *rand.Rand, b []byte, others [][]byte) []byte {
	var out []byte
	rest := b
	var fields [][2]int // value offsets of BytesType fields
	for len(rest) > 0 {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return b
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return b
		}
		if typ == protowire.BytesType {
			fields = append(fields, [2]int{len(b) - len(rest), n + m})
		}
		rest = rest[n+m:]
	}
	if len(fields) == 0 {
		return b
	}
	f := fields[rng.IntN(len(fields))]
	field := b[f[0] : f[0]+f[1]]
	num, _, n := protowire.ConsumeTag(field)
	v, _ := protowire.ConsumeBytes(field[n:])
	var nv []byte
	if rng.IntN(3) == 0 {
		nv = mutate(rng, v, others)
	} else {
		nv = mutateNested(rng, v, others)
		if bytes.Equal(nv, v) {
			nv = mutate(rng, v, others)
		}
	}
	out = append(out, b[:f[0]]...)
	out = protowire.AppendTag(out, num, protowire.BytesType)
	out = protowire.AppendBytes(out, nv)
	return append(out, b[f[0]+f[1]:]...)
}

// randomEnvelope builds an envelope whose every message on the path is
// made of random choices: the fields the follower reads, set zero, one or
// two times (so that singular messages are merged and last values win),
// unknown fields, known fields of the wrong wire type, strings that are
// not UTF-8.
func randomEnvelope(rng *rand.Rand) []byte {
	str := func() []byte {
		switch rng.IntN(8) {
		case 0:
			return []byte("\xff\xfe")
		case 1:
			return []byte("other")
		case 2:
			return nil
		}
		return []byte("trustline")
	}
	// msg appends each field 0–2 times (mostly once), in random order,
	// with noise around them.
	type field struct {
		num protowire.Number
		v   func() []byte // BytesType value; nil: a varint
		x   func() uint64
	}
	var msg func(fs ...field) []byte
	msg = func(fs ...field) []byte {
		var b []byte
		noise := func() {
			switch rng.IntN(12) {
			case 0: // unknown varint field
				b = protowire.AppendTag(b, protowire.Number(10+rng.IntN(5)), protowire.VarintType)
				b = protowire.AppendVarint(b, rng.Uint64())
			case 1: // unknown fixed field
				b = protowire.AppendTag(b, 99, protowire.Fixed32Type)
				b = protowire.AppendFixed32(b, 7)
			case 2: // a known field of the wrong wire type
				if len(fs) > 0 {
					b = protowire.AppendTag(b, fs[rng.IntN(len(fs))].num, protowire.Fixed64Type)
					b = protowire.AppendFixed64(b, 1)
				}
			case 3: // a group
				b = protowire.AppendTag(b, 20, protowire.StartGroupType)
				b = protowire.AppendTag(b, 1, protowire.VarintType)
				b = protowire.AppendVarint(b, 5)
				b = protowire.AppendTag(b, 20, protowire.EndGroupType)
			}
		}
		for _, i := range rng.Perm(len(fs)) {
			f := fs[i]
			times := 1
			if r := rng.IntN(8); r == 0 {
				times = 0
			} else if r == 1 {
				times = 2
			}
			for range times {
				noise()
				if f.v != nil {
					b = protowire.AppendTag(b, f.num, protowire.BytesType)
					b = protowire.AppendBytes(b, f.v())
				} else {
					b = protowire.AppendTag(b, f.num, protowire.VarintType)
					b = protowire.AppendVarint(b, f.x())
				}
			}
		}
		noise()
		return b
	}
	varint := func(vs ...uint64) func() uint64 { return func() uint64 { return vs[rng.IntN(len(vs))] } }
	bytesOf := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	kvWrite := func() []byte {
		return msg(field{1, func() []byte { return []byte(fmt.Sprintf("k%d", rng.IntN(3))) }, nil},
			field{2, nil, varint(0, 1, 0)}, field{3, func() []byte { return []byte(fmt.Sprintf("v%d", rng.IntN(9))) }, nil})
	}
	kvRWSet := func() []byte {
		return msg(field{1, func() []byte { return msg(field{1, str, nil}) }, nil},
			field{3, kvWrite, nil}, field{3, kvWrite, nil}, field{3, kvWrite, nil},
			field{4, func() []byte {
				return msg(field{1, str, nil}, field{2, func() []byte { return msg(field{1, str, nil}) }, nil})
			}, nil})
	}
	results := func() []byte {
		ns := func() []byte {
			return msg(field{1, str, nil}, field{2, kvRWSet, nil}, field{3, func() []byte { return msg(field{1, str, nil}) }, nil})
		}
		return msg(field{1, nil, varint(0, 1)}, field{2, ns, nil}, field{2, ns, nil})
	}
	event := func() []byte {
		return msg(field{1, str, nil}, field{2, str, nil}, field{3, str, nil}, field{4, bytesOf(`{"x":1}`), nil})
	}
	ca := func() []byte {
		return msg(field{1, results, nil}, field{2, event, nil},
			field{3, func() []byte { return msg(field{1, nil, varint(200)}, field{2, str, nil}) }, nil},
			field{4, func() []byte { return msg(field{1, str, nil}, field{2, str, nil}, field{3, str, nil}) }, nil})
	}
	action := func() []byte {
		prp := func() []byte { return msg(field{1, bytesOf("hash"), nil}, field{2, ca, nil}) }
		endorsed := func() []byte {
			return msg(field{1, prp, nil}, field{2, func() []byte { return msg(field{1, bytesOf("cert"), nil}) }, nil})
		}
		cap := func() []byte { return msg(field{1, bytesOf("proposal"), nil}, field{2, endorsed, nil}) }
		return msg(field{1, bytesOf("sh"), nil}, field{2, cap, nil})
	}
	tx := func() []byte { return msg(field{1, action, nil}, field{1, action, nil}) }
	chHeader := func() []byte {
		return msg(field{1, nil, varint(uint64(common.HeaderType_ENDORSER_TRANSACTION), uint64(common.HeaderType_CONFIG), 1<<32+3)},
			field{5, func() []byte { return []byte(fmt.Sprintf("tx%d", rng.IntN(9))) }, nil},
			field{4, str, nil}, field{3, func() []byte { return msg(field{1, nil, varint(1, 2)}) }, nil})
	}
	header := func() []byte { return msg(field{1, chHeader, nil}, field{2, bytesOf("sig header"), nil}) }
	payload := func() []byte { return msg(field{1, header, nil}, field{2, tx, nil}) }
	return msg(field{1, payload, nil}, field{2, bytesOf("signature"), nil})
}

// FuzzParseEnvelope compares the wire walk with proto.Unmarshal on
// transactions the fuzzer makes from the recorded ones.
func FuzzParseEnvelope(f *testing.F) {
	envs := recordedEnvelopes(f)
	for _, raw := range envs[:40] {
		f.Add(raw)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		f.Add(randomEnvelope(rng))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if d := compareEnvelope(raw, "trustline"); d != "" {
			t.Fatal(d)
		}
	})
}

// TestParseBlockDifferential parses every recorded block with ParseBlock
// and with the proto path: the same transactions, validity, ids and events.
func TestParseBlockDifferential(t *testing.T) {
	payloads := supplyPayloads(t, 300)
	for _, c := range []recordedChain{recordChain(t, completeTxs(payloads), 20), chainOf(t, payloads, 7, func(i int) bool { return i%3 != 0 })} {
		for _, raw := range c.blocks {
			got := parseRecorded(t, raw)
			var b common.Block
			if err := proto.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			if len(got.Txs) != len(b.Data.Data) {
				t.Fatalf("block %d: %d transactions, want %d", got.Number, len(got.Txs), len(b.Data.Data))
			}
			filter := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
			for i, env := range b.Data.Data {
				id, ev, err := protoParseEnvelope(env, "trustline")
				tx := got.Txs[i]
				if tx.ID != id || tx.Valid != (filter[i] == 0) || (tx.Err == nil) != (err == nil) || (tx.Event == nil) != (ev == nil) {
					t.Fatalf("block %d tx %d: %+v, want id %q event %v err %v", got.Number, i, tx, id, ev != nil, err)
				}
				if ev != nil && (tx.Event.Name != ev.Name || !bytes.Equal(tx.Event.Payload, ev.Payload) || !bytes.Equal(tx.Event.Results, ev.Results)) {
					t.Fatalf("block %d tx %d: event differs", got.Number, i)
				}
			}
		}
	}
}
