package evm

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

// decodeTransfer reads a token transfer from l: an ERC-20 Transfer, or a
// deposit into or withdrawal from one of the source's wrappers
// (evmlog.DecodeWrap).
func (s *Source) decodeTransfer(chain chains.Chain, l Log) (chains.Transfer, bool) {
	if t, ok := DecodeTransfer(chain, l); ok {
		return t, true
	}
	return evmlog.DecodeWrap(chain, s.wrappers, l.decoded())
}

// senderTopics is the topic0 filter of the logs in which q.Address is
// topic1 and parts with the token (or gains it from a wrapper): Transfer
// from it, and for a wrapper also Deposit to it and Withdrawal from it, in
// one eth_getLogs query. (The wrapper contract's own ledger of its token
// is not complete this way: every deposit and withdrawal touches it. A
// trace stops at a contract before it asks.)
func (s *Source) senderTopics(token chains.Address) any {
	if slices.Contains(s.wrappers, token) {
		return []common.Hash{TransferTopic, evmlog.DepositTopic, evmlog.WithdrawalTopic}
	}
	return TransferTopic
}
