package evm

import (
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"freezetrace/chains"
)

type rpcReceipt struct {
	TxHash      common.Hash    `json:"transactionHash"`
	TxIndex     hexutil.Uint64 `json:"transactionIndex"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	Status      hexutil.Uint64 `json:"status"`
	Logs        []Log          `json:"logs"`
}

type rpcTx struct {
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value hexutil.Big     `json:"value"`
}

// TxTransfers returns every transfer transaction tx made: its ERC-20
// Transfer logs from the receipt (and the Deposit and Withdrawal logs of
// native-coin wrappers, see evmlog.DecodeWrap), and its native transfers, internal ones
// included, from a call trace. Without a trace API the transaction's own
// value is exact only when it went to an account without code; for a call
// to a contract the answer is ErrUnsupported rather than a partial list.
func (s *Source) TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	if err := s.check(ctx, chain); err != nil {
		return nil, err
	}
	h := common.Hash(tx)
	rc, t, err := s.receiptAndTx(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", tx, err)
	}
	var out []chains.Transfer
	for _, l := range rc.Logs {
		if tr, ok := s.decodeTransfer(chain, l); ok {
			out = append(out, tr)
		}
	}
	native, err := s.txNative(ctx, rc, t)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", tx, err)
	}
	out = append(out, native...)
	blk := uint64(rc.BlockNumber)
	if err := s.stamp(ctx, chain, out, map[uint64]common.Hash{blk: rc.BlockHash}); err != nil {
		return nil, fmt.Errorf("transaction %s: %w", tx, err)
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

// receiptAndTx reads h's receipt and transaction in one batch, or only
// the transaction when the receipt cache holds the receipt (TxEvents read
// it just before). Either unknown to the node is ErrNotFound.
func (s *Source) receiptAndTx(ctx context.Context, h common.Hash) (*rpcReceipt, *rpcTx, error) {
	var t *rpcTx
	rc, cached := s.cachedReceipt(h)
	var elems []rpc.BatchElem
	if !cached {
		elems = append(elems, rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &rc})
	}
	elems = append(elems, rpc.BatchElem{Method: "eth_getTransactionByHash", Args: []any{h}, Result: &t})
	if err := s.batch(ctx, elems); err != nil {
		return nil, nil, err
	}
	if rc == nil || t == nil {
		return nil, nil, chains.ErrNotFound
	}
	if !cached {
		s.keepReceipt(h, rc)
	}
	return rc, t, nil
}

func (s *Source) txNative(ctx context.Context, rc *rpcReceipt, t *rpcTx) ([]chains.Transfer, error) {
	idx := uint32(rc.TxIndex)
	method, err := s.nativeMethod(ctx, uint64(rc.BlockNumber))
	if err != nil {
		// No traces: exact only for a plain payment to an account without code.
		if t.To == nil {
			return nil, fmt.Errorf("contract creation: %w", err)
		}
		code, cerr := s.IsContract(ctx, s.chain, chains.NewAddress(chains.FamilyEVM, *t.To))
		if cerr != nil {
			return nil, cerr
		}
		if code {
			return nil, fmt.Errorf("call to a contract: %w", err)
		}
		if rc.Status != 1 || t.Value.ToInt().Sign() == 0 {
			return nil, nil
		}
		amt, aerr := chains.AmountFromBig(t.Value.ToInt())
		if aerr != nil {
			return nil, aerr
		}
		return []chains.Transfer{{
			Chain: s.chain, Tx: chains.TxHash(rc.TxHash), TxIndex: idx, Block: uint64(rc.BlockNumber),
			From: chains.NewAddress(chains.FamilyEVM, t.From), To: chains.NewAddress(chains.FamilyEVM, *t.To),
			Asset: chains.NativeAsset(s.chain), Amount: amt,
		}}, nil
	}
	var out []chains.Transfer
	if method == "trace" {
		var ts []ParityTrace
		if err := s.call(ctx, &ts, "trace_transaction", rc.TxHash); err != nil {
			return nil, err
		}
		if out, err = ParityTransfers(s.chain, ts); err != nil {
			return nil, err
		}
	} else {
		var root CallFrame
		if err := s.call(ctx, &root, "debug_traceTransaction", rc.TxHash, callTracer); err != nil {
			return nil, err
		}
		out = CallTransfers(s.chain, idx, root)
	}
	for i := range out {
		out[i].Tx, out[i].Block, out[i].TxIndex = chains.TxHash(rc.TxHash), uint64(rc.BlockNumber), idx
	}
	return out, nil
}

// TokenTransfersOf returns the ERC-20 Transfer logs of each transaction,
// decoded with their log indices, from their receipts alone (no call
// trace, no block time), asking for many receipts in each JSON-RPC batch.
// It is what a source without log indices (an explorer) needs to place its
// token transfers exactly. A transaction the node does not know is an
// ErrNotFound error.
func (s *Source) TokenTransfersOf(ctx context.Context, chain chains.Chain, txs []chains.TxHash) (map[chains.TxHash][]chains.Transfer, error) {
	if err := s.check(ctx, chain); err != nil {
		return nil, err
	}
	out := make(map[chains.TxHash][]chains.Transfer, len(txs))
	rcs := make([]*rpcReceipt, len(txs))
	elems := make([]rpc.BatchElem, len(txs))
	for i, tx := range txs {
		elems[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{common.Hash(tx)}, Result: &rcs[i]}
	}
	if err := s.batch(ctx, elems); err != nil {
		return nil, fmt.Errorf("receipts: %w", err)
	}
	for i, rc := range rcs {
		if rc == nil {
			return nil, fmt.Errorf("transaction %s: %w", txs[i], chains.ErrNotFound)
		}
		ts := []chains.Transfer{}
		for _, l := range rc.Logs {
			if tr, ok := DecodeTransfer(chain, l); ok {
				ts = append(ts, tr)
			}
		}
		out[txs[i]] = ts
	}
	return out, nil
}
