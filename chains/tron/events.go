package tron

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"freezetrace/chains"
)

// wtrx is mainnet's wrapped TRX (TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR), the
// wrapper SunSwap V2 routes TRX through, and the default of
// Options.Wrappers.
var wtrx = chains.MustParseAddress("TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR")

// The topic0 of the venue events TxEvents decodes: keccak256 of each
// signature (events_test.go recomputes them).
//
// Swap is the Uniswap V2 pair's, which SunSwap V2 keeps unchanged
// (sunswapteam/sunswap2.0-contracts, contracts/SunswapV2Pair.sol).
// TokenPurchase and TrxPurchase are SunSwap V1's, the JustSwap exchange's
// Uniswap V1 events with ETH renamed TRX, every argument indexed
// (justfoundation/justswap-v1-contracts, justswap/JustswapExchange.sol:
// "event TokenPurchase(address indexed buyer, uint256 indexed trx_sold,
// uint256 indexed tokens_bought)" and "event TrxPurchase(address indexed
// buyer, uint256 indexed tokens_sold, uint256 indexed trx_bought)").
// Deposit and Withdrawal are WETH9's, which WTRX copies ("event
// Deposit(address indexed dst, uint sad)", "event Withdrawal(address
// indexed src, uint sad)").
const (
	swapV2Topic        = "d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822" // Swap(address,uint256,uint256,uint256,uint256,address)
	tokenPurchaseTopic = "cd60aa75dea3072fbc07ae6d7d856b5dc5f4eee88854f5b4abf7b680ef8bc50f" // TokenPurchase(address,uint256,uint256)
	trxPurchaseTopic   = "dad9ec5c9b9c82bf6927bf0b64293dcdd1f82c92793aef3c5f26d7b93a4a5306" // TrxPurchase(address,uint256,uint256)
	depositTopic       = "e1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c" // Deposit(address,uint256)
	withdrawalTopic    = "7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65" // Withdrawal(address,uint256)
)

// maxLogs bounds the log of one receipt that TxEvents and the decoders
// read: a TRON transaction's energy limit keeps real logs far below it.
const maxLogs = 1 << 16

// eventShape is what a log must look like to be read as an event: its
// kind, how many topics it has (topic0 included) and how many bytes of
// data. A log with the right topic0 and another shape is some other
// contract's event of the same name and is skipped.
type eventShape struct {
	kind   chains.EventKind
	topics int
	data   int
	// wrapper says the event counts only when a known native-coin wrapper
	// emitted it: Deposit and Withdrawal are common names.
	wrapper bool
}

// eventShapes maps topic0 to the event it names.
var eventShapes = map[string]eventShape{
	swapV2Topic:        {kind: chains.EventUniswapV2Swap, topics: 3, data: 4 * 32},
	tokenPurchaseTopic: {kind: chains.EventSunSwapV1, topics: 4, data: 0},
	trxPurchaseTopic:   {kind: chains.EventSunSwapV1, topics: 4, data: 0},
	depositTopic:       {kind: chains.EventWrap, topics: 2, data: 32, wrapper: true},
	withdrawalTopic:    {kind: chains.EventUnwrap, topics: 2, data: 32, wrapper: true},
}

// wrapperSet is the set of Options.Wrappers: WTRX when the option is nil.
func wrapperSet(ws []chains.Address) map[chains.Address]bool {
	if ws == nil {
		ws = []chains.Address{wtrx}
	}
	out := make(map[chains.Address]bool, len(ws))
	for _, w := range ws {
		out[w.In(chains.FamilyTRON)] = true
	}
	return out
}

// TxEvents returns the venue events of transaction tx that this package
// recognises, in log order: SunSwap V2 (and other Uniswap V2-style) Swap,
// SunSwap V1 TokenPurchase and TrxPurchase, and the Deposit and Withdrawal
// of the wrappers in Options.Wrappers. Position is the event's index in
// the receipt's log, as for TRC-20 transfers. It reads the receipt
// (/wallet/gettransactioninfobyid) TxTransfers reads, and shares its cache:
// the trace engine asks both about the same transaction. An empty slice
// when tx emitted none or failed; ErrNotFound when the node does not know
// tx.
func (s *Source) TxEvents(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	if err := checkChain(chain); err != nil {
		return nil, err
	}
	info, err := s.txInfo(ctx, tx)
	if err != nil {
		return nil, err
	}
	return info.events(tx, s.wrappers)
}

// events decodes the venue events of a receipt; wrappers are the contracts
// whose Deposit and Withdrawal count. A log that is not one of them is
// skipped; a malformed log of a known event's shape is an error.
func (r *txInfoResp) events(tx chains.TxHash, wrappers map[chains.Address]bool) ([]chains.TxEvent, error) {
	out := []chains.TxEvent{}
	if r.failed() {
		return out, nil
	}
	if len(r.Log) > maxLogs {
		return nil, fmt.Errorf("tx %s: %d logs, more than the %d read", chains.Tron.FormatTx(tx), len(r.Log), maxLogs)
	}
	for i, l := range r.Log {
		if len(l.Topics) == 0 {
			continue
		}
		shape, ok := eventShapes[strings.ToLower(strip0x(l.Topics[0]))]
		if !ok || len(l.Topics) != shape.topics || !dataLen(l.Data, shape.data) {
			continue
		}
		contract, err := logAddress(l.Address)
		if err != nil {
			return nil, fmt.Errorf("tx %s log %d: contract: %w", chains.Tron.FormatTx(tx), i, err)
		}
		if shape.wrapper && !wrappers[contract] {
			continue
		}
		out = append(out, chains.TxEvent{
			Chain:    chains.Tron,
			Tx:       tx,
			Block:    r.BlockNumber,
			Position: uint32(i),
			Contract: contract,
			Kind:     shape.kind,
		})
	}
	return out, nil
}

// dataLen reports whether a log's hex data decodes to n bytes.
func dataLen(data string, n int) bool {
	h := strip0x(data)
	if len(h) != 2*n {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
