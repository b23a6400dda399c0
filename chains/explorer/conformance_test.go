package explorer

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/internal/sourcetest"
)

// confMove is one value movement of a conformance transaction: a token
// transfer (its log) or an internal transfer (its call path).
type confMove struct {
	from, to string
	value    uint64
	token    bool
	traceID  string
}

// confTx is one transaction the fake explorer holds for the conformance
// suite: its own value from from to to, and what else it moved.
type confTx struct {
	n        uint64
	block    uint64
	index    uint32
	from, to string
	value    uint64
	moves    []confMove
	swap     bool // the receipt also holds a Uniswap V2 Swap of confPair, after the moves
}

var (
	confA, confB, confC, confD = addr(0xa1), addr(0xb2), addr(0xc3), addr(0xd4)
	confSplitter               = addr(0x5c0de) // a contract paying out in internal calls
	confPair                   = addr(0x9a12)  // a Uniswap V2 pair
)

// confTxs hold two blocks of several transactions, zero-value token and
// native transfers, a self-transfer and internal transfers, one token
// transfer a transaction (so that explorer-order positions are the same
// from every address's history), and one swap event.
func confTxs() []confTx {
	tok := func(from, to string, v uint64) confMove { return confMove{from: from, to: to, value: v, token: true} }
	return []confTx{
		{n: 1, block: 20_000_010, index: 0, from: confA, to: usdtHex, moves: []confMove{tok(confA, confB, 5_000_000)}},
		{n: 2, block: 20_000_010, index: 1, from: confB, to: usdtHex, moves: []confMove{tok(confB, confC, 2_000_000)}},
		{n: 3, block: 20_000_010, index: 2, from: confC, to: confA, value: 7},
		{n: 4, block: 20_000_013, index: 0, from: confD, to: usdtHex, moves: []confMove{tok(confD, confA, 0)}},
		{n: 5, block: 20_000_020, index: 3, from: confA, to: confSplitter, value: 100, moves: []confMove{
			{from: confSplitter, to: confB, value: 60, traceID: "0"}, {from: confSplitter, to: confC, value: 40, traceID: "1"}}},
		{n: 6, block: 20_000_021, index: 0, from: confB, to: usdtHex, moves: []confMove{tok(confB, confB, 9)}},
		{n: 7, block: 20_000_030, index: 0, from: confC, to: usdtHex, moves: []confMove{tok(confC, confA, 1_000)}, swap: true},
		{n: 8, block: 20_000_030, index: 1, from: confA, to: confD, value: 0},
	}
}

// confLoad fills the fake with txs and returns the transfers the position
// rule gives them: explorer order, or with exact the receipts' log indices
// (block-wide, TxIndex 0) for tokens.
func confLoad(f *fake, txs []confTx, exact bool) []chains.Transfer {
	var truth []chains.Transfer
	at := func(tx confTx, from, to string, v uint64, asset chains.AssetID, pos uint32) chains.Transfer {
		return chains.Transfer{Chain: chains.Ethereum, Tx: chains.MustParseTxHash(txHash(tx.n)), Position: pos, TxIndex: tx.index,
			Block: tx.block, Time: time.Unix(blockTime(tx.block), 0).UTC(), From: chains.MustParseAddress(from),
			To: chains.MustParseAddress(to), Asset: asset, Amount: chains.NewAmount(v)}
	}
	native := chains.NativeAsset(chains.Ethereum)
	for _, tx := range txs {
		hash, block := txHash(tx.n), strconv.FormatUint(tx.block, 10)
		ts := strconv.FormatInt(blockTime(tx.block), 10)
		f.recs = append(f.recs, rec{action: "txlist", block: tx.block, hash: hash, from: tx.from, to: tx.to, fields: map[string]string{
			"blockNumber": block, "timeStamp": ts, "hash": hash, "from": tx.from, "to": tx.to, "value": strconv.FormatUint(tx.value, 10),
			"contractAddress": "", "isError": "0", "txreceipt_status": "1", "transactionIndex": strconv.Itoa(int(tx.index))}})
		truth = append(truth, at(tx, tx.from, tx.to, tx.value, native, 0))
		ft := &fakeTx{hash: hash, block: tx.block, index: uint64(tx.index), from: tx.from, to: tx.to, value: fmt.Sprintf("0x%x", tx.value), status: "0x1"}
		for i, m := range tx.moves {
			if m.token {
				f.recs = append(f.recs, tokenRow(tx.block, hash, int(tx.index), m.from, m.to, usdtHex, strconv.FormatUint(m.value, 10)))
				ft.logs = append(ft.logs, map[string]any{"address": usdtHex, "topics": []string{transferSig, topic(m.from), topic(m.to)},
					"data": fmt.Sprintf("0x%064x", m.value), "logIndex": fmt.Sprintf("0x%x", confLogIndex(tx, i))})
				t := at(tx, m.from, m.to, m.value, usdt, tx.index*10000)
				if exact {
					t.Position, t.TxIndex = confLogIndex(tx, i), 0
				}
				truth = append(truth, t)
				continue
			}
			f.recs = append(f.recs, rec{action: "txlistinternal", block: tx.block, hash: hash, from: m.from, to: m.to, fields: map[string]string{
				"blockNumber": block, "timeStamp": ts, "hash": hash, "from": m.from, "to": m.to, "value": strconv.FormatUint(m.value, 10),
				"contractAddress": "", "isError": "0", "traceId": m.traceID, "type": "call"}})
			truth = append(truth, at(tx, m.from, m.to, m.value, native, tracePosition(m.traceID)))
		}
		if tx.swap {
			ft.logs = append(ft.logs, swapLog(confPair, uint64(confLogIndex(tx, len(tx.moves))),
				"0x"+word(1)+word(0)+word(0)+word(1), swapV2Sig, topic(tx.from), topic(tx.from)))
		}
		f.txs[hash] = ft
	}
	return truth
}

