package explorer

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
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
	TxHash          *common.Hash    `json:"transactionHash"`
	TxIndex         hexutil.Uint64  `json:"transactionIndex"`
	BlockNumber     *hexutil.Uint64 `json:"blockNumber"` // nil while pending
	Status          *hexutil.Uint64 `json:"status"`
	ContractAddress *common.Address `json:"contractAddress"`
	Logs            []rpcLog        `json:"logs"`
}

// block is the receipt's block number, 0 when it has none.
func (rc rpcReceipt) block() uint64 {
	if rc.BlockNumber == nil {
		return 0
	}
	return uint64(*rc.BlockNumber)
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
// and 32 bytes of data; ERC-721 logs are skipped), the Deposit and
// Withdrawal logs of the native-coin wrappers (Options.Wrappers, see
// evmlog.DecodeWrap) as transfers of the wrapper's token, the
// transaction's own value from eth_getTransactionByHash, internal
// transfers from txlistinternal by txhash, and the block time. The receipt
// is cached for TxEvents. Positions follow PositionRule: exact log
// indices (TxIndex 0) under "receipt"; under "explorer order", token
// transfers get transactionIndex×10,000 + their rank among the
// transaction's transfers of the same token, which is what Transfers gives
// when every one of them involves the address read, and a wrapper's
// Deposit and Withdrawal legs, which no tokentx row lists, rank after its
// token's Transfer logs, so that those keep the positions Transfers gives.
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
	l, err := s.receiptTransfers(ctx, tx)
	if err != nil {
		return nil, err
	}
	if s.exact {
		return l.all(), nil
	}
	rank := map[chains.AssetID]uint32{}
	out := slices.Concat(explorerOrder(l.tokens, rank), explorerOrder(l.wraps, rank), l.native)
	slices.SortStableFunc(out, chains.Compare)
	return out, nil
}

// explorerOrder gives token transfers in log order the positions of the
// explorer-order rule: TxIndex×10,000 + rank, the rank counted per asset
// in rank, which it advances.
func explorerOrder(ts []chains.Transfer, rank map[chains.AssetID]uint32) []chains.Transfer {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Position = out[i].TxIndex*10000 + rank[out[i].Asset]
		rank[out[i].Asset]++
	}
	return out
}

// txLegs are a transaction's transfers as receiptTransfers reads them.
type txLegs struct {
	tokens []chains.Transfer // ERC-20 Transfer logs, in log order
	wraps  []chains.Transfer // wrapper Deposit and Withdrawal logs, in log order
	native []chains.Transfer // the own value and internal transfers
}

// all is every leg, in canonical order.
func (l txLegs) all() []chains.Transfer {
	out := slices.Concat(l.tokens, l.wraps, l.native)
	slices.SortStableFunc(out, chains.Compare)
	return out
}

// receiptTransfers reads tx's transfers from the explorer with exact
// positions: log indices for tokens and wraps (TxIndex 0), 0 for the own
// value and traceId codes for internal transfers (TxIndex the
// transaction's index). Token and wrap legs keep the transaction index in
// TxIndex until the caller sets positions; see TxTransfers.
func (s *Source) receiptTransfers(ctx context.Context, tx chains.TxHash) (txLegs, error) {
	rc, err := s.receipt(ctx, tx)
	if err != nil {
		return txLegs{}, err
	}
	t, err := s.tx(ctx, tx)
	if err != nil {
		return txLegs{}, err
	}
	block := rc.block()
	when, err := s.BlockTime(ctx, s.chain, block)
	if err != nil {
		return txLegs{}, fmt.Errorf("transaction %s: %w", tx, err)
	}
	if uint64(rc.TxIndex) > maxTxIndex {
		return txLegs{}, fmt.Errorf("transaction %s: index %d out of range", tx, uint64(rc.TxIndex))
	}
	idx := uint32(rc.TxIndex)
	s.rememberIndex(map[chains.TxHash]uint32{tx: idx})
	var legs txLegs
	for _, l := range rc.decodedLogs(tx) {
		tr, wrap, ok := s.logTransfer(l)
		if !ok {
			continue
		}
		tr.Time = when
		if !s.exact {
			tr.TxIndex = idx
		}
		if wrap {
			legs.wraps = append(legs.wraps, tr)
		} else {
			legs.tokens = append(legs.tokens, tr)
		}
	}
	slices.SortStableFunc(legs.tokens, chains.Compare)
	slices.SortStableFunc(legs.wraps, chains.Compare)
	if rc.reverted() {
		return legs, nil // a failed transaction moved nothing; its logs are empty
	}
	legs.native, err = s.nativeLegs(ctx, tx, rc, t, block, when)
	if err != nil {
		return txLegs{}, err
	}
	return legs, nil
}

// logTransfer reads a token transfer from l: an ERC-20 Transfer (3 topics,
// 32 bytes of data), or, with wrap true, a Deposit or Withdrawal of one of
// the source's wrappers.
func (s *Source) logTransfer(l evmlog.Log) (t chains.Transfer, wrap, ok bool) {
	if l.Removed || len(l.Topics) != 3 || l.Topics[0] != transferTopic || len(l.Data) != 32 || l.Index > math.MaxUint32 {
		t, ok = evmlog.DecodeWrap(s.chain, s.wrappers, l)
		return t, ok, ok
	}
	amt, _ := chains.AmountFromBig(new(big.Int).SetBytes(l.Data))
	evm := func(a common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, a) }
	return chains.Transfer{
		Chain: s.chain, Tx: l.Tx, Block: l.Block, Position: uint32(l.Index),
		From: evm(common.BytesToAddress(l.Topics[1][12:])), To: evm(common.BytesToAddress(l.Topics[2][12:])),
		Asset: chains.AssetID{Chain: s.chain, Contract: evm(l.Address)}, Amount: amt,
	}, false, true
}

// nativeLegs are tx's own value (to its recipient, or to the contract it
// created) and its internal transfers, at the transaction's index.
func (s *Source) nativeLegs(ctx context.Context, tx chains.TxHash, rc rpcReceipt, t rpcTx, block uint64, when time.Time) ([]chains.Transfer, error) {
	idx := uint32(rc.TxIndex)
	base := chains.Transfer{Chain: s.chain, Tx: tx, Block: block, Time: when, TxIndex: idx, Asset: chains.NativeAsset(s.chain)}
	var out []chains.Transfer
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
		tr.From, tr.To, tr.Amount = chains.NewAddress(chains.FamilyEVM, t.From), chains.NewAddress(chains.FamilyEVM, *to), amt
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
