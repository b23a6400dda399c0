package explorer

import (
	"context"
	"fmt"
	"net/url"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

// receiptCacheLimit bounds the receipts kept (a receipt carries every log
// of its transaction); a full cache starts again empty. TxTransfers and
// TxEvents of one transaction come close together in a trace, so a small
// cache is enough for them to share one request.
const receiptCacheLimit = 4096

// TxEvents returns the venue events of transaction tx (swaps, wraps and
// unwraps of the source's wrappers, bridge deposits: see
// evmlog.DecodeEvents) from the explorer's eth_getTransactionReceipt, in
// log order, with log indices as positions: an empty slice for a reverted
// transaction, ErrNotFound for one the explorer does not know. The receipt
// is the one TxTransfers reads, cached, so the two cost one receipt
// request between them. Notes on skipped or cut logs are dropped: the
// interface has no place for them.
func (s *Source) TxEvents(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	if err := s.check(chain); err != nil {
		return nil, err
	}
	rc, err := s.receipt(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("events of %w", err)
	}
	if rc.reverted() {
		return []chains.TxEvent{}, nil
	}
	events, _ := evmlog.DecodeEvents(s.chain, s.wrappers, rc.decodedLogs(tx))
	return events, nil
}

// receipt returns tx's receipt (eth_getTransactionReceipt), from memory when
// an earlier call read it. ErrNotFound when the explorer does not know tx
// or it is not mined yet; an error when the explorer answers the receipt
// of another transaction. Errors start with "transaction" and tx.
func (s *Source) receipt(ctx context.Context, tx chains.TxHash) (rpcReceipt, error) {
	s.mu.Lock()
	rc, ok := s.rawReceipts[tx]
	s.mu.Unlock()
	if ok {
		return rc, nil
	}
	ok, err := s.proxy(ctx, "eth_getTransactionReceipt", url.Values{"txhash": {tx.String()}}, &rc)
	if err != nil {
		return rpcReceipt{}, fmt.Errorf("transaction %s: %w", tx, err)
	}
	if !ok || rc.BlockNumber == nil {
		return rpcReceipt{}, fmt.Errorf("transaction %s: %w", tx, chains.ErrNotFound)
	}
	if rc.TxHash != nil && chains.TxHash(*rc.TxHash) != tx {
		return rpcReceipt{}, fmt.Errorf("transaction %s: the explorer answered the receipt of %s", tx, rc.TxHash.Hex())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rawReceipts) >= receiptCacheLimit {
		clear(s.rawReceipts)
	}
	s.rawReceipts[tx] = rc
	return rc, nil
}

// reverted reports whether the receipt says its transaction failed; a
// receipt without status (before Byzantium) is taken as a success.
func (rc rpcReceipt) reverted() bool { return rc.Status != nil && *rc.Status == 0 }

// decodedLogs are the receipt's logs, of transaction tx, in the terms of
// package evmlog.
func (rc rpcReceipt) decodedLogs(tx chains.TxHash) []evmlog.Log {
	out := make([]evmlog.Log, len(rc.Logs))
	for i, l := range rc.Logs {
		out[i] = evmlog.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Tx: tx,
			Block: rc.block(), Index: uint64(l.Index), Removed: l.Removed}
	}
	return out
}
