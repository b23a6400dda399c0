package explorer

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
)

// transferTopic is keccak256("Transfer(address,address,uint256)").
var transferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

type rpcLog struct {
	Address common.Address `json:"address"`
	Topics  []common.Hash  `json:"topics"`
	Data    hexutil.Bytes  `json:"data"`
	Index   hexutil.Uint64 `json:"logIndex"`
	Removed bool           `json:"removed"`
}

type rpcReceipt struct {
	TxIndex         hexutil.Uint64  `json:"transactionIndex"`
	BlockNumber     hexutil.Uint64  `json:"blockNumber"`
	Status          *hexutil.Uint64 `json:"status"`
	ContractAddress *common.Address `json:"contractAddress"`
	Logs            []rpcLog        `json:"logs"`
}

type rpcTx struct {
	From             common.Address  `json:"from"`
	To               *common.Address `json:"to"`
	Value            hexutil.Big     `json:"value"`
	TransactionIndex hexutil.Uint64  `json:"transactionIndex"`
	BlockNumber      *hexutil.Uint64 `json:"blockNumber"`
}

// TxTransfers returns every transfer transaction tx moved, in canonical
// order. With Options.Positions it asks that source. Otherwise it reads the
// explorer: ERC-20 Transfer logs from eth_getTransactionReceipt (3 topics
// and 32 bytes of data; ERC-721 logs are skipped), the transaction's own
// value from eth_getTransactionByHash, internal transfers from
// txlistinternal by txhash, and the block time. Positions follow
// PositionRule: exact log indices (TxIndex 0) under "receipt"; under
// "explorer order", token transfers get transactionIndex×10,000 + their
// rank among the transaction's transfers of the same token, which is what
// Transfers gives when every one of them involves the address read.
// Internal transfers whose row has no traceId are numbered as top-level
// calls in the explorer's order. ErrNotFound when the explorer does not know
// tx.
func (s *Source) TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	if err := s.check(chain); err != nil {
		return nil, err
	}
	if s.positions != nil {
		return s.positions.TxTransfers(ctx, chain, tx)
	}
	ts, err := s.receiptTransfers(ctx, tx)
	if err != nil {
		return nil, err
	}
	if s.exact {
		return ts, nil
	}
	out := slices.Clone(ts)
	rank := map[chains.AssetID]uint32{}
	for i := range out {
		if out[i].Asset.IsNative() {
			continue
		}
		out[i].Position = out[i].TxIndex*10000 + rank[out[i].Asset]
		rank[out[i].Asset]++
	}
	slices.SortStableFunc(out, chains.Compare)
	return out, nil
}

// receiptTransfers reads tx's transfers from the explorer with exact
// positions: log indices for tokens (TxIndex 0), 0 for the own value and
// traceId codes for internal transfers (TxIndex the transaction's index).
// Token transfers keep the transaction index in TxIndex until the caller
// sets positions; see TxTransfers.
func (s *Source) receiptTransfers(ctx context.Context, tx chains.TxHash) ([]chains.Transfer, error) {
	var rc rpcReceipt
	ok, err := s.proxy(ctx, "eth_getTransactionReceipt", url.Values{"txhash": {tx.String()}}, &rc)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", tx, err)
	}
	if !ok {
		return nil, fmt.Errorf("transaction %s: %w", tx, chains.ErrNotFound)
	}
	t, err := s.tx(ctx, tx)
	if err != nil {
		return nil, err
	}
	block := uint64(rc.BlockNumber)
	when, err := s.BlockTime(ctx, s.chain, block)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", tx, err)
	}
	if uint64(rc.TxIndex) > maxTxIndex {
		return nil, fmt.Errorf("transaction %s: index %d out of range", tx, uint64(rc.TxIndex))
	}
	idx := uint32(rc.TxIndex)
	s.rememberIndex(map[chains.TxHash]uint32{tx: idx})
	evm := func(a common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, a) }
	base := chains.Transfer{Chain: s.chain, Tx: tx, Block: block, Time: when, Asset: chains.NativeAsset(s.chain)}
	var out []chains.Transfer
	for _, l := range rc.Logs {
		if l.Removed || len(l.Topics) != 3 || l.Topics[0] != transferTopic || len(l.Data) != 32 || uint64(l.Index) > 1<<32-1 {
			continue
		}
		amt, _ := chains.AmountFromBig(new(big.Int).SetBytes(l.Data))
		tr := base
		tr.Position = uint32(l.Index)
		tr.From = evm(common.BytesToAddress(l.Topics[1][12:]))
		tr.To = evm(common.BytesToAddress(l.Topics[2][12:]))
		tr.Asset = chains.AssetID{Chain: s.chain, Contract: evm(l.Address)}
		tr.Amount = amt
		if !s.exact {
			tr.TxIndex = idx
		}
		out = append(out, tr)
	}
	failed := rc.Status != nil && *rc.Status == 0
	if failed {
		return out, nil // a failed transaction moved nothing; its logs are empty
	}
	to := t.To
	if to == nil {
		to = rc.ContractAddress
	}
	if to != nil {
		amt, err := chains.AmountFromBig(t.Value.ToInt())
		if err != nil {
			return nil, fmt.Errorf("transaction %s: value: %w", tx, err)
		}
		tr := base
		tr.TxIndex, tr.From, tr.To, tr.Amount = idx, evm(t.From), evm(*to), amt
		out = append(out, tr)
	}
	internal, err := s.internalOf(ctx, tx, block, when.Unix())
	if err != nil {
		return nil, err
	}
	for _, tr := range internal {
		tr.TxIndex, tr.Block, tr.Time = idx, block, when
		out = append(out, tr)
	}
	slices.SortStableFunc(out, chains.Compare)
	return out, nil
}

// internalOf reads a transaction's internal transfers (txlistinternal by
// txhash), failed calls skipped.
func (s *Source) internalOf(ctx context.Context, tx chains.TxHash, block uint64, unix int64) ([]chains.Transfer, error) {
	q := url.Values{"module": {"account"}, "action": {"txlistinternal"}, "txhash": {tx.String()}}
	what := "txlistinternal of " + tx.String()
	res, err := s.call(ctx, q, what)
	if err != nil {
		return nil, err
	}
	rows, err := parseRows(res)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []chains.Transfer
	for i, r := range rows {
		r.Hash = field(tx.String())
		if r.BlockNumber == "" {
			r.BlockNumber = field(strconv.FormatUint(block, 10))
		}
		if r.TimeStamp == "" {
			r.TimeStamp = field(strconv.FormatInt(unix, 10))
		}
		if r.TraceID == "" {
			r.TraceID = field(strconv.Itoa(i))
		}
		d, err := decodeRow(s.chain, kindInternal, r)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", what, i, err)
		}
		if d.skip {
			continue
		}
		d.t.Position = tracePosition(d.traceID)
		out = append(out, d.t)
	}
	return out, nil
}

// tx reads a mined transaction; ErrNotFound when unknown or pending.
func (s *Source) tx(ctx context.Context, tx chains.TxHash) (rpcTx, error) {
	var t rpcTx
	ok, err := s.proxy(ctx, "eth_getTransactionByHash", url.Values{"txhash": {tx.String()}}, &t)
	if err != nil {
		return rpcTx{}, fmt.Errorf("transaction %s: %w", tx, err)
	}
	if !ok || t.BlockNumber == nil {
		return rpcTx{}, fmt.Errorf("transaction %s: %w", tx, chains.ErrNotFound)
	}
	return t, nil
}
