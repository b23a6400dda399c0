package evm

import (
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

// DepositTopic and WithdrawalTopic are the topic0 of WETH9's
// Deposit(address indexed dst, uint wad) and Withdrawal(address indexed
// src, uint wad) (the mainnet WETH9 source, as fixtures/contracts/WETH9.sol
// reproduces it).
var (
	DepositTopic    = common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c") // Deposit(address,uint256)
	WithdrawalTopic = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65") // Withdrawal(address,uint256)
)

// MainnetWETH is WETH9 on Ethereum mainnet.
var MainnetWETH = chains.MustParseAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")

// DefaultWrappers are the native-coin wrappers of chain that Options.Wrappers
// stands for when it is nil: WETH9 on Ethereum, none elsewhere.
func DefaultWrappers(chain chains.Chain) []chains.Address {
	if chain == chains.Ethereum {
		return []chains.Address{MainnetWETH}
	}
	return nil
}

func isWrapper(wrappers []chains.Address, a common.Address) bool {
	return slices.Contains(wrappers, chains.NewAddress(chains.FamilyEVM, a))
}

// DecodeWrap reads a wrapper's Deposit or Withdrawal log as the token
// transfer WETH9 does not log: Deposit(dst, wad) as wad of the wrapper's
// token from the wrapper contract to dst, Withdrawal(src, wad) as wad from
// src to the wrapper contract, with the log index as Position. ok is false
// for any other log, and for these events from a contract not in wrappers.
// A wrapper given here must be WETH9-like: one that also logs a Transfer
// for a deposit would have it counted twice.
func DecodeWrap(chain chains.Chain, wrappers []chains.Address, l Log) (t chains.Transfer, ok bool) {
	kind, ok := wrapKind(wrappers, l)
	if l.Removed || !ok || uint64(l.Index) > uint64(^uint32(0)) {
		return chains.Transfer{}, false
	}
	amount, err := chains.AmountFromBig(new(big.Int).SetBytes(l.Data))
	if err != nil {
		return chains.Transfer{}, false
	}
	wrapper := chains.NewAddress(chains.FamilyEVM, l.Address)
	holder := topicAddress(l.Topics[1])
	from, to := wrapper, holder
	if kind == chains.EventUnwrap {
		from, to = holder, wrapper
	}
	return chains.Transfer{
		Chain: chain, Tx: chains.TxHash(l.TxHash), Position: uint32(l.Index), Block: uint64(l.BlockNumber),
		From: from, To: to, Asset: chains.AssetID{Chain: chain, Contract: wrapper}, Amount: amount,
	}, true
}

// decodeTransfer reads a token transfer from l: an ERC-20 Transfer, or a
// deposit into or withdrawal from one of the source's wrappers.
func (s *Source) decodeTransfer(chain chains.Chain, l Log) (chains.Transfer, bool) {
	if t, ok := DecodeTransfer(chain, l); ok {
		return t, true
	}
	return DecodeWrap(chain, s.wrappers, l)
}

// senderTopics is the topic0 filter of the logs in which q.Address is
// topic1 and parts with the token (or gains it from a wrapper): Transfer
// from it, and for a wrapper also Deposit to it and Withdrawal from it, in
// one eth_getLogs query. (The wrapper contract's own ledger of its token
// is not complete this way: every deposit and withdrawal touches it. A
// trace stops at a contract before it asks.)
func (s *Source) senderTopics(token chains.Address) any {
	if slices.Contains(s.wrappers, token) {
		return []common.Hash{TransferTopic, DepositTopic, WithdrawalTopic}
	}
	return TransferTopic
}
