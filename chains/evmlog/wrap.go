package evmlog

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

// DefaultWrappers are the native-coin wrappers of chain that a source's
// Wrappers option stands for when it is nil: WETH9 on Ethereum, none
// elsewhere. Each call returns a new slice.
func DefaultWrappers(chain chains.Chain) []chains.Address {
	if chain == chains.Ethereum {
		return []chains.Address{MainnetWETH}
	}
	return nil
}

// isWrapper reports whether a is one of wrappers.
func isWrapper(wrappers []chains.Address, a common.Address) bool {
	return slices.Contains(wrappers, chains.NewAddress(chains.FamilyEVM, a))
}

// wrapKind reports whether l is a Deposit or Withdrawal of a native-coin
// wrapper in wrappers, and which.
func wrapKind(wrappers []chains.Address, l Log) (chains.EventKind, bool) {
	if len(l.Topics) != 2 || len(l.Data) != 32 || !isWrapper(wrappers, l.Address) {
		return "", false
	}
	switch l.Topics[0] {
	case DepositTopic:
		return chains.EventWrap, true
	case WithdrawalTopic:
		return chains.EventUnwrap, true
	}
	return "", false
}

// DecodeWrap reads a wrapper's Deposit or Withdrawal log as the token
// transfer WETH9 does not log: Deposit(dst, wad) as wad of the wrapper's
// token from the wrapper contract to dst, Withdrawal(src, wad) as wad from
// src to the wrapper contract, with the log's Tx and Block and its index
// as Position. ok is false for any other log, for these events from a
// contract not in wrappers, and for a removed log. A wrapper given here
// must be WETH9-like: one that also logs a Transfer for a deposit would
// have it counted twice.
func DecodeWrap(chain chains.Chain, wrappers []chains.Address, l Log) (t chains.Transfer, ok bool) {
	kind, ok := wrapKind(wrappers, l)
	pos, fits := l.position()
	if l.Removed || !ok || !fits {
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
		Chain: chain, Tx: l.Tx, Position: pos, Block: l.Block,
		From: from, To: to, Asset: chains.AssetID{Chain: chain, Contract: wrapper}, Amount: amount,
	}, true
}
