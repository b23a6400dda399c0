package evm

import (
	"context"
	"fmt"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

var _ chains.EventReader = (*Source)(nil)

// decoded is l in the terms of package evmlog.
func (l Log) decoded() evmlog.Log {
	return evmlog.Log{
		Address: l.Address, Topics: l.Topics, Data: l.Data,
		Tx: chains.TxHash(l.TxHash), Block: uint64(l.BlockNumber), Index: uint64(l.Index), Removed: l.Removed,
	}
}

// decodedLogs is logs in the terms of package evmlog.
func decodedLogs(logs []Log) []evmlog.Log {
	out := make([]evmlog.Log, len(logs))
	for i, l := range logs {
		out[i] = l.decoded()
	}
	return out
}

// TxEvents returns the venue events of transaction tx (see
// evmlog.DecodeEvents, with the source's wrappers) from its receipt, one
// eth_getTransactionReceipt call unless the receipt cache holds it (a
// final block's, see receipts.go): an empty slice for a reverted
// transaction, ErrNotFound for one the node does not know. Notes on
// skipped or cut logs are dropped: the interface has no place for them.
func (s *Source) TxEvents(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	if err := s.check(ctx, chain); err != nil {
		return nil, err
	}
	rc, err := s.receipt(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("events of transaction %s: %w", tx, err)
	}
	if rc.Status != 1 {
		return []chains.TxEvent{}, nil
	}
	events, _ := evmlog.DecodeEvents(chain, s.wrappers, decodedLogs(rc.Logs))
	for i := range events {
		events[i].Tx, events[i].Block = tx, uint64(rc.BlockNumber)
	}
	return events, nil
}