// confEvents are the events of txs: their swaps.
func confEvents(txs []confTx) []chains.TxEvent {
	var out []chains.TxEvent
	for _, tx := range txs {
		if tx.swap {
			out = append(out, chains.TxEvent{Chain: chains.Ethereum, Tx: chains.MustParseTxHash(txHash(tx.n)), Block: tx.block,
				Position: confLogIndex(tx, len(tx.moves)), Contract: chains.MustParseAddress(confPair), Kind: chains.EventUniswapV2Swap})
		}
	}
	return out
}

// confLogIndex is the block-wide log index of the i-th log of tx.
func confLogIndex(tx confTx, i int) uint32 { return 10*tx.index + uint32(i) }

// TestConformance holds the explorer source, against the fake explorer,
// to the chains.Source contract, under both position rules.
func TestConformance(t *testing.T) {
	t.Run("ExplorerOrder", func(t *testing.T) { conformance(t, false) })
	t.Run("Receipts", func(t *testing.T) { conformance(t, true) })
}

func conformance(t *testing.T, exact bool) {
	truth := confLoad(newFake(t, newClock()), confTxs(), exact)
	build := func(t *testing.T, o Options, breakIt func(*fake)) chains.Source {
		clock := newClock()
		f := newFake(t, clock)
		f.rate = 0
		confLoad(f, confTxs(), exact)
		if breakIt != nil {
			breakIt(f)
		}
		o.Rate, o.ExactPositions = -1, exact
		return newSource(t, f.serve(), clock, o)
	}
	a := chains.MustParseAddress(confA)
	sourcetest.Run(t, sourcetest.Harness{
		Chain: chains.Ethereum, Truth: truth, Events: confEvents(confTxs()), Head: 20_500_000,
		Assets: []chains.Asset{{ID: usdt, Symbol: "USDT", Decimals: 6}},
		New:    func(t *testing.T) chains.Source { return build(t, Options{PageSize: 2}, nil) },
		// Every internal-transactions listing answered with a body cut
		// short: a native history whose own transactions were read, and
		// a transaction whose receipt was, must fail whole.
		Broken: func(t *testing.T) chains.Source {
			return build(t, Options{PageSize: 2, Retries: -1}, func(f *fake) { f.truncate = "txlistinternal" })
		},
		Unsupported: []sourcetest.Question{
			{Name: "Balance", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.Balance(ctx, chains.Ethereum, a, usdt, 20_000_020)
				return err
			}},
			{Name: "TransfersOnAnotherChain", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.Transfers(ctx, chains.Query{Chain: chains.BSC, Address: a, Asset: chains.NativeAsset(chains.BSC), To: chains.Latest})
				return err
			}},
		},
		Capabilities: []string{"BlockFinder", "HeadReader", "PairFinder", "Requester"},
	})
}
