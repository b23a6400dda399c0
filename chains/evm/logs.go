package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
)

// TransferTopic is keccak256("Transfer(address,address,uint256)"), the
// topic0 of ERC-20 (and ERC-721) Transfer events.
var TransferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

// ErrReorg means the chain changed under a fetch: a log's block hash is not
// the hash of the canonical block at that height. Fetching again later (or
// below the confirmation depth) gives a consistent answer.
var ErrReorg = errors.New("chain reorganised during the fetch")

// Log is a JSON-RPC log object.
type Log struct {
	Address     common.Address `json:"address"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	TxHash      common.Hash    `json:"transactionHash"`
	TxIndex     hexutil.Uint64 `json:"transactionIndex"`
	Index       hexutil.Uint64 `json:"logIndex"`
	Removed     bool           `json:"removed"`
}

// DecodeTransfer reads an ERC-20 Transfer log on chain. ok is false for any
// other log: another event, an ERC-721 Transfer (a fourth topic instead of
// data), a malformed one, or one removed by a reorg.
func DecodeTransfer(chain chains.Chain, l Log) (t chains.Transfer, ok bool) {
	if l.Removed || len(l.Topics) != 3 || l.Topics[0] != TransferTopic || len(l.Data) != 32 {
		return chains.Transfer{}, false
	}
	if l.Index > hexutil.Uint64(^uint32(0)) {
		return chains.Transfer{}, false
	}
	amount, err := chains.AmountFromBig(new(big.Int).SetBytes(l.Data))
	if err != nil {
		return chains.Transfer{}, false
	}
	return chains.Transfer{
		Chain:    chain,
		Tx:       chains.TxHash(l.TxHash),
		Position: uint32(l.Index),
		Block:    uint64(l.BlockNumber),
		From:     topicAddress(l.Topics[1]),
		To:       topicAddress(l.Topics[2]),
		Asset:    chains.AssetID{Chain: chain, Contract: chains.NewAddress(chains.FamilyEVM, l.Address)},
		Amount:   amount,
	}, true
}

func topicAddress(h common.Hash) chains.Address {
	var b [20]byte
	copy(b[:], h[12:])
	return chains.NewAddress(chains.FamilyEVM, b)
}

func addressTopic(a chains.Address) common.Hash {
	b := a.Bytes()
	return common.BytesToHash(b[:])
}

// Transfers returns every transfer of q.Asset in which q.Address is the
// sender or the receiver in [q.From, q.To] (clamped to the head), in
// canonical order with block times set. Token transfers come from
// eth_getLogs; native ones from call traces (see the package doc for the
// cost).
func (s *Source) Transfers(ctx context.Context, q chains.Query) (_ []chains.Transfer, err error) {
	if err := s.check(ctx, q.Chain); err != nil {
		return nil, err
	}
	if q.Asset.Chain != q.Chain {
		return nil, fmt.Errorf("asset %s is not on %s", q.Asset, q.Chain)
	}
	head, err := s.Head(ctx, q.Chain)
	if err != nil {
		return nil, err
	}
	to := min(q.To, head)
	if q.From > to {
		return nil, nil
	}
	defer func() {
		if err == nil {
			s.queries.Add(1)
			s.blocks.Add(int64(to - q.From + 1))
		}
	}()
	if q.Asset.IsNative() {
		return s.nativeTransfers(ctx, q.Address, q.From, to)
	}
	var out []chains.Transfer
	// A reorg seen mid-fetch is retried once; a second one is reported.
	for attempt := 0; ; attempt++ {
		out, err = s.tokenTransfers(ctx, q, to)
		if err == nil || !errors.Is(err, ErrReorg) || attempt == 1 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s transfers of %s in blocks %d-%d: %w", q.Asset, q.Address, q.From, to, err)
	}
	return out, nil
}

func (s *Source) tokenTransfers(ctx context.Context, q chains.Query, to uint64) ([]chains.Transfer, error) {
	contract := common.Address(q.Asset.Contract.Bytes())
	me := addressTopic(q.Address)
	var logs []Log
	for _, topics := range [][]any{
		{s.senderTopics(q.Asset.Contract), me}, // sent (and, for a wrapper, wrapped or unwrapped)
		{TransferTopic, nil, me},               // received
	} {
		ls, err := s.getLogs(ctx, contract, topics, q.From, to)
		if err != nil {
			return nil, err
		}
		logs = append(logs, ls...)
	}
	return s.collect(ctx, q.Chain, logs, func(t chains.Transfer) bool {
		return t.Asset == q.Asset && (t.From == q.Address || t.To == q.Address)
	})
}

// collect decodes the Transfer (and wrapper) logs that keep accepts, once
// each (a transfer to oneself matches both the sent and the received filter), checks
// that the logs of one block agree on its hash and that hash is canonical,
// stamps block times and returns them in canonical order.
func (s *Source) collect(ctx context.Context, chain chains.Chain, logs []Log, keep func(chains.Transfer) bool) ([]chains.Transfer, error) {
	seen := make(map[chains.TransferKey]bool, len(logs))
	var out []chains.Transfer
	hashes := make(map[uint64]common.Hash)
	for _, l := range logs {
		t, ok := s.decodeTransfer(chain, l)
		if !ok || !keep(t) || seen[t.Key()] {
			continue
		}
		seen[t.Key()] = true
		if h, ok := hashes[t.Block]; ok && h != l.BlockHash {
			return nil, fmt.Errorf("block %d: logs from two different blocks: %w", t.Block, ErrReorg)
		}
		hashes[t.Block] = l.BlockHash
		out = append(out, t)
	}
	if err := s.stamp(ctx, chain, out, hashes); err != nil {
		return nil, err
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

// stamp sets the block time of every transfer and checks that each block
// hash the logs carry is the canonical one.
func (s *Source) stamp(ctx context.Context, chain chains.Chain, ts []chains.Transfer, hashes map[uint64]common.Hash) error {
	if len(ts) == 0 {
		return nil
	}
	blocks := make([]uint64, 0, len(hashes))
	for b := range hashes {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
	var hs, known []Header
	var missing []uint64
	s.mu.Lock()
	for _, b := range blocks {
		if h, ok := s.headers[b]; ok {
			known = append(known, h)
		} else {
			missing = append(missing, b)
		}
	}
	s.mu.Unlock()
	if len(missing) > 0 {
		var err error
		if hs, err = s.Headers(ctx, chain, missing); err != nil {
			return err
		}
	}
	hs = append(hs, known...)
	byNum := make(map[uint64]Header, len(hs))
	for _, h := range hs {
		if want := hashes[h.Number]; want != (common.Hash{}) && want != h.Hash {
			return fmt.Errorf("block %d: log says hash %s, header says %s: %w", h.Number, want.Hex(), h.Hash.Hex(), ErrReorg)
		}
		byNum[h.Number] = h
	}
	for i := range ts {
		ts[i].Time = byNum[ts[i].Block].Time
	}
	s.remember(hs)
	return nil
}

// maxHeaders bounds the header cache; it is emptied when full.
const maxHeaders = 1 << 16

// keepHeaders adds headers to the cache.
func (s *Source) keepHeaders(hs []Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.headers)+len(hs) > maxHeaders {
		clear(s.headers)
	}
	for _, h := range hs {
		s.headers[h.Number] = h
	}
}

// remember keeps the hashes of headers just fetched with transfers for
// BlockHash.
func (s *Source) remember(hs []Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recent) > 4096 {
		clear(s.recent)
	}
	for _, h := range hs {
		s.recent[h.Number] = h.Hash
	}
}

// getLogs fetches the logs of contract matching topics in [from, to],
// splitting the range as the node demands.
func (s *Source) getLogs(ctx context.Context, contract common.Address, topics []any, from, to uint64) ([]Log, error) {
	var out []Log
	err := s.ranged(ctx, from, to, func(lo, hi uint64) error {
		var ls []Log
		filter := map[string]any{
			"address":   contract,
			"topics":    topics,
			"fromBlock": hexutil.Uint64(lo),
			"toBlock":   hexutil.Uint64(hi),
		}
		if err := s.call(ctx, &ls, "eth_getLogs", filter); err != nil {
			return err
		}
		for _, l := range ls {
			if uint64(l.BlockNumber) < lo || uint64(l.BlockNumber) > hi {
				return fmt.Errorf("logs %d-%d: node returned a log of block %d", lo, hi, uint64(l.BlockNumber))
			}
		}
		out = append(out, ls...)
		return nil
	})
	return out, err
}
